package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/storage"
	"sohoa/storage/local"
	"sohoa/storage/storagetest"
)

func open(t *testing.T) *local.Store {
	t.Helper()
	s, err := local.Open(filepath.Join(t.TempDir(), "objects"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestSuite(t *testing.T) {
	storagetest.RunSuite(t, func(t *testing.T) storage.Objects { return open(t) })
}

func TestObjectIsPlainFile(t *testing.T) {
	t.Parallel()
	s := open(t)
	content := []byte("bản gốc")
	key := storage.OriginalKey(storagetest.Sum(content))
	storagetest.Put(t, s, key, content, "image/tiff")

	got, err := os.ReadFile(filepath.Join(s.Dir(), filepath.FromSlash(key)))
	if err != nil {
		t.Fatalf("the object is not a file at its key's path: %v", err)
	}
	if !bytes.Equal(got, content) {
		t.Errorf("file holds %q, want %q", got, content)
	}
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "originals", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries, want the object and its sidecar", len(entries))
	}
}

// TestCorruptionDetectedOnGet flips a byte of a stored file behind the
// store's back, keeping its size and time, as bit rot would: Stat still
// trusts the sidecar, but reading the object fails with ErrChecksum.
func TestCorruptionDetectedOnGet(t *testing.T) {
	t.Parallel()
	s := open(t)
	content := storagetest.Content(1, 10000)
	storagetest.Put(t, s, "scan", content, "")
	path := filepath.Join(s.Dir(), "scan")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	rotten := bytes.Clone(content)
	rotten[5000] ^= 0x01
	if err := os.WriteFile(path, rotten, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}

	rc, info, err := s.Get(context.Background(), "scan")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	if info.SHA256 != storagetest.Sum(content) {
		t.Errorf("Get reported sha256 %s, want the recorded %s", info.SHA256, storagetest.Sum(content))
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, storage.ErrChecksum) {
		t.Errorf("reading a corrupted object: error = %v, want ErrChecksum", err)
	}
}

// TestStaleSidecarRehashed replaces a file without its sidecar, as a crash
// between a Put's two renames would leave it: the store reports the file's
// real sha256, not the sidecar's.
func TestStaleSidecarRehashed(t *testing.T) {
	t.Parallel()
	s := open(t)
	storagetest.Put(t, s, "a/doc", []byte("old content"), "text/plain")
	newer := []byte("new content, longer")
	path := filepath.Join(s.Dir(), "a", "doc")
	if err := os.WriteFile(path, newer, 0o640); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(context.Background(), "a/doc")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.SHA256 != storagetest.Sum(newer) || info.Size != int64(len(newer)) {
		t.Errorf("Stat = %+v, want the replaced file's size and sha256", info)
	}
	got, _ := storagetest.ReadObject(t, s, "a/doc")
	if !bytes.Equal(got, newer) {
		t.Errorf("Get = %q, want %q", got, newer)
	}

	if err := os.Remove(filepath.Join(s.Dir(), "a", ".doc.meta")); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(context.Background(), "a/doc"); err != nil || info.SHA256 != storagetest.Sum(newer) {
		t.Errorf("Stat without a sidecar = %+v, %v; want the file's sha256", info, err)
	}
}

func TestKeyUnderObjectFails(t *testing.T) {
	t.Parallel()
	s := open(t)
	storagetest.Put(t, s, "a", []byte("x"), "")
	_, err := s.Put(context.Background(), "a/b", bytes.NewReader([]byte("y")), 1, storage.PutOptions{})
	if err == nil {
		t.Fatal("Put(a/b) with an object at a succeeded")
	}
	if errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("a key conflict is reported as the store being unavailable: %v", err)
	}
	if got, _ := storagetest.ReadObject(t, s, "a"); string(got) != "x" {
		t.Errorf("object a damaged: %q", got)
	}
}

func TestPermissionDeniedIsUnavailable(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("running as root, which ignores file permissions; the disk-full test covers the mapping")
	}
	s := open(t)
	storagetest.Put(t, s, "locked/old", []byte("x"), "")
	dir := filepath.Join(s.Dir(), "locked")
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o750) })
	_, err := s.Put(context.Background(), "locked/new", bytes.NewReader([]byte("y")), 1, storage.PutOptions{})
	if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, os.ErrPermission) {
		t.Errorf("Put into a read-only folder: error = %v, want ErrUnavailable wrapping a permission error", err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the folder %s", err, dir)
	}
}

func TestOpenNotADirectory(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := local.Open(file); err == nil {
		t.Error("Open of a file succeeded")
	}
}

func TestModTimeFromFile(t *testing.T) {
	t.Parallel()
	s := open(t)
	before := time.Now().Add(-time.Second)
	info := storagetest.Put(t, s, "k", []byte("x"), "")
	fi, err := os.Stat(filepath.Join(s.Dir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime.Equal(fi.ModTime()) || info.ModTime.Before(before) {
		t.Errorf("Put ModTime %v, file mtime %v", info.ModTime, fi.ModTime())
	}
}
