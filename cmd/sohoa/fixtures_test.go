package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sohoa/fixtures"
	"sohoa/pipeline/pages"
)

// TestFixturesStack: fixtures --stack writes one file of --n documents
// whose truth matches the file's pages, for a clerk to try --split blank.
func TestFixturesStack(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	if _, stderr, code := sohoa(t, "fixtures", "--out", out, "--stack", "--n", "4", "--seed", "31", "--dpi", "200"); code != 0 {
		t.Fatalf("fixtures --stack: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "stack.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth fixtures.StackTruth
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	n, err := pages.Count(context.Background(), filepath.Join(out, "stack.pdf"), pages.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(truth.Documents) != 4 || n != truth.Pages || len(truth.Separators) != 3 {
		t.Errorf("stack.pdf has %d pages; truth: %d pages, %d documents, separators %v; want 4 documents with 3 separators",
			n, truth.Pages, len(truth.Documents), truth.Separators)
	}
	if _, _, code := sohoa(t, "fixtures", "--out", out, "--stack", "--format", "png"); code != 2 {
		t.Errorf("fixtures --stack --format png: exit %d, want 2 (usage)", code)
	}
}
