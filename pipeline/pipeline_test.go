package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/ocr/tesseract"
	"sohoa/pipeline"
	"sohoa/pipeline/classify"
	"sohoa/pipeline/vntext"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

func TestMain(m *testing.M) {
	if err := tesseract.ReexecWithThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

// objectStores are the implementations every pipeline test runs against:
// the embedded local folder and a real MinIO server.
func objectStores() []struct {
	name string
	open func(t *testing.T) storage.Objects
} {
	return []struct {
		name string
		open func(t *testing.T) storage.Objects
	}{
		{"local", func(t *testing.T) storage.Objects {
			s, err := local.Open(filepath.Join(t.TempDir(), "objects"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"s3", func(t *testing.T) storage.Objects {
			srv := s3test.Shared(t)
			s, err := s3.Open(context.Background(), srv.Config(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

var (
	modelOnce sync.Once
	model     *classify.Model
)

// testModel is the classifier trained as the command trains it, on
// generated documents with seeds the tests' documents do not use.
func testModel() *classify.Model {
	modelOnce.Do(func() {
		docs := fixtures.TrainingSet(7_000_001, 1500)
		ex := make([]classify.Example, len(docs))
		for i, d := range docs {
			ex[i] = classify.Example{Text: d.Text(), DocType: d.DocType, Field: d.Field}
		}
		model = classify.Train(ex)
	})
	return model
}

type harness struct {
	t       *testing.T
	dir     string
	db      *sqlite.DB
	objects storage.Objects
	pages   atomic.Int64
}

func newHarness(t *testing.T, objects storage.Objects) *harness {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &harness{t: t, dir: dir, db: db, objects: objects}
}

func (h *harness) pipeline(factory ocr.Factory, workers int, hooks pipeline.Hooks) *pipeline.Pipeline {
	h.t.Helper()
	page := hooks.Page
	hooks.Page = func(id int64, n int) {
		h.pages.Add(1)
		if page != nil {
			page(id, n)
		}
	}
	p, err := pipeline.New(pipeline.Config{
		Objects: h.objects, Catalog: h.db, Queue: h.db, OCR: factory, Workers: workers,
		Classifier: testModel(), TempDir: filepath.Join(h.dir, "tmp"), Hooks: hooks,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// writeDoc renders a generated document into dir and returns its path.
func writeDoc(t *testing.T, dir, name string, d fixtures.Doc, o fixtures.Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := fixtures.WriteDoc(&buf, d, o); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sumFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: run `make setup`", name)
		}
		t.Skipf("%s is missing: run `make setup`", name)
	}
}

func realEngine(t *testing.T) ocr.Factory {
	t.Helper()
	e, err := tesseract.New(tesseract.Options{})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tesseract: %v", err)
		}
		t.Skipf("tesseract: %v", err)
	}
	e.Close()
	return tesseract.Factory(tesseract.Options{})
}

// TestIngestEndToEnd runs the whole pipeline on real parts — Tesseract
// with vie, SQLite, and each object store — over a batch mixing every
// input format, a real signed scan, a duplicate and bad files.
func TestIngestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR end to end: not in -short")
	}
	requireTool(t, "pdftotext")
	factory := realEngine(t)
	for _, st := range objectStores() {
		t.Run(st.name, func(t *testing.T) {
			h := newHarness(t, st.open(t))
			in := filepath.Join(h.dir, "scans")
			if err := os.MkdirAll(filepath.Join(in, "bad"), 0o755); err != nil {
				t.Fatal(err)
			}
			type truth struct {
				doc   fixtures.Doc
				clean bool
			}
			want := map[string]truth{}
			add := func(name string, seed int64, typ string, o fixtures.Options) {
				d := fixtures.NewDocOfType(seed, typ)
				if (o.Format == "png" || o.Format == "jpeg") && len(d.Pages) > 1 {
					d.Pages = d.Pages[:1]
				}
				writeDoc(t, in, name, d, o)
				want[name] = truth{d, !o.Degrade}
			}
			add("a-quyet-dinh.pdf", 101, "quyet-dinh", fixtures.Options{DPI: 300, Format: "pdf"})
			add("b-khai-sinh.tif", 102, "giay-khai-sinh", fixtures.Options{DPI: 300, Format: "tiff-g4"})
			add("c-thong-bao.jpg", 103, "thong-bao", fixtures.Options{DPI: 200, Degrade: true, Format: "jpeg"})
			add("d-cong-van.png", 104, "cong-van", fixtures.Options{DPI: 300, Format: "png"})
			copyFile(t, filepath.Join("..", "fixtures", "real", "86_QD_CT.signed_20250510_124908.pdf"), filepath.Join(in, "real-86.pdf"))
			copyFile(t, filepath.Join(in, "a-quyet-dinh.pdf"), filepath.Join(in, "e-copy-of-a.pdf"))
			bad, err := fixtures.WriteBad(filepath.Join(in, "bad"))
			if err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			final := map[int64]catalog.Record{}
			p := h.pipeline(factory, 2, pipeline.Hooks{Record: func(r catalog.Record) {
				mu.Lock()
				final[r.ID] = r
				mu.Unlock()
			}})
			ctx := context.Background()
			res, err := p.Ingest(ctx, pipeline.IngestRequest{Paths: []string{in}, Unit: "21181", Clerk: "test"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Unreadable) > 0 {
				t.Fatalf("unreadable: %v", res.Unreadable)
			}
			if got, wantN := len(res.Records), len(want)+2+len(bad); got != wantN {
				t.Fatalf("%d records for %d files", got, wantN)
			}
			if err := p.Run(ctx, pipeline.RunOptions{}); err != nil {
				t.Fatal(err)
			}

			byName := map[string]catalog.Record{}
			for _, r := range res.Records {
				cur, err := h.db.Record(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !cur.Status.Final() {
					t.Errorf("%s: status %s after the run, want a final one", cur.Source, cur.Status)
				}
				byName[filepath.Base(cur.Source)] = cur
				// Every file's bytes are kept, bad ones too, and hash right.
				rc, info, err := h.objects.Get(ctx, cur.Original)
				if err != nil {
					t.Fatalf("%s: original not stored: %v", cur.Source, err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				s := sha256.Sum256(b)
				if hex.EncodeToString(s[:]) != cur.SHA256 || info.SHA256 != cur.SHA256 {
					t.Errorf("%s: stored original does not hash to the record's sha256", cur.Source)
				}
			}
			mu.Lock()
			reported := len(final)
			mu.Unlock()
			if reported != len(res.Records) {
				t.Errorf("hooks reported %d final records, want %d", reported, len(res.Records))
			}

			for name, tr := range want {
				r := byName[name]
				if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
					t.Errorf("%s: status %s (%s)", name, r.Status, r.Error)
					continue
				}
				if r.Pages != len(tr.doc.Pages) {
					t.Errorf("%s: %d pages, want %d", name, r.Pages, len(tr.doc.Pages))
				}
				if r.Archive == "" {
					t.Errorf("%s: no archival copy", name)
				}
				if tr.clean {
					if r.DocType.Value != tr.doc.DocType {
						t.Errorf("%s: type %q (%.2f), want %q", name, r.DocType.Value, r.DocType.Confidence, tr.doc.DocType)
					}
					if r.Number.Value != tr.doc.Number {
						t.Errorf("%s: number %q, want %q", name, r.Number.Value, tr.doc.Number)
					}
					if r.Issued.Value != tr.doc.IssuedOn {
						t.Errorf("%s: issued %q, want %q", name, r.Issued.Value, tr.doc.IssuedOn)
					}
				}
			}

			real := byName["real-86.pdf"]
			if real.DocType.Value != "quyet-dinh" || real.Pages != 2 {
				t.Errorf("real scan: type %q, %d pages; want quyet-dinh, 2", real.DocType.Value, real.Pages)
			}
			checkArchiveText(t, h, real, []string{"QUYẾT ĐỊNH", "ỦY BAN NHÂN DÂN", "Thanh tra viên"})

			dup := byName["e-copy-of-a.pdf"]
			if dup.Status != catalog.StatusDuplicate || dup.DuplicateOf != byName["a-quyet-dinh.pdf"].ID {
				t.Errorf("copy of a: status %s, duplicate of %d; want duplicate of %d", dup.Status, dup.DuplicateOf, byName["a-quyet-dinh.pdf"].ID)
			}

			for _, b := range bad {
				r := byName[filepath.Base(b.File)]
				if r.Status != catalog.StatusFailed {
					t.Errorf("bad input %s (%s): status %s, want failed", b.File, b.Kind, r.Status)
					continue
				}
				if !strings.Contains(r.Error, filepath.Base(b.File)) {
					t.Errorf("bad input %s: message %q does not name the file", b.File, r.Error)
				}
			}

			hits, err := h.db.Search(ctx, "bo nhiem thanh tra vien", 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 || hits[0].RecordID != real.ID {
				t.Errorf("search without accents did not find the real decision first: %+v", hits)
			}
		})
	}
}

// checkArchiveText extracts the archival PDF's text with poppler and looks
// for words with their accents.
func checkArchiveText(t *testing.T, h *harness, r catalog.Record, words []string) {
	t.Helper()
	rc, _, err := h.objects.Get(context.Background(), r.Archive)
	if err != nil {
		t.Fatalf("archive of %s: %v", r.Source, err)
	}
	defer rc.Close()
	path := filepath.Join(h.dir, fmt.Sprintf("archive-%d.pdf", r.ID))
	b, _ := io.ReadAll(rc)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := vntext.NFC(string(out))
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("pdftotext of the archive of %s lacks %q", r.Source, w)
		}
	}
}

// fakeEngine "reads" a page by returning a fixed text; it stands in for
// Tesseract where a test is about the pipeline's bookkeeping, not reading.
type fakeEngine struct {
	calls *atomic.Int64
	text  string
}

func (f *fakeEngine) Recognize(ctx context.Context, img ocr.Image) (ocr.Page, error) {
	if err := ctx.Err(); err != nil {
		return ocr.Page{}, err
	}
	f.calls.Add(1)
	if len(img.Data) == 0 {
		return ocr.Page{}, ocr.ErrBadImage
	}
	var words []ocr.Word
	for i, line := range strings.Split(f.text, "\n") {
		x := 100
		for _, w := range strings.Fields(line) {
			words = append(words, ocr.Word{Text: w, Line: i, Confidence: 0.95,
				Box: rectAt(x, 100+40*i, 20*len([]rune(w)), 30)})
			x += 20*len([]rune(w)) + 15
		}
	}
	return ocr.Page{Text: f.text, Words: words, Confidence: 0.95, Width: img.Width, Height: img.Height}, nil
}

func (f *fakeEngine) Close() error { return nil }

// TestResumeAfterInterruption stops a run part-way (as Ctrl-C or a killed
// process would), runs again, and checks nothing is lost, repeated or left
// half-done.
func TestResumeAfterInterruption(t *testing.T) {
	requireTool(t, "pdftoppm")
	for _, st := range objectStores() {
		t.Run(st.name, func(t *testing.T) {
			h := newHarness(t, st.open(t))
			in := filepath.Join(h.dir, "scans")
			os.MkdirAll(in, 0o755)
			total := 0
			for i := int64(0); i < 6; i++ {
				d := fixtures.NewDoc(200 + i)
				total += len(d.Pages)
				writeDoc(t, in, fmt.Sprintf("doc-%d.pdf", i), d, fixtures.Options{DPI: 200, Format: "pdf"})
			}
			var calls atomic.Int64
			factory := func() (ocr.Engine, error) {
				return &fakeEngine{calls: &calls, text: "ỦY BAN NHÂN DÂN\nXÃ TỊNH PHONG\nSố: 12/QĐ-UBND\nTịnh Phong, ngày 03 tháng 02 năm 2025\nQUYẾT ĐỊNH\nVề việc cấp phép"}, nil
			}
			ctx, cancel := context.WithCancel(context.Background())
			var seen atomic.Int64
			p := h.pipeline(factory, 2, pipeline.Hooks{Page: func(int64, int) {
				if seen.Add(1) == int64(total/2) {
					cancel()
				}
			}})
			req := pipeline.IngestRequest{Paths: []string{in}, Unit: "21181", Clerk: "test"}
			res, err := p.Ingest(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Run(ctx, pipeline.RunOptions{}); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
			}
			// An interrupted run hands its jobs back instead of leaving
			// them leased until the lease runs out.
			if running, err := h.db.Running(context.Background()); err != nil || len(running) != 0 {
				t.Errorf("after the interrupted run: %d jobs still leased (%v), want 0", len(running), err)
			}

			// Again, as the clerk would: the same command.
			p2 := h.pipeline(factory, 2, pipeline.Hooks{})
			res2, err := p2.Ingest(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res2.Batch.ID != res.Batch.ID {
				t.Errorf("re-run opened batch %d, want to resume batch %d", res2.Batch.ID, res.Batch.ID)
			}
			if err := p2.Run(context.Background(), pipeline.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			recs, err := h.db.List(context.Background(), catalog.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 6 {
				t.Fatalf("%d records after resume, want 6 (one per file)", len(recs))
			}
			for _, r := range recs {
				if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
					t.Errorf("%s: %s (%s)", r.Source, r.Status, r.Error)
				}
				pgs, err := h.db.Pages(context.Background(), r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(pgs) != r.Pages || r.Archive == "" {
					t.Errorf("%s: %d of %d pages, archive %q", r.Source, len(pgs), r.Pages, r.Archive)
				}
			}
			// Pages read before the interruption are not read again; only
			// those in flight when it came may be.
			if got := calls.Load(); got < int64(total) || got > int64(total+2*2) {
				t.Errorf("%d recognitions for %d pages", got, total)
			}
			if n, _ := h.db.Pending(context.Background()); n != 0 {
				t.Errorf("%d jobs still pending", n)
			}
		})
	}
}

func rectAt(x, y, w, h int) (r image.Rectangle) { return image.Rect(x, y, x+w, y+h) }
