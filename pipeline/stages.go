package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // page image decoders for the handwriting reader
	_ "image/png"
	"io"
	"os"
	"strings"
	"time"

	_ "golang.org/x/image/tiff"

	"sohoa/ocr"
	"sohoa/pipeline/handwriting"
	_ "sohoa/pipeline/netpbm" // PNM pages (from TIFF and raw PDF images) for the handwriting reader
	"sohoa/pipeline/pages"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

type ocrEngine = ocr.Engine

// prepare fetches the original, counts its pages and sends the pages not
// yet recognised (after a crash some are already in the catalog) to the
// OCR workers. It reports whether the document is complete already and
// must go straight to a finisher.
func (p *Pipeline) prepare(ctx context.Context, d *document, pageCh chan<- pageTask) bool {
	if d.job.Attempts > p.cfg.MaxAttempts {
		return d.endSplit(&permanentError{msg: fmt.Sprintf(
			"%s: xử lý thất bại %d lần liên tiếp — báo cho bộ phận CNTT, bản gốc vẫn được giữ (processing failed %d times in a row: tell IT; the original is kept). Lần cuối / last: %s",
			d.rec.Source, d.job.Attempts-1, d.job.Attempts-1, d.job.LastError)})
	}
	path, err := p.fetchOriginal(ctx, d.rec)
	if err != nil {
		return d.endSplit(err)
	}
	d.path = path
	if isStack(d.rec) {
		if err := p.splitStack(ctx, d); err != nil {
			return d.endSplit(err)
		}
	}

	n, err := pages.Count(ctx, path, p.pagesOptions())
	if err != nil {
		return d.endSplit(p.inputError(d.rec, err))
	}
	if n, err = p.docPages(ctx, d.rec, n); err != nil {
		return d.endSplit(err)
	}
	if p.cfg.Hooks.Pages != nil {
		p.cfg.Hooks.Pages(d.rec.ID, n)
	}
	have, err := p.cfg.Catalog.Pages(ctx, d.rec.ID)
	if err != nil {
		return d.endSplit(fmt.Errorf("load pages of record %d: %w", d.rec.ID, err))
	}
	done := make(map[int]bool, len(have))
	for _, pg := range have {
		done[pg.N] = true
	}
	d.rec.Pages = n
	d.rec.Status = catalog.StatusProcessing
	if err := p.cfg.Catalog.UpdateRecord(ctx, d.rec); err != nil {
		return d.endSplit(fmt.Errorf("mark record %d processing: %w", d.rec.ID, err))
	}
	err = p.splitDoc(ctx, d.rec, path, func(pg pages.Page) error {
		if done[pg.N] {
			if p.cfg.Hooks.Page != nil {
				p.cfg.Hooks.Page(d.rec.ID, pg.N)
			}
			return nil
		}
		if d.failed() != nil {
			return nil // a page already failed: no use reading more
		}
		d.addPage()
		select {
		case pageCh <- pageTask{doc: d, page: pg}:
			return nil
		case <-ctx.Done():
			d.pageDone()
			return ctx.Err()
		}
	})
	if err != nil && ctx.Err() == nil {
		err = p.inputError(d.rec, err)
	}
	return d.endSplit(err)
}

func (p *Pipeline) pagesOptions() pages.Options {
	o := p.cfg.Pages
	if o.TempDir == "" {
		o.TempDir = p.cfg.TempDir
	}
	return o
}

// fetchOriginal copies the original out of the store into a temp file and
// checks it still hashes to the record's sha256.
func (p *Pipeline) fetchOriginal(ctx context.Context, r catalog.Record) (string, error) {
	rc, _, err := p.cfg.Objects.Get(ctx, r.Original)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return "", &permanentError{msg: fmt.Sprintf(
				"%s: bản gốc không còn trong kho lưu trữ (%s) — báo ngay cho bộ phận CNTT (the stored original is missing: tell IT at once)", r.Source, r.Original), err: err}
		}
		return "", fmt.Errorf("fetch original %s: %w", r.Original, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(p.cfg.TempDir, tempPattern("original", ""))
	if err != nil {
		return "", fmt.Errorf("fetch original: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("fetch original %s: %w", r.Original, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != r.SHA256 {
		os.Remove(f.Name())
		return "", &permanentError{msg: fmt.Sprintf(
			"%s: bản gốc trong kho đã bị thay đổi (sha256 %s, đúng ra %s) — báo ngay cho bộ phận CNTT (the stored original was altered: tell IT at once)", r.Source, got, r.SHA256)}
	}
	return f.Name(), nil
}

// recognize reads one page (OCR, or its own text layer) and keeps the
// result in the catalog. It reports whether the document is now complete.
func (p *Pipeline) recognize(ctx context.Context, e ocr.Engine, t pageTask) bool {
	d := t.doc
	if d.failed() != nil || ctx.Err() != nil {
		return d.pageDone()
	}
	var (
		pg  ocr.Page
		src = "ocr"
		err error
	)
	if t.page.TextLayer != nil {
		pg, src = *t.page.TextLayer, "text"
	} else {
		pg, err = e.Recognize(ctx, t.page.Image)
		if err == nil {
			pg = refineHandwriting(e, pg, t.page.Image, t.page.N == 1)
		}
	}
	switch {
	case errors.Is(err, ocr.ErrBadImage):
		d.fail(&permanentError{msg: fmt.Sprintf(
			"%s: trang %d không đọc được như một ảnh — hãy quét lại trang này (page %d cannot be read as an image: rescan it)", d.rec.Source, t.page.N, t.page.N), err: err})
	case err != nil:
		d.fail(fmt.Errorf("ocr page %d of %s: %w", t.page.N, d.rec.Source, err))
	default:
		err = p.cfg.Catalog.PutPage(ctx, catalog.Page{RecordID: d.rec.ID, N: t.page.N, Source: src, DPI: t.page.Image.DPI, Page: pg})
		if err != nil {
			d.fail(fmt.Errorf("save page %d of %s: %w", t.page.N, d.rec.Source, err))
		} else if p.cfg.Hooks.Page != nil {
			p.cfg.Hooks.Page(d.rec.ID, t.page.N)
		}
	}
	return d.pageDone()
}

// permanentError is a failure that retrying cannot fix: the record is
// failed with msg, which a clerk reads.
type permanentError struct {
	msg string
	err error
}

func (e *permanentError) Error() string { return e.msg }
func (e *permanentError) Unwrap() error { return e.err }

// inputError turns a page-splitting failure into what the clerk reads:
// bad input is permanent, anything else (a full disk, a killed renderer)
// is retried.
func (p *Pipeline) inputError(r catalog.Record, err error) error {
	var ie *pages.InputError
	if errors.As(err, &ie) {
		ie.File = r.Source
		return &permanentError{msg: ie.Message(), err: err}
	}
	return fmt.Errorf("split %s into pages: %w", r.Source, err)
}

// clerkMessage is the one-line reason a clerk reads for a failure.
func clerkMessage(err error) string {
	var pe *permanentError
	if errors.As(err, &pe) {
		return pe.msg
	}
	msg := err.Error()
	if errors.Is(err, storage.ErrUnavailable) {
		return "không kết nối được kho lưu trữ — sẽ tự thử lại (the object store is unreachable: retrying): " + msg
	}
	return strings.TrimSpace(msg)
}

// retryAt is when a failed job runs again.
func (p *Pipeline) retryAt(attempts int) time.Time { return time.Now().Add(p.backoff(attempts)) }

// refineHandwriting reads what a clerk wrote by hand (the number on the
// first page, the day of a date line on any page), which Tesseract's
// printed-text models cannot, and puts the digits in place of what OCR
// made of them. A page image that does not decode is left as OCR read it.
//
// Only the part of the page the reader needs is taken, from the pixels the
// engine decoded for OCR when it kept them (a PNG or PNM page): decoding a
// 300-dpi colour PNG a second time in Go cost 8% of an ingest's CPU time.
func refineHandwriting(e ocr.Engine, pg ocr.Page, img ocr.Image, first bool) ocr.Page {
	area := handwriting.Area(pg, first)
	if area.Empty() {
		return pg
	}
	if rr, ok := e.(ocr.RegionReader); ok {
		if part, ok := rr.ReadRegion(area); ok {
			return handwriting.Refine(pg, part, first)
		}
	}
	decoded, _, err := image.Decode(bytes.NewReader(img.Data))
	if err != nil {
		return pg
	}
	return handwriting.Refine(pg, decoded, first)
}
