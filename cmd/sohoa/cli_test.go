package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"sohoa/ocr/tesseract"
)

func TestMain(m *testing.M) {
	if err := tesseract.ReexecWithThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	api.DisableConfigDir()
	os.Exit(m.Run())
}

// sohoa runs the command in process, as a user would type it.
func sohoa(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// contractKeys are the JSON names scripts depend on (issue #2).
var contractKeys = []string{"id", "sha256", "unit", "batch", "source", "pages", "status", "doc_type", "field", "number",
	"issued_on", "issuer", "subject", "text", "ocr_confidence", "type_confidence", "original", "archive", "error"}

func checkContract(t *testing.T, what string, obj map[string]any) {
	t.Helper()
	for _, k := range contractKeys {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s: JSON lacks %q", what, k)
		}
	}
}

func TestCommandsJSONContract(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OCR: not in -short")
	}
	if _, err := tesseract.New(tesseract.Options{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	scans := filepath.Join(dir, "scans")
	data := filepath.Join(dir, "data")
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "3", "--seed", "31337", "--clean", "--format", "png"); code != 0 {
		t.Fatalf("fixtures: exit %d: %s", code, stderr)
	}
	all, _ := filepath.Glob(filepath.Join(scans, "scan-*"))
	var files []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".json") && !strings.HasSuffix(f, ".txt") {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) != 3 {
		t.Fatalf("fixtures wrote %d scans, want 3", len(files))
	}

	args := append([]string{"ingest", "--data", data, "--unit", "21181", "--clerk", "Nguyễn Thị Lan", "--workers", "2", "--json"}, files...)
	out, stderr, code := sohoa(t, args...)
	if code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("ingest --json printed %d lines, want one per file:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatalf("ingest --json line is not JSON: %v: %s", err, l)
		}
		checkContract(t, "ingest --json", obj)
	}

	out, _, code = sohoa(t, "list", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("list: exit %d", code)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json: %v", err)
	}
	if len(list) != 3 {
		t.Fatalf("list --json: %d records, want 3", len(list))
	}
	for _, r := range list {
		checkContract(t, "list --json", r)
		if r["unit"] != "21181" || r["text"] == "" || r["archive"] == "" {
			t.Errorf("record %v: unit %v, archive %v, text empty: %v", r["id"], r["unit"], r["archive"], r["text"] == "")
		}
		if st := r["status"]; st != "digitized" && st != "needs_review" {
			t.Errorf("record %v: status %v", r["id"], st)
		}
	}

	out, _, code = sohoa(t, "show", "1", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("show: exit %d", code)
	}
	var one map[string]any
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatal(err)
	}
	checkContract(t, "show --json", one)

	// Every stage of a processed record is in the audit trail, in order
	// (storing the original comes before the record exists: that event is
	// about no record, and the ingest event carries the original's sha256).
	var actions []string
	for _, ev := range auditLog(t, data, "--record", "2") {
		actions = append(actions, ev.Action)
	}
	if got, want := strings.Join(actions, " "), "ingest ocr classify archive index"; got != want {
		t.Errorf("audit log of record 2: %s, want %s", got, want)
	}

	// Search with the accents and đ removed, as people type.
	subject, _ := list[0]["subject"].(string)
	words := strings.Fields(subject)
	if len(words) < 4 {
		t.Fatalf("record 1 has no usable subject: %q", subject)
	}
	q := foldASCII(strings.Join(words[2:4], " "))
	out, _, code = sohoa(t, "search", q, "--data", data, "--json")
	if code != 0 {
		t.Fatalf("search: exit %d", code)
	}
	var hits []map[string]any
	if err := json.Unmarshal([]byte(out), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatalf("search %q found nothing", q)
	}
	for _, k := range []string{"id", "number", "subject", "snippet", "score"} {
		if _, ok := hits[0][k]; !ok {
			t.Errorf("search --json lacks %q", k)
		}
	}

	orig := filepath.Join(dir, "orig.png")
	if _, stderr, code := sohoa(t, "get", "1", "-o", orig, "--data", data); code != 0 {
		t.Fatalf("get: exit %d: %s", code, stderr)
	}
	want, _ := os.ReadFile(files[0])
	got, _ := os.ReadFile(orig)
	if !bytes.Equal(got, want) {
		t.Error("get wrote bytes different from the ingested file")
	}
	arch := filepath.Join(dir, "1.pdf")
	if _, stderr, code := sohoa(t, "get", "--archive", "1", "-o", arch, "--data", data); code != 0 {
		t.Fatalf("get --archive: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(arch); !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Error("get --archive did not write a PDF")
	}

	// Same files again: duplicates, linked, nothing stored twice.
	out, _, _ = sohoa(t, append([]string{"ingest", "--data", data, "--json"}, files[0])...)
	var dup map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &dup); err != nil {
		t.Fatalf("re-ingest: %v: %s", err, out)
	}
	if dup["status"] != "duplicate" || dup["sha256"] != list[0]["sha256"] {
		t.Errorf("re-ingest of the same bytes: status %v, want duplicate of the first record", dup["status"])
	}
}

// foldASCII strips Vietnamese accents the way a hurried typist does.
func foldASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 'đ' || r == 'Đ':
			b.WriteRune('d')
		case r < 0x80:
			b.WriteRune(r)
		default:
			b.WriteRune(baseLetter(r))
		}
	}
	return strings.ToLower(b.String())
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", []string{"bogus"}, exitUsage, "unknown command"},
		{"bad unit", []string{"ingest", "--unit", "abc", "x.pdf"}, exitUsage, "unit code"},
		{"no files", []string{"ingest"}, exitUsage, "name files"},
		{"bad status", []string{"list", "--status", "done"}, exitUsage, "needs_review"},
		{"get without -o", []string{"get", "1"}, exitUsage, "-o FILE"},
		{"bad id", []string{"show", "abc"}, exitUsage, "not a record id"},
		{"unknown flag", []string{"list", "--colour"}, exitUsage, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := sohoa(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

func TestHelpTeaches(t *testing.T) {
	t.Parallel()
	out, _, code := sohoa(t, "--help")
	if code != 0 || !strings.Contains(out, "ingest") || !strings.Contains(out, "sohoa search") {
		t.Errorf("--help: exit %d:\n%s", code, out)
	}
	for _, c := range commands() {
		out, _, code := sohoa(t, c.name, "--help")
		if code != 0 || !strings.Contains(out, "usage") {
			t.Errorf("%s --help: exit %d:\n%s", c.name, code, out)
		}
	}
}

func TestS3ConfigNamesTheVariable(t *testing.T) {
	t.Setenv("SOHOA_S3_BUCKET", "scans")
	_, stderr, code := sohoa(t, "list", "--data", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "SOHOA_S3_ENDPOINT") {
		t.Errorf("exit %d, stderr %q; want a failure naming SOHOA_S3_ENDPOINT", code, stderr)
	}
}

func baseLetter(r rune) rune {
	for _, group := range []struct {
		base rune
		set  string
	}{
		{'a', "àáảãạăằắẳẵặâầấẩẫậ"}, {'e', "èéẻẽẹêềếểễệ"}, {'i', "ìíỉĩị"}, {'o', "òóỏõọôồốổỗộơờớởỡợ"},
		{'u', "ùúủũụưừứửữự"}, {'y', "ỳýỷỹỵ"},
		{'A', "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"}, {'E', "ÈÉẺẼẸÊỀẾỂỄỆ"}, {'I', "ÌÍỈĨỊ"}, {'O', "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"},
		{'U', "ÙÚỦŨỤƯỪỨỬỮỰ"}, {'Y', "ỲÝỶỸỴ"},
	} {
		if strings.ContainsRune(group.set, r) {
			return group.base
		}
	}
	return r
}
