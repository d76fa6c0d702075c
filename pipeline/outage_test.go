package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/pipeline"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/local"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

// failCounter counts the store operations that failed because the store
// could not be reached, by what they were for.
type failCounter struct {
	storage.Objects
	mu    sync.Mutex
	fails map[string]int
}

func (c *failCounter) note(op, key string, err error) {
	if !errors.Is(err, storage.ErrUnavailable) {
		return
	}
	kind := op + " " + strings.SplitN(key, "/", 2)[0] // "put originals", "get originals", "put archives"
	c.mu.Lock()
	c.fails[kind]++
	c.mu.Unlock()
}

func (c *failCounter) count(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fails[kind]
}

func (c *failCounter) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.ObjectInfo, error) {
	info, err := c.Objects.Put(ctx, key, r, size, o)
	c.note("put", key, err)
	return info, err
}

func (c *failCounter) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, info, err := c.Objects.Get(ctx, key)
	c.note("get", key, err)
	return rc, info, err
}

func (c *failCounter) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	info, err := c.Objects.Stat(ctx, key)
	c.note("stat", key, err)
	return info, err
}

// TestStoreOutage stops a real MinIO server twice in the middle of a batch:
// while the originals are being stored, and while pages are read and
// archives written. Each time the work must wait (no record failed, no job
// given up), the outage be reported once, and after the restart the batch
// complete with one record per file, every object stored once and hashing
// to its record.
func TestStoreOutage(t *testing.T) {
	requireTool(t, "pdftoppm")
	srv := s3test.Start(t)
	store, err := s3.Open(context.Background(), srv.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	objects := &failCounter{Objects: store, fails: map[string]int{}}
	h := newHarness(t, objects)
	in := filepath.Join(h.dir, "scans")
	os.MkdirAll(in, 0o755)
	const files = 6
	for i := int64(0); i < files; i++ {
		writeDoc(t, in, fmt.Sprintf("doc-%d.pdf", i), fixtures.NewDoc(600+i), fixtures.Options{DPI: 150, Format: "pdf"})
	}

	var (
		mu     sync.Mutex
		states []pipeline.StoreState
	)
	downs := make(chan struct{}, 4)
	hooks := pipeline.Hooks{Store: func(s pipeline.StoreState) {
		t.Logf("%s store down=%v: %v", time.Now().Format("15:04:05.000"), s.Down, s.Err)
		mu.Lock()
		states = append(states, s)
		mu.Unlock()
		if s.Down {
			downs <- struct{}{}
		}
	}}
	var calls atomic.Int64
	factory := func() (ocr.Engine, error) {
		return &fakeEngine{calls: &calls, text: "ỦY BAN NHÂN DÂN\nXÃ TỊNH PHONG\nSố: 12/QĐ-UBND\nTịnh Phong, ngày 03 tháng 02 năm 2025\nQUYẾT ĐỊNH\nVề việc cấp phép"}, nil
	}
	// stopHere asks the test goroutine to stop the server and waits until
	// it has, so the work that follows meets the outage.
	stopReq := make(chan chan struct{})
	stopHere := func() {
		done := make(chan struct{})
		stopReq <- done
		<-done
	}
	stopWhenAsked := func(phase string, ended <-chan error) {
		select {
		case done := <-stopReq:
			srv.Stop()
			close(done)
		case err := <-ended:
			t.Fatalf("%s ended before the outage: %v", phase, err)
		}
	}
	// The second outage starts once the first original is read back and
	// split: the next ones are still to be read, and its archive to be
	// written.
	var stopOnce sync.Once
	page := hooks
	page.Pages = func(int64, int) { stopOnce.Do(stopHere) }
	p := h.pipelineWith(factory, 2, page, func(c *pipeline.Config) {
		c.RetryBase = 20 * time.Millisecond
		c.RetryMax = 200 * time.Millisecond
		c.MaxAttempts = 2 // an outage that counted as attempts would fail the records
	})

	// While it is down the work waits: checked, then the server comes
	// back. Each outage lasts several times the longest backoff.
	restartAfterDown := func(phase string) {
		select {
		case <-downs:
		case <-time.After(30 * time.Second):
			t.Errorf("%s: the outage was never reported", phase)
		}
		time.Sleep(time.Second) // the outage itself: 5+ rounds of retries
		if failed, err := h.db.List(context.Background(), catalog.Filter{Status: catalog.StatusFailed}); err != nil || len(failed) > 0 {
			t.Errorf("%s: %d records failed during the outage (%v), want 0: %+v", phase, len(failed), err, failed)
		}
		t.Logf("%s restart", time.Now().Format("15:04:05.000"))
		srv.Restart()
		t.Logf("%s restarted", time.Now().Format("15:04:05.000"))
	}

	// Outage 1: storing the originals.
	ctx := context.Background()
	req := pipeline.IngestRequest{Paths: []string{in}, Unit: "21181", Clerk: "test"}
	stored := 0
	ingestDone := make(chan error, 1)
	var res pipeline.IngestResult
	go func() {
		var err error
		res, err = p.Ingest(ctx, req, func(catalog.Record) {
			if stored++; stored == 2 {
				stopHere()
			}
		})
		ingestDone <- err
	}()
	stopWhenAsked("ingest", ingestDone)
	restartAfterDown("storing originals")
	if err := <-ingestDone; err != nil {
		t.Fatalf("ingest through the outage: %v", err)
	}
	if len(res.Records) != files {
		t.Fatalf("ingest recorded %d files, want %d", len(res.Records), files)
	}

	// Outage 2: reading originals back and writing archives.
	runDone := make(chan error, 1)
	go func() { runDone <- p.Run(ctx, pipeline.RunOptions{Poll: 20 * time.Millisecond}) }()
	stopWhenAsked("run", runDone)
	restartAfterDown("processing")
	if n, err := h.db.Pending(ctx); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("%d jobs pending at the restart", n)
	}
	select {
	case err := <-runDone:
		if err != nil {
			t.Fatalf("run through the outage: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("run did not finish 2 minutes after the store came back")
	}

	for _, kind := range []string{"stat originals", "get originals", "put archives"} {
		if objects.count(kind) == 0 {
			t.Errorf("no %q failed during the outages: the test did not reach that stage (%v)", kind, objects.fails)
		}
	}
	t.Logf("operations that met the outage: %v", objects.fails)

	mu.Lock()
	var got []string
	for _, s := range states {
		got = append(got, fmt.Sprintf("down=%v", s.Down))
	}
	mu.Unlock()
	if want := "down=true down=false down=true down=false"; strings.Join(got, " ") != want {
		t.Errorf("store changes reported: %s; want %s (once per change, not per try)", strings.Join(got, " "), want)
	}

	checkBatchWhole(t, h, store, files)
}

// checkBatchWhole checks the catalog and the store after a batch: one
// record per file, every record final, nothing pending, every original
// and archive stored once and hashing to what the record says.
func checkBatchWhole(t *testing.T, h *harness, store storage.Objects, files int) {
	t.Helper()
	ctx := context.Background()
	recs, err := h.db.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != files {
		t.Fatalf("%d records, want %d (one per file)", len(recs), files)
	}
	sources := map[string]bool{}
	for _, r := range recs {
		if sources[r.Source] {
			t.Errorf("%s recorded twice", r.Source)
		}
		sources[r.Source] = true
		if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
			t.Errorf("%s: status %s (%s), want digitized or needs_review", r.Source, r.Status, r.Error)
		}
		pgs, err := h.db.Pages(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pgs) != r.Pages || r.Pages == 0 {
			t.Errorf("%s: %d of %d pages in the catalog", r.Source, len(pgs), r.Pages)
		}
		if got := hashObject(t, store, r.Original); got != r.SHA256 {
			t.Errorf("%s: original hashes to %s, record says %s", r.Source, got, r.SHA256)
		}
		if r.Archive == "" {
			t.Errorf("%s: no archive", r.Source)
		} else if info, err := store.Stat(ctx, r.Archive); err != nil {
			t.Errorf("%s: archive %s: %v", r.Source, r.Archive, err)
		} else if got := hashObject(t, store, r.Archive); got != info.SHA256 {
			t.Errorf("%s: archive hashes to %s, stored as %s", r.Source, got, info.SHA256)
		}
	}
	if n, err := h.db.Pending(ctx); err != nil || n != 0 {
		t.Errorf("%d jobs pending after the batch (%v), want 0", n, err)
	}
	for _, prefix := range []string{"originals/", "archives/"} {
		n := 0
		if err := store.List(ctx, prefix, func(storage.ObjectInfo) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != files {
			t.Errorf("%d objects under %s, want %d (one per file)", n, prefix, files)
		}
	}
	if err := h.db.IntegrityCheck(ctx); err != nil {
		t.Errorf("catalog integrity: %v", err)
	}
}

func hashObject(t *testing.T, store storage.Objects, key string) string {
	t.Helper()
	rc, _, err := store.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, rc); err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return hex.EncodeToString(hash.Sum(nil))
}

// pipelineWith is h.pipeline with the configuration edited first.
func (h *harness) pipelineWith(factory ocr.Factory, workers int, hooks pipeline.Hooks, edit func(*pipeline.Config)) *pipeline.Pipeline {
	h.t.Helper()
	cfg := pipeline.Config{
		Objects: h.objects, Catalog: h.db, Queue: h.db, OCR: factory, Workers: workers,
		Classifier: testModel(), TempDir: filepath.Join(h.dir, "tmp"), Hooks: hooks,
	}
	edit(&cfg)
	p, err := pipeline.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// TestLocalStoreDiskFull runs a batch with the local store on a disk that
// is full (a 4 MB tmpfs, filled): storing the originals waits, reported
// once, no record fails; once space is freed the batch completes whole.
// It needs the right to mount (root); without it the test skips, saying
// so, except as root under CI=true.
func TestLocalStoreDiskFull(t *testing.T) {
	requireTool(t, "pdftoppm")
	dir := t.TempDir()
	mnt := filepath.Join(dir, "disk")
	os.MkdirAll(mnt, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a 4 MB tmpfs to fill (%v: %s): this test needs root (or CAP_SYS_ADMIN)", err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatal(msg + " (CI=true and root: the mount should have worked)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if err := exec.Command("umount", mnt).Run(); err != nil {
			exec.Command("umount", "-l", mnt).Run()
		}
	})
	store, err := local.Open(filepath.Join(mnt, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(mnt, "filler")
	// Fill the disk: write until it refuses.
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	h := newHarness(t, store)
	in := filepath.Join(h.dir, "scans")
	os.MkdirAll(in, 0o755)
	const files = 3
	for i := int64(0); i < files; i++ {
		writeDoc(t, in, fmt.Sprintf("doc-%d.pdf", i), fixtures.NewDoc(700+i), fixtures.Options{DPI: 150, Format: "pdf"})
	}
	var (
		mu     sync.Mutex
		states []pipeline.StoreState
	)
	down := make(chan error, 1)
	var calls atomic.Int64
	factory := func() (ocr.Engine, error) {
		return &fakeEngine{calls: &calls, text: "ỦY BAN NHÂN DÂN\nSố: 12/QĐ-UBND\nngày 03 tháng 02 năm 2025\nQUYẾT ĐỊNH"}, nil
	}
	p := h.pipelineWith(factory, 2, pipeline.Hooks{Store: func(s pipeline.StoreState) {
		mu.Lock()
		states = append(states, s)
		mu.Unlock()
		if s.Down {
			down <- s.Err
		}
	}}, func(c *pipeline.Config) {
		c.RetryBase = 20 * time.Millisecond
		c.RetryMax = 200 * time.Millisecond
	})
	ctx := context.Background()
	ingested := make(chan error, 1)
	go func() {
		_, err := p.Ingest(ctx, pipeline.IngestRequest{Paths: []string{in}, Unit: "21181", Clerk: "test"}, nil)
		ingested <- err
	}()
	select {
	case err := <-down:
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("the store was reported down for %v, want no space left (ENOSPC)", err)
		}
	case err := <-ingested:
		t.Fatalf("ingest ended on a full disk (%v), want it to wait", err)
	case <-time.After(time.Minute):
		t.Fatal("a full disk under the store was never reported")
	}
	select {
	case err := <-ingested:
		t.Fatalf("ingest ended on a full disk (%v), want it to wait", err)
	case <-time.After(time.Second): // a second of retries on the full disk
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ingested:
		if err != nil {
			t.Fatalf("ingest after space was freed: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("ingest did not resume within a minute of space being freed")
	}
	if err := p.Run(ctx, pipeline.RunOptions{Poll: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := len(states)
	mu.Unlock()
	if n != 2 {
		t.Errorf("%d changes of the store reported, want 2 (down once, back once)", n)
	}
	checkBatchWhole(t, h, store, files)
}
