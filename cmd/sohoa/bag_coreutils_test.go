package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// checkBagWithCoreutils checks the bag at zipPath with tools that share
// no code with storage/bagit: unzip unpacks it, and coreutils' sha256sum
// checks both manifests, whose "checksum  path" lines it reads as they
// are. No standard BagIt validator can be installed on these machines
// (bagit-python needs PyPI), so this is the independent check of what
// RFC 8493 §3 asks of a complete, valid bag: the exact bagit.txt, every
// payload file in the manifest and no manifest line without its file,
// every checksum right, the tag files in the tag manifest. Altering one
// payload byte must then make sha256sum fail, so the check can fail.
func checkBagWithCoreutils(t *testing.T, zipPath string) {
	t.Helper()
	for _, tool := range []string{"unzip", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found (make setup installs it): %v", tool, err)
			}
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	out := t.TempDir()
	if b, err := exec.Command("unzip", "-q", zipPath, "-d", out).CombinedOutput(); err != nil {
		t.Fatalf("unzip %s: %v\n%s", zipPath, err, b)
	}
	tops, _ := os.ReadDir(out)
	if len(tops) != 1 || !tops[0].IsDir() {
		t.Fatalf("the bag unzips to %d entries, want one base directory", len(tops))
	}
	bag := filepath.Join(out, tops[0].Name())

	if b, _ := os.ReadFile(filepath.Join(bag, "bagit.txt")); string(b) != "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" {
		t.Errorf("bagit.txt is %q", b)
	}
	sha256sum := func(manifest string) (string, error) {
		cmd := exec.Command("sha256sum", "--check", "--strict", "--quiet", manifest)
		cmd.Dir = bag
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	for _, m := range []string{"manifest-sha256.txt", "tagmanifest-sha256.txt"} {
		if msg, err := sha256sum(m); err != nil {
			t.Errorf("sha256sum --check %s: %v\n%s", m, err, msg)
		}
	}

	listed := func(manifest string) []string {
		b, err := os.ReadFile(filepath.Join(bag, manifest))
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if _, p, ok := strings.Cut(sc.Text(), "  "); ok {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths)
		return paths
	}
	var payload, tags []string
	filepath.WalkDir(bag, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(bag, path)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "data/"):
			payload = append(payload, rel)
		case !strings.HasPrefix(rel, "tagmanifest-"):
			tags = append(tags, rel)
		}
		return nil
	})
	sort.Strings(payload)
	sort.Strings(tags)
	if got := listed("manifest-sha256.txt"); strings.Join(got, "\n") != strings.Join(payload, "\n") {
		t.Errorf("the payload manifest lists %d files, data/ holds %d:\n%v\n%v", len(got), len(payload), got, payload)
	}
	if got := listed("tagmanifest-sha256.txt"); strings.Join(got, "\n") != strings.Join(tags, "\n") {
		t.Errorf("the tag manifest lists %v, the tag files are %v", got, tags)
	}

	if len(payload) == 0 {
		t.Fatal("the bag has no payload")
	}
	victim := filepath.Join(bag, filepath.FromSlash(payload[0]))
	b, err := os.ReadFile(victim)
	if err != nil || len(b) == 0 {
		t.Fatalf("read %s: %v (%d bytes)", victim, err, len(b))
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(victim, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sha256sum("manifest-sha256.txt"); err == nil {
		t.Errorf("sha256sum --check passed after %s was altered", payload[0])
	}
}
