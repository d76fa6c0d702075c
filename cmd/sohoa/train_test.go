package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sohoa/ocr/tesseract"
	"sohoa/pipeline/classify"
	"sohoa/storage/local"
)

// TestCorrectionsSurviveRepairAndTeach walks a clerk's correction through
// the real pipeline: scans read by Tesseract, one record corrected and
// confirmed (which retrains the classifier, the setting asking for it
// after every confirmation), its archival PDF lost, doctor --repair and the
// worker running the pipeline over it again with the retrained classifier
// — and the clerk's values still there, the record still digitized.
func TestCorrectionsSurviveRepairAndTeach(t *testing.T) {
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
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "2", "--seed", "4711", "--clean", "--format", "png"); code != 0 {
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
	if _, stderr, code := sohoa(t, append([]string{"ingest", "--data", data, "--unit", "21181", "--clerk", "Lan", "--workers", "2"}, files...)...); code != 0 && code != exitFailure {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	before := showJSON(t, data, "1")
	if before["status"] != "digitized" && before["status"] != "needs_review" {
		t.Fatalf("record 1 after ingest: %v", before["status"])
	}
	// A type the pipeline did not give it, as a clerk correcting it would.
	corrected := classify.ToTrinh
	if before["doc_type"] == corrected {
		corrected = classify.BaoCao
	}
	const subject = "Về việc sửa chữa cầu treo thôn Phước Lộc"

	if out, stderr, code := sohoa(t, "train", "--data", data, "--every", "1"); code != 0 {
		t.Fatalf("train --every 1: exit %d\n%s\n%s", code, out, stderr)
	}
	if out, stderr, code := sohoa(t, "review", "set", "--data", data, "1", "doc_type="+corrected, "subject="+subject, "--clerk", "Lan"); code != 0 {
		t.Fatalf("review set: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code := sohoa(t, "review", "confirm", "--data", data, "1", "--clerk", "Lan", "--json")
	if code != 0 {
		t.Fatalf("review confirm: exit %d\n%s\n%s", code, out, stderr)
	}
	var confirmed struct {
		Status  string       `json:"status"`
		Trained *trainReport `json:"trained"`
	}
	if err := json.Unmarshal([]byte(out), &confirmed); err != nil {
		t.Fatal(err)
	}
	if confirmed.Status != "digitized" || confirmed.Trained == nil || confirmed.Trained.Confirmed != 1 || !confirmed.Trained.Installed {
		t.Fatalf("review confirm with train_every 1: %s", out)
	}
	b, err := os.ReadFile(filepath.Join(data, classifierFile))
	if err != nil {
		t.Fatalf("confirm did not write the retrained classifier: %v", err)
	}
	if _, err := classify.Unmarshal(b); err != nil {
		t.Fatalf("the retrained classifier does not load: %v", err)
	}
	if m, err := loadClassifier(data); err != nil || m == nil {
		t.Fatalf("loadClassifier with a retrained classifier: %v", err)
	}

	// The archive is lost; doctor --repair queues the record, the worker
	// runs the pipeline over it again.
	objects, err := local.Open(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	if err := objects.Delete(context.Background(), before["archive"].(string)); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := sohoa(t, "doctor", "--data", data, "--repair"); code != 0 && code != exitFailure {
		t.Fatalf("doctor --repair: exit %d\n%s\n%s", code, out, stderr)
	}
	if out, stderr, code := sohoa(t, "worker", "--data", data); code != 0 {
		t.Fatalf("worker: exit %d\n%s\n%s", code, out, stderr)
	}
	after := showJSON(t, data, "1")
	if after["doc_type"] != corrected || after["subject"] != subject || after["status"] != "digitized" {
		t.Errorf("after the pipeline ran again: type %v, subject %v, status %v; want %s, %q, digitized (the clerk's)",
			after["doc_type"], after["subject"], after["status"], corrected, subject)
	}
	if _, err := objects.Stat(context.Background(), before["archive"].(string)); err != nil {
		t.Errorf("archive not rebuilt: %v", err)
	}
	classified := 0
	for _, ev := range auditLog(t, data, "--record", "1", "--limit", "0") {
		if ev.Action == "classify" {
			classified++
		}
	}
	if classified != 2 {
		t.Errorf("record 1 classified %d times, want 2 (the repair must have run the pipeline again)", classified)
	}

	// sohoa train by hand reports what it learnt from.
	out, stderr, code = sohoa(t, "train", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, out, stderr)
	}
	var rep trainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Confirmed != 1 || rep.HeldOut != 0 || rep.Generated != trainDocs || rep.GeneratedAfter.N != genHeldDocs || rep.GeneratedAfter.Share < 0.9 {
		t.Errorf("train --json: %s", out)
	}
}

// TestTrainWithoutConfirmations refuses, saying what to do first.
func TestTrainWithoutConfirmations(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	_, stderr, code := sohoa(t, "train", "--data", data)
	if code != exitFailure || !strings.Contains(stderr, "review confirm") {
		t.Errorf("train with nothing confirmed: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(data, classifierFile)); !os.IsNotExist(err) {
		t.Errorf("train with nothing confirmed wrote a classifier: %v", err)
	}
}

func showJSON(t *testing.T, data, id string) map[string]any {
	t.Helper()
	out, stderr, code := sohoa(t, "show", "--data", data, "--json", id)
	if code != 0 {
		t.Fatalf("show %s: exit %d: %s", id, code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("show %s --json: %v\n%s", id, err, out)
	}
	return r
}

// TestRetrainedInstalledOnlyWhenNotWorse is the rule that keeps automatic
// retraining from making the classifier worse.
func TestRetrainedInstalledOnlyWhenNotWorse(t *testing.T) {
	for _, tc := range []struct {
		name                               string
		before, after, genBefore, genAfter int
		want                               bool
	}{
		{"better on held-out", 5, 8, 290, 290, true},
		{"equal", 5, 5, 290, 289, true},
		{"worse on held-out", 6, 5, 290, 295, false},
		{"worse on generated", 5, 8, 290, 280, false},
		{"nothing held out", 0, 0, 290, 290, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 8
			if tc.before == 0 && tc.after == 0 {
				n = 0
			}
			r := trainReport{Before: newAccuracy(tc.before, n), After: newAccuracy(tc.after, n),
				GeneratedBefore: newAccuracy(tc.genBefore, 300), GeneratedAfter: newAccuracy(tc.genAfter, 300)}
			if got := r.notWorse(); got != tc.want {
				t.Errorf("notWorse = %v, want %v", got, tc.want)
			}
		})
	}
}
