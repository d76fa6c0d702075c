package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sohoa/ocr/tesseract"
	"sohoa/storage"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// scanFiles lists the scans fixtures wrote in dir, without their truth
// files.
func scanFiles(t *testing.T, dir string) []string {
	t.Helper()
	all, _ := filepath.Glob(filepath.Join(dir, "scan-*"))
	var files []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".json") && !strings.HasSuffix(f, ".txt") {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files
}

// waitFor polls cond every 50 ms until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requireTesseract skips (fails under CI=true) without Tesseract and vie.
func requireTesseract(t *testing.T) {
	t.Helper()
	e, err := tesseract.New(tesseract.Options{})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	e.Close()
}

// TestIngestThroughStoreOutage runs `sohoa ingest` against a real MinIO
// server named by the SOHOA_S3_* variables, as an operator would set it
// up, and stops the server once the originals are stored. The command must
// say once, in Vietnamese and English, that the store (by its endpoint) is
// unreachable and that the work waits; `sohoa serve`'s /api/health must say
// so too. After the restart the command must finish the batch by itself,
// exit 0, with every record final and every original hashing to its record.
func TestIngestThroughStoreOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR and a MinIO outage: not in -short")
	}
	requireTesseract(t)
	srv := s3test.Start(t)
	cfg := useS3(t, srv)
	endpoint := "http://" + cfg.Endpoint + "/" + cfg.Bucket

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	scans := filepath.Join(dir, "scans")
	const n = 4
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "4", "--seed", "6006", "--clean", "--format", "png"); code != 0 {
		t.Fatalf("fixtures: exit %d: %s", code, stderr)
	}

	// The dashboard runs beside, on the same data folder and store.
	addr := freeAddr(t)
	serveCtx, stopServe := context.WithCancel(context.Background())
	served := make(chan int, 1)
	var serveOut, serveErr syncBuffer
	go func() {
		served <- run(serveCtx, []string{"serve", "--addr", addr, "--data", data}, &serveOut, &serveErr)
	}()
	defer func() {
		stopServe()
		<-served
	}()
	waitServing(t, "http://"+addr+"/api/health", served)
	health := func() (reachable bool, msg string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/api/health")
		if err != nil {
			t.Fatalf("/api/health: %v", err)
		}
		defer resp.Body.Close()
		var h struct {
			Store *struct {
				Reachable bool   `json:"reachable"`
				Error     string `json:"error"`
			} `json:"store"`
		}
		body, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(body, &h); err != nil || h.Store == nil {
			t.Fatalf("/api/health: %d %s: no store in it (%v)", resp.StatusCode, body, err)
		}
		return h.Store.Reachable, h.Store.Error
	}
	if ok, msg := health(); !ok {
		t.Fatalf("/api/health before the outage: store unreachable: %s", msg)
	}

	// A watcher of its own sees when the originals are in.
	watch, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	originals := func() int {
		c := 0
		watch.List(context.Background(), "originals/", func(storage.ObjectInfo) error { c++; return nil })
		return c
	}

	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), append([]string{"ingest", "--data", data, "--unit", "21181", "--clerk", "test",
			"--workers", "1", "--json"}, scanFiles(t, scans)...), &stdout, &stderr)
	}()
	waitFor(t, 2*time.Minute, "the originals stored", func() bool { return originals() == n })
	srv.Stop()

	const down = "Không kết nối được kho lưu trữ"
	waitFor(t, 90*time.Second, "ingest saying the store is unreachable", func() bool { return strings.Contains(stderr.String(), down) })
	if ok, msg := health(); ok {
		t.Errorf("/api/health with the store stopped: reachable")
	} else if !strings.Contains(msg, "kho lưu trữ") || !strings.Contains(msg, "unreachable") && !strings.Contains(msg, "did not answer") {
		t.Errorf("/api/health with the store stopped: message %q does not say it in both languages", msg)
	}
	select {
	case code := <-done:
		t.Fatalf("ingest ended (exit %d) while the store was down, want it to wait\n%s", code, stderr.String())
	case <-time.After(2 * time.Second): // the outage goes on; the command waits
	}
	srv.Restart()

	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("ingest after the store came back: exit %d\n%s", code, stderr.String())
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("ingest did not finish 3 minutes after the store came back\n%s", stderr.String())
	}
	errText := stderr.String()
	t.Logf("stderr:\n%s", errText)
	if c := strings.Count(errText, down); c != 1 {
		t.Errorf("the outage was reported %d times, want once", c)
	}
	if !strings.Contains(errText, "The object store "+endpoint+" is unreachable") {
		t.Errorf("the message does not name the store %s in English", endpoint)
	}
	if c := strings.Count(errText, "Đã kết nối lại kho lưu trữ "+endpoint); c != 1 {
		t.Errorf("the store's return was reported %d times, want once", c)
	}
	if ok, msg := health(); !ok {
		t.Errorf("/api/health after the restart: store unreachable: %s", msg)
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != n {
		t.Fatalf("ingest --json printed %d records, want %d:\n%s", len(lines), n, stdout.String())
	}
	out, _, code := sohoa(t, "list", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("list: exit %d", code)
	}
	var recs []struct {
		ID       int64  `json:"id"`
		Source   string `json:"source"`
		Status   string `json:"status"`
		SHA256   string `json:"sha256"`
		Original string `json:"original"`
		Archive  string `json:"archive"`
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records after the outage, want %d", len(recs), n)
	}
	var sources []string
	for _, r := range recs {
		sources = append(sources, r.Source)
		if r.Status != "digitized" && r.Status != "needs_review" {
			t.Errorf("record %d %s: status %s", r.ID, r.Source, r.Status)
		}
		if r.Archive == "" {
			t.Errorf("record %d %s: no archive", r.ID, r.Source)
		}
		if got := hashStored(t, watch, r.Original); got != r.SHA256 {
			t.Errorf("record %d: original hashes to %s, record says %s", r.ID, got, r.SHA256)
		}
	}
	sort.Strings(sources)
	for i := 1; i < len(sources); i++ {
		if sources[i] == sources[i-1] {
			t.Errorf("%s recorded twice", sources[i])
		}
	}
}

// hashStored reads an object and returns its sha256 in hex.
func hashStored(t *testing.T, objects storage.Objects, key string) string {
	t.Helper()
	rc, _, err := objects.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	h := newSHA256()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return h.hex()
}

// mountSmallDisk mounts a tmpfs of the given size at dir, for a disk that
// fills up, and unmounts it when t ends. Without the right to mount (not
// root) the test skips, saying so; as root under CI=true a failed mount
// fails the test.
func mountSmallDisk(t *testing.T, dir string, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a %s tmpfs at %s to fill it (%v: %s): this test needs root (or CAP_SYS_ADMIN)", size, dir, err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatal(msg + " (CI=true and root: the mount should have worked)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			// Busy (a process of a failed test still inside): detach it
			// now, the kernel frees it when the last user leaves.
			if lout, lerr := exec.Command("umount", "-l", dir).CombinedOutput(); lerr != nil {
				t.Errorf("umount %s: %v: %s; umount -l: %v: %s", dir, err, out, lerr, lout)
			}
		}
	})
}

// fillDisk writes a file in dir until the file system has at most leave
// bytes free, and returns its path.
func fillDisk(t *testing.T, dir string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if free <= leave {
		return path
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, free-leave)); err != nil {
		t.Fatalf("fill %s: %v", dir, err)
	}
	return path
}

// TestCatalogDiskFull runs `sohoa ingest` with the catalog on a disk that
// fills up (a 6 MB tmpfs; the originals go to MinIO): with little room
// left it fills while the scans are recorded, with more while their pages
// are. Either way the command must stop in bounded time with a clear
// message naming the catalog and saying to free space, the catalog must
// pass its integrity check, and once space is freed the same command must
// finish the batch: one record per file, every record final.
func TestCatalogDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR, MinIO and a tmpfs: not in -short")
	}
	requireTesseract(t)
	srv := s3test.Start(t)
	scans := filepath.Join(t.TempDir(), "scans")
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "4", "--seed", "8008", "--clean", "--format", "png"); code != 0 {
		t.Fatalf("fixtures: exit %d: %s", code, stderr)
	}
	files := scanFiles(t, scans)
	for _, tt := range []struct {
		name  string
		leave int64 // bytes left free after the first ingest
	}{
		{"while recording scans", 160 << 10},
		{"while recording pages", 400 << 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			useS3(t, srv)
			catalogDiskFull(t, files, tt.leave)
		})
	}
}

func catalogDiskFull(t *testing.T, files []string, leave int64) {
	data := filepath.Join(t.TempDir(), "data")
	mountSmallDisk(t, data, "6m")
	ingest := append([]string{"ingest", "--data", data, "--unit", "21181", "--clerk", "test", "--workers", "2"}, files[1:]...)
	if _, stderr, code := sohoa(t, "ingest", "--data", data, "--unit", "21181", "--clerk", "test", files[0]); code != 0 {
		t.Fatalf("first ingest with room: exit %d: %s", code, stderr)
	}

	filler := fillDisk(t, data, leave)
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, stderr, code := sohoa(t, ingest...)
		done <- result{stderr, code}
	}()
	var full result
	select {
	case full = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("ingest on a full disk did not stop within 3 minutes")
	}
	t.Logf("ingest on a full disk: exit %d\n%s", full.code, full.stderr)
	if full.code == exitOK {
		t.Fatalf("ingest on a full disk succeeded; the filler left too much room")
	}
	catalogPath := filepath.Join(data, "catalog.db")
	for _, want := range []string{"đầy", "disk", "full", catalogPath, "chạy lại", "run the same command again"} {
		if !strings.Contains(full.stderr, want) {
			t.Errorf("the message on a full disk lacks %q", want)
		}
	}
	if c := strings.Count(full.stderr, "đầy"); c > 3 {
		t.Errorf("the full disk was reported %d times, want a few lines at most", c)
	}
	if rep, err := sqlite.CheckFile(context.Background(), catalogPath); err != nil {
		t.Fatalf("the catalog after the disk filled: %v", err)
	} else {
		t.Logf("catalog after the disk filled: %d records", rep.Records)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := sohoa(t, ingest...); code != exitOK {
		t.Fatalf("ingest again with room: exit %d\n%s\n%s", code, out, stderr)
	}
	out, _, code := sohoa(t, "list", "--data", data, "--json")
	var recs []struct {
		Source string `json:"source"`
		Status string `json:"status"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil {
		t.Fatalf("list: exit %d: %s", code, out)
	}
	if len(recs) != len(files) {
		t.Fatalf("%d records for %d files after the disk was freed", len(recs), len(files))
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.Source] {
			t.Errorf("%s recorded twice", r.Source)
		}
		seen[r.Source] = true
		if r.Status != "digitized" && r.Status != "needs_review" {
			t.Errorf("%s: status %s after the disk was freed", r.Source, r.Status)
		}
	}
	db, err := sqlite.Open(context.Background(), catalogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("catalog integrity after the batch: %v", err)
	}
}
