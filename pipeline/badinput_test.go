package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/fixtures"
	"sohoa/pipeline"
	"sohoa/storage/catalog"
	"sohoa/storage/local"
)

// badOutcome is what the clerk must see for one file of the bad-input
// corpus: processed (digitized or sent to review) or failed, and then the
// words of the Vietnamese and the English message.
type badOutcome struct {
	processed bool
	vi, en    string // both in Record.Error when failed
	// number is set when OCR must read the page's number: the page was
	// read upright and whole.
	number bool
	// contentType is the sniffed type, when the name says otherwise.
	contentType string
}

// TestBadInputCorpus ingests every file of fixtures.WriteBad and
// fixtures.WriteOdd with two good documents in one batch, through the real
// pipeline (SQLite, the local store, Tesseract with vie), and checks each
// file's outcome against the table: a clear failure naming the file and
// what to do, or a processed record; the original bytes kept in the store
// under the right sha256 either way; and the good documents finished.
func TestBadInputCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR end to end: not in -short")
	}
	requireTool(t, "pdftoppm")
	factory := realEngine(t)

	corrupt := badOutcome{vi: "bị hỏng hoặc không đầy đủ", en: "damaged or truncated"}
	notDoc := badOutcome{vi: "không phải tệp PDF hay ảnh quét", en: "not a PDF or a scanned image"}
	unsupported := badOutcome{vi: "chưa được hỗ trợ", en: "is not supported: rescan to PDF, TIFF, JPEG or PNG"}
	tooLarge := badOutcome{vi: "ảnh trang quá lớn", en: "too large to process safely"}
	table := map[string]badOutcome{
		// WriteBad: refused, with what to do.
		"empty.pdf":               {vi: "tệp rỗng", en: "the file is empty: rescan or copy the file again"},
		"truncated.pdf":           corrupt,
		"encrypted.pdf":           {vi: "có đặt mật khẩu", en: "password-protected: get a copy without a password"},
		"notes.pdf":               notDoc,
		"trang-web.pdf":           notDoc,
		"archive.tiff":            notDoc,
		"zero-pages.pdf":          {vi: "không có trang nào", en: "the file has no pages"},
		"bomb-nested.pdf":         corrupt,
		"bomb-loop.pdf":           corrupt,
		"bomb-flate.pdf":          {vi: "giải nén ra hơn 32 MB", en: "damaged or malicious PDF: print it and rescan it"},
		"old-jpeg.tif":            unsupported,
		"unknown-compression.tif": unsupported,
		"bigtiff.tif":             unsupported,
		"scan.gif":                unsupported,
		"huge.png":                {vi: "20000×20000", en: "(20000×20000 pixels): rescan at 300 dpi"},
		"huge-30000.png":          {vi: "30000×30000", en: "(30000×30000 pixels): rescan at 300 dpi"},
		"huge-30000.tif":          {vi: "30000×30000", en: "(30000×30000 pixels): rescan at 300 dpi"},
		"tiny-1x1.png":            {vi: "ảnh trang quá nhỏ (1×1 điểm ảnh)", en: "too small (1×1 pixels) to be a scanned page: rescan at 300 dpi"},
		// WriteOdd: processed. An owner password alone does not stop
		// anyone reading the PDF (pdfcpu and poppler open it with the
		// empty user password), so it is processed like any other scan.
		"scan-png.pdf":       {processed: true, number: true, contentType: "image/png"},
		"broken-xref.pdf":    {processed: true, number: true},
		"owner-password.pdf": {processed: true, number: true},
		"jbig2.pdf":          {processed: true, number: true},
		"exif-6.jpg":         {processed: true, number: true},
		"exif-8.jpg":         {processed: true, number: true},
		"gray16.png":         {processed: true, number: true},
		"cmyk.jpg":           {processed: true, number: true},
	}
	for _, k := range []string{"huge.png", "huge-30000.png", "huge-30000.tif"} {
		o := table[k]
		o.vi = tooLarge.vi + " (" + o.vi
		table[k] = o
	}

	h := newHarness(t, nil)
	objects, err := local.Open(filepath.Join(h.dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	h.objects = objects
	in := filepath.Join(h.dir, "scans")
	bad, err := fixtures.WriteBad(filepath.Join(in, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	odd, err := fixtures.WriteOdd(filepath.Join(in, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(bad, odd...) {
		if _, ok := table[c.File]; !ok {
			t.Errorf("%s (%s, %s) has no row in the table", c.File, c.Kind, c.Want)
		}
	}
	oddDoc := fixtures.NewDocOfType(20250117, "cong-van") // the document WriteOdd draws

	good := map[string]fixtures.Doc{}
	for name, spec := range map[string]struct {
		seed int64
		typ  string
		o    fixtures.Options
	}{
		"good-quyet-dinh.pdf": {301, "quyet-dinh", fixtures.Options{DPI: 300, Format: "pdf"}},
		"good-khai-sinh.tif":  {302, "giay-khai-sinh", fixtures.Options{DPI: 300, Format: "tiff-g4"}},
	} {
		d := fixtures.NewDocOfType(spec.seed, spec.typ)
		d.Pages = d.Pages[:1]
		writeDoc(t, in, name, d, spec.o)
		good[name] = d
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p := h.pipeline(factory, 2, pipeline.Hooks{})
	res, err := p.Ingest(ctx, pipeline.IngestRequest{Paths: []string{in}, Unit: "21181", Clerk: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unreadable) > 0 {
		t.Fatalf("unreadable: %v", res.Unreadable)
	}
	if got, want := len(res.Records), len(table)+len(good); got != want {
		t.Fatalf("%d records for %d files", got, want)
	}
	if err := p.Run(ctx, pipeline.RunOptions{}); err != nil {
		t.Fatalf("run: %v", err)
	}

	for _, r := range res.Records {
		r, err := h.db.Record(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(r.Source)
		t.Run(name, func(t *testing.T) {
			// Quarantine is the store: every file's bytes are kept, and
			// hash to the record's sha256, which is the input file's.
			onDisk := sumFile(t, filepath.Join(in, filepath.FromSlash(strings.TrimPrefix(r.Source, "scans/"))))
			rc, info, err := h.objects.Get(ctx, r.Original)
			if err != nil {
				t.Fatalf("original not kept: %v", err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != onDisk || r.SHA256 != onDisk || info.SHA256 != onDisk {
				t.Errorf("stored %s, record %s, object info %s; the file is %s", got, r.SHA256, info.SHA256, onDisk)
			}

			if d, ok := good[name]; ok {
				if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
					t.Fatalf("good document: status %s (%s)", r.Status, r.Error)
				}
				if r.Number.Value != d.Number || r.Archive == "" {
					t.Errorf("good document: number %q (want %q), archive %q", r.Number.Value, d.Number, r.Archive)
				}
				return
			}
			want := table[name]
			if want.contentType != "" && r.ContentType != want.contentType {
				t.Errorf("content type %s, want %s (sniffed from the bytes)", r.ContentType, want.contentType)
			}
			if !want.processed {
				if r.Status != catalog.StatusFailed {
					t.Fatalf("status %s, want failed", r.Status)
				}
				for _, s := range []string{name, want.vi, want.en} {
					if !strings.Contains(r.Error, s) {
						t.Errorf("message %q lacks %q", r.Error, s)
					}
				}
				return
			}
			if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
				t.Fatalf("status %s (%s), want processed", r.Status, r.Error)
			}
			if r.Pages != 1 || r.Archive == "" {
				t.Errorf("%d pages, archive %q; want 1 page and an archival copy", r.Pages, r.Archive)
			}
			if want.number && r.Number.Value != oddDoc.Number {
				pgs, _ := h.db.Pages(ctx, r.ID)
				text := ""
				if len(pgs) > 0 {
					text = pgs[0].Text
				}
				t.Errorf("number %q, want %q: the page was not read upright and whole; OCR text:\n%.300s", r.Number.Value, oddDoc.Number, text)
			}
		})
	}
}
