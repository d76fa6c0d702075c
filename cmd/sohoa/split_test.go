package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr/tesseract"
	"sohoa/storage/catalog"
)

func TestSourcePages(t *testing.T) {
	for _, c := range []struct {
		r    catalog.Record
		want string
	}{
		{catalog.Record{Source: "a.pdf"}, "a.pdf"},
		{catalog.Record{Source: "stack.pdf", FirstPage: 4, LastPage: 7}, "stack.pdf pp. 4–7"},
		{catalog.Record{Source: "stack.pdf", FirstPage: 9, LastPage: 9}, "stack.pdf p. 9"},
	} {
		if got := sourcePages(c.r); got != c.want {
			t.Errorf("sourcePages(%d-%d) = %q, want %q", c.r.FirstPage, c.r.LastPage, got, c.want)
		}
	}
}

func TestIngestSplitFlags(t *testing.T) {
	help, _, code := sohoa(t, "ingest", "--help")
	if code != 0 || !strings.Contains(help, "--split blank --duplex") || !strings.Contains(help, "pages:N") {
		t.Errorf("ingest --help does not teach --split and --duplex (exit %d):\n%s", code, help)
	}
	dir := t.TempDir()
	for _, args := range [][]string{{"--split", "every"}, {"--split", "pages:0"}, {"--duplex"}} {
		_, stderr, code := sohoa(t, append(append([]string{"ingest", "--data", dir}, args...), filepath.Join(dir, "x.pdf"))...)
		if code != exitUsage || !strings.Contains(stderr, "--") {
			t.Errorf("ingest %v: exit %d, want 2 with a message naming the flag:\n%s", args, code, stderr)
		}
	}
}

// TestIngestSplitBlank runs `sohoa ingest --split blank` on a generated
// stack of two documents: the result lines name each document's pages of
// the stack, and --json carries the range.
func TestIngestSplitBlank(t *testing.T) {
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
	var buf bytes.Buffer
	truth, err := fixtures.WriteStack(&buf, fixtures.StackOptions{Docs: 2, Seed: 7100, DPI: 200, Format: "pdf", MaxPages: 2})
	if err != nil {
		t.Fatal(err)
	}
	stack := filepath.Join(dir, "stack.pdf")
	if err := os.WriteFile(stack, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, stderr, code := sohoa(t, "ingest", "--data", data, "--unit", "21181", "--workers", "2", "--split", "blank", stack)
	if code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
	}
	t.Logf("ingest --split blank printed:\n%s", out)
	for _, d := range truth.Documents {
		want := fmt.Sprintf("stack.pdf pp. %d–%d", d.First, d.Last)
		if d.First == d.Last {
			want = fmt.Sprintf("stack.pdf p. %d", d.First)
		}
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = sohoa(t, "list", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("list: exit %d", code)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(truth.Documents) {
		t.Fatalf("list: %d records, want %d", len(list), len(truth.Documents))
	}
	for i, r := range list {
		d := truth.Documents[i]
		if r["first_page"] != float64(d.First) || r["last_page"] != float64(d.Last) || r["source"] != "stack.pdf" {
			t.Errorf("record %v: pages %v-%v of %v, want %d-%d of stack.pdf", r["id"], r["first_page"], r["last_page"], r["source"], d.First, d.Last)
		}
	}
}
