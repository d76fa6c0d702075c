package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sohoa/ocr/tesseract"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
	"sohoa/storage/storagetest"
)

// TestVerify ingests two scans for real, then deletes one original,
// rewrites one archival PDF on disk and drops an object nobody recorded
// into the store: `sohoa verify` names each with its class and exits 1.
func TestVerify(t *testing.T) {
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
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "2", "--seed", "505", "--clean", "--format", "png"); code != 0 {
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
	args := append([]string{"ingest", "--data", data, "--unit", "21181", "--workers", "2"}, files...)
	if out, stderr, code := sohoa(t, args...); code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
	}

	t.Run("nothing chosen is a usage error", func(t *testing.T) {
		_, stderr, code := sohoa(t, "verify", "--data", data)
		if code != exitUsage || !strings.Contains(stderr, "--all") {
			t.Errorf("verify with no argument: exit %d, %q", code, stderr)
		}
	})
	t.Run("unknown record", func(t *testing.T) {
		_, stderr, code := sohoa(t, "verify", "99", "--data", data)
		if code != exitFailure || !strings.Contains(stderr, "#99") {
			t.Errorf("verify 99: exit %d, %q", code, stderr)
		}
	})

	out, stderr, code := sohoa(t, "verify", "--all", "--json", "--data", data)
	if code != exitOK {
		t.Fatalf("verify --all on an untouched store: exit %d\n%s\n%s", code, out, stderr)
	}
	var clean struct {
		Clean                      bool
		Checked, OK                int
		Missing, Altered, Orphaned int
		Problems                   []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &clean); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	if !clean.Clean || clean.Checked != 4 || clean.OK != 4 || clean.Problems == nil {
		t.Fatalf("untouched store: %+v, want 4 objects ok (2 originals, 2 archives)", clean)
	}

	// What the pipeline stored, and that it recorded each archive's sha256.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := db.List(ctx, catalog.Filter{})
	if err != nil || len(recs) != 2 {
		t.Fatalf("records: %d, %v", len(recs), err)
	}
	archives, err := db.StoredObjects(ctx, catalog.ObjectQuery{Kind: catalog.ObjectArchive})
	if err != nil || len(archives) != 2 {
		t.Fatalf("archives: %+v, %v", archives, err)
	}
	for _, a := range archives {
		if len(a.SHA256) != 64 {
			t.Errorf("archive %s: catalog holds sha256 %q, want the one the archive stage computed", a.Key, a.SHA256)
		}
	}
	db.Close()

	objects := filepath.Join(data, "objects")
	r1, r2 := recs[0], recs[1]
	if err := os.Remove(filepath.Join(objects, filepath.FromSlash(r1.Original))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(objects, filepath.FromSlash(r2.Archive)), []byte("%PDF-1.7 sửa / forged"), 0o640); err != nil {
		t.Fatal(err)
	}
	stray := storagetest.Content(9, 64)
	strayKey := storage.OriginalKey(storagetest.Sum(stray))
	strayPath := filepath.Join(objects, filepath.FromSlash(strayKey))
	if err := os.WriteFile(strayPath, stray, 0o640); err != nil {
		t.Fatal(err)
	}
	// Older than the grace given to an ingest between storing and recording.
	old := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(strayPath, old, old); err != nil {
		t.Fatal(err)
	}

	out, stderr, code = sohoa(t, "verify", "--all", "--data", data)
	if code != exitFailure {
		t.Fatalf("verify --all on a tampered store: exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	find := func(label, key string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, label) && strings.Contains(l, key) {
				return l
			}
		}
		t.Errorf("no %q line for %s in:\n%s", label, key, out)
		return ""
	}
	if l := find("MẤT / MISSING", r1.Original); l != "" && !strings.Contains(l, "#1") {
		t.Errorf("missing line does not name record #1: %s", l)
	}
	if l := find("BỊ THAY ĐỔI / ALTERED", r2.Archive); l != "" && !strings.Contains(l, "#2") {
		t.Errorf("altered line does not name record #2: %s", l)
	}
	find("THỪA / ORPHANED", strayKey)
	if !strings.Contains(out, "Checked 4 objects") || !strings.Contains(out, "1 altered, 1 missing, 1 orphaned") {
		t.Errorf("summary:\n%s", out)
	}

	// One record: only its objects, and the exit status says so.
	out, _, code = sohoa(t, "verify", "2", "--json", "--data", data)
	var one struct {
		Checked, Altered, Missing, Orphaned int
		Problems                            []catalog.FixityCheck
	}
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatalf("verify 2 --json: %v\n%s", err, out)
	}
	if code != exitFailure || one.Checked != 2 || one.Altered != 1 || one.Missing != 0 || one.Orphaned != 0 ||
		len(one.Problems) != 1 || one.Problems[0].Key != r2.Archive {
		t.Errorf("verify 2: exit %d, %+v", code, one)
	}

	// Each check is in the record's history.
	db, err = sqlite.Open(ctx, filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := db.Events(ctx, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, e := range evs {
		if e.Action == "verify" && strings.Contains(e.Details, r1.Original) {
			var d struct{ Result string }
			_ = json.Unmarshal([]byte(e.Details), &d)
			results = append(results, d.Result)
		}
	}
	if strings.Join(results, ",") != "ok,missing" {
		t.Errorf("record 1's verify events of its original: %v, want ok then missing", results)
	}
}

func TestParsePeriodAndRate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "off": 0, "0": 0, "1.5d": 36 * time.Hour} {
		if got, err := parsePeriod(in); err != nil || got != want {
			t.Errorf("parsePeriod(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "30", "-1d", "d", "soon"} {
		if _, err := parsePeriod(bad); err == nil {
			t.Errorf("parsePeriod(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int64{"0": 0, "50MB": 50e6, "8MiB/s": 8 << 20, "512 kB": 512e3, "100": 100} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"fast", "-5MB", "MB"} {
		if _, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) accepted", bad)
		}
	}
}

// TestServeVerifiesContinuously runs `sohoa serve` with a short period:
// it checks every object on its own, and an original deleted and one
// rewritten on disk meanwhile show in /metrics; Ctrl-C stops it cleanly.
func TestServeVerifiesContinuously(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	objects, err := local.Open(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 3 {
		content := storagetest.Content(uint64(40+i), 2000)
		sum := storagetest.Sum(content)
		storagetest.Put(t, objects, storage.OriginalKey(sum), content, "image/png")
		if _, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21181", Source: sum[:8] + ".png", SHA256: sum,
			Size: 2000, Original: storage.OriginalKey(sum)}, false); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, storage.OriginalKey(sum))
	}
	db.Close()

	if _, stderr, code := sohoa(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--verify-every", "soon"); code != exitUsage ||
		!strings.Contains(stderr, "--verify-every") {
		t.Errorf("serve --verify-every soon: exit %d, %q", code, stderr)
	}

	addr := freeAddr(t)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var out, errs bytes.Buffer
	served := make(chan int, 1)
	go func() {
		served <- run(runCtx, []string{"serve", "--addr", addr, "--data", data, "--verify-every", "1s", "--verify-max-rate", "10MB"}, &out, &errs)
	}()
	waitServing(t, "http://"+addr+"/api/health", served)
	waitMetric := func(what string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var body string
		for time.Now().Before(deadline) {
			resp, err := http.Get("http://" + addr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			bb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(bb)
			all := true
			for _, w := range want {
				all = all && strings.Contains(body, w+"\n")
			}
			if all {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: /metrics did not show %v within 20s:\n%s", what, want, body)
	}
	waitMetric("first round", `sohoa_fixity_objects{result="ok"} 3`)

	if err := os.Remove(filepath.Join(data, "objects", filepath.FromSlash(keys[0]))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "objects", filepath.FromSlash(keys[2])), []byte("sửa / forged"), 0o640); err != nil {
		t.Fatal(err)
	}
	waitMetric("after tampering", `sohoa_fixity_objects{result="missing"} 1`, `sohoa_fixity_objects{result="altered"} 1`,
		`sohoa_fixity_objects{result="ok"} 1`)

	stop()
	select {
	case code := <-served:
		if code != exitOK || !strings.Contains(out.String(), "Đã dừng") {
			t.Errorf("serve after Ctrl-C: exit %d\n%s\n%s", code, out.String(), errs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of Ctrl-C")
	}
	if !strings.Contains(errs.String(), "failed its fixity check") {
		t.Errorf("serve did not log the problems:\n%s", errs.String())
	}
}
