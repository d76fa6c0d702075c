package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"sohoa/ocr"
	"sohoa/pipeline/archive"
	"sohoa/pipeline/classify"
	"sohoa/pipeline/extract"
	"sohoa/pipeline/pages"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// complete ends a document: on failure the record is failed (bad input) or
// its job retried later (anything transient); on success its fields are
// extracted, the archival PDF built and stored, and the record finalised.
func (p *Pipeline) complete(ctx context.Context, owner string, d *document) {
	defer func() {
		if d.path != "" {
			os.Remove(d.path)
		}
	}()
	if d.isLost() || ctx.Err() != nil {
		return // the job goes back to the queue (or already belongs to another worker)
	}
	err := d.failed()
	if err == nil {
		err = p.finish(ctx, d)
	}
	if ctx.Err() != nil {
		return // cut short: the job goes back to the queue
	}
	// From here the outcome is decided: telling the queue is not cut short
	// by a cancellation arriving now, or the job would stay leased.
	ctx, done := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer done()
	if err == nil {
		if ferr := p.cfg.Queue.Finish(ctx, d.job.ID, owner); ferr != nil {
			p.log.Warn("finish job", "job", d.job.ID, "err", ferr)
			return // left in active: handed back at the end of the run
		}
		d.settle()
		p.report(d.rec)
		return
	}
	var pe *permanentError
	if !errors.As(err, &pe) && d.job.Attempts < p.cfg.MaxAttempts {
		p.log.Warn("job will be retried", "record", d.rec.ID, "source", d.rec.Source, "attempt", d.job.Attempts, "err", err)
		if rerr := p.cfg.Queue.Retry(ctx, d.job.ID, owner, p.retryAt(d.job.Attempts), err.Error()); rerr != nil {
			p.log.Error("retry job", "job", d.job.ID, "err", rerr)
			catalogRefused(ctx, rerr)
		}
		d.settle()
		return
	}
	d.rec.Status = catalog.StatusFailed
	d.rec.Error = clerkMessage(err)
	if uerr := p.cfg.Catalog.UpdateRecord(ctx, d.rec); uerr != nil {
		p.log.Error("record failure", "record", d.rec.ID, "err", uerr)
		catalogRefused(ctx, uerr)
		_ = p.cfg.Queue.Retry(ctx, d.job.ID, owner, p.retryAt(d.job.Attempts), uerr.Error())
		d.settle()
		return
	}
	p.event(ctx, "fail", d.rec.ID, map[string]any{"error": d.rec.Error})
	if ferr := p.cfg.Queue.Fail(ctx, d.job.ID, owner, d.rec.Error); ferr != nil {
		p.log.Warn("fail job", "job", d.job.ID, "err", ferr)
	}
	d.settle()
	p.log.Info("record failed", "record", d.rec.ID, "source", d.rec.Source, "error", d.rec.Error)
	p.report(d.rec)
}

func (p *Pipeline) report(r catalog.Record) {
	if p.cfg.Hooks.Record != nil {
		p.cfg.Hooks.Record(r)
	}
}

// finish runs the last stages on a document whose pages all have text.
func (p *Pipeline) finish(ctx context.Context, d *document) error {
	pgs, err := p.cfg.Catalog.Pages(ctx, d.rec.ID)
	if err != nil {
		return fmt.Errorf("load pages of %s: %w", d.rec.Source, err)
	}
	if len(pgs) != d.rec.Pages {
		return fmt.Errorf("%s has %d of %d pages recognised", d.rec.Source, len(pgs), d.rec.Pages)
	}
	texts := make([]ocr.Page, len(pgs))
	var conf float64
	var parts []string
	for i, pg := range pgs {
		texts[i] = pg.Page
		conf += pg.Confidence
		parts = append(parts, pg.Text)
	}
	if len(pgs) > 0 {
		conf /= float64(len(pgs))
	}
	d.rec.OCRConfidence = conf
	d.rec.Stage = StageOCR
	bySource := map[string]int{}
	for _, pg := range pgs {
		bySource[pg.Source]++
	}
	p.event(ctx, "ocr", d.rec.ID, map[string]any{"pages": len(pgs), "confidence": conf, "sources": bySource})

	fields := extract.Extract(texts)
	res := p.cfg.Classifier.Classify(strings.Join(parts, "\n\f"), fields)
	d.rec.DocType = catalog.Field{Value: res.DocType, Confidence: res.TypeConfidence}
	d.rec.Field = catalog.Field{Value: res.Field, Confidence: res.FieldConfidence}
	number, why := classify.ReconcileNumber(res, fields, p.cfg.Threshold)
	if why != "" {
		res.Reasons = append(res.Reasons, why)
	}
	d.rec.Number = catalog.Field(number)
	d.rec.Issued = catalog.Field(fields.Issued)
	d.rec.Issuer = catalog.Field(fields.Issuer)
	d.rec.Subject = catalog.Field(fields.Subject)
	p.event(ctx, "classify", d.rec.ID, map[string]any{
		"doc_type": res.DocType, "type_confidence": res.TypeConfidence, "field": res.Field,
		"number": number.Value, "issued_on": fields.Issued.Value, "reasons": res.Reasons,
	})
	confirmed, err := p.keepReview(ctx, &d.rec)
	if err != nil {
		return err
	}

	key, err := p.buildArchive(ctx, d, pgs)
	if err != nil {
		return err
	}
	d.rec.Archive = key
	d.rec.Stage = StageArchived

	d.rec.Status, d.rec.Error = p.judge(d.rec)
	if confirmed {
		d.rec.Status, d.rec.Error = catalog.StatusDigitized, ""
	}
	d.rec.Stage = StageDone
	if err := p.cfg.Catalog.UpdateRecord(ctx, d.rec); err != nil {
		return fmt.Errorf("save record %d: %w", d.rec.ID, err)
	}
	p.event(ctx, "index", d.rec.ID, map[string]any{"status": d.rec.Status, "archive": key})
	return nil
}

// reviewed is a catalog that keeps what a person set on a record and
// whether they confirmed it (storage/catalog/sqlite, `sohoa review`).
type reviewed interface {
	PersonSet(ctx context.Context, recordID int64) (fields map[string]string, confirmed bool, err error)
}

// keepReview puts back the values a person set on r over what was just
// read, so processing a record again (doctor --repair rebuilding its
// archive, a retrained classifier) never undoes a clerk's correction. It
// reports whether a person confirmed the record, which then stays
// digitized.
func (p *Pipeline) keepReview(ctx context.Context, r *catalog.Record) (bool, error) {
	rv, ok := p.cfg.Catalog.(reviewed)
	if !ok {
		return false, nil
	}
	set, confirmed, err := rv.PersonSet(ctx, r.ID)
	if err != nil {
		return false, fmt.Errorf("read corrections of record %d: %w", r.ID, err)
	}
	byName := map[string]*catalog.Field{"doc_type": &r.DocType, "field": &r.Field, "number": &r.Number,
		"issued_on": &r.Issued, "issuer": &r.Issuer, "subject": &r.Subject}
	for name, v := range set {
		if f := byName[name]; f != nil {
			*f = catalog.Field{Value: v, Confidence: 1}
		}
	}
	return confirmed, nil
}

// judge decides between digitized and needs_review: a record is digitized
// only when its type and the fields every result carries were read with
// confidence; otherwise a person must look, and the reason says what.
func (p *Pipeline) judge(r catalog.Record) (catalog.Status, string) {
	thr := p.cfg.Threshold
	var doubts []string
	if r.DocType.Confidence < thr {
		doubts = append(doubts, "loại văn bản (type)")
	}
	if r.DocType.Value != "khac" && r.Number.Confidence < thr {
		doubts = append(doubts, "số ký hiệu (number)")
	}
	if r.Issued.Confidence < thr {
		doubts = append(doubts, "ngày ban hành (issue date)")
	}
	if r.OCRConfidence < 0.5 {
		doubts = append(doubts, "chất lượng ảnh quét (scan quality)")
	}
	if len(doubts) == 0 {
		return catalog.StatusDigitized, ""
	}
	return catalog.StatusNeedsReview, "cần kiểm tra / needs review: " + strings.Join(doubts, ", ")
}

// buildArchive writes the searchable archival PDF (page images with an
// invisible text layer) and stores it next to the original. The page
// images are split from the original again rather than kept from OCR, so
// memory holds one page at a time and a resumed job needs nothing else.
func (p *Pipeline) buildArchive(ctx context.Context, d *document, pgs []catalog.Page) (string, error) {
	f, err := os.CreateTemp(p.cfg.TempDir, tempPattern("archive", ".pdf"))
	if err != nil {
		return "", fmt.Errorf("build archive: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	meta := archive.Meta{
		Title:    firstNonEmpty(d.rec.Subject.Value, d.rec.Source),
		Subject:  strings.TrimSpace(classify.TypeName(d.rec.DocType.Value) + " " + d.rec.Number.Value),
		Author:   d.rec.Issuer.Value,
		Keywords: d.rec.Number.Value,
		Producer: "sohoa",
		Created:  time.Now(),
		Lang:     "vi",
	}
	aw, err := archive.NewWriter(io.MultiWriter(f, h), meta)
	if err != nil {
		return "", fmt.Errorf("build archive of %s: %w", d.rec.Source, err)
	}
	err = p.splitDoc(ctx, d.rec, d.path, func(pg pages.Page) error {
		if pg.N < 1 || pg.N > len(pgs) {
			return fmt.Errorf("page %d appeared on the second read only", pg.N)
		}
		return aw.AddPage(archive.Page{Image: pg.Image, Text: pgs[pg.N-1].Page})
	})
	if err == nil {
		err = aw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("build archive of %s: %w", d.rec.Source, err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	key := archiveKey(d.rec)
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := p.cfg.Objects.Put(ctx, key, f, size, storage.PutOptions{ContentType: "application/pdf", SHA256: sum}); err != nil {
		return "", fmt.Errorf("store archive of %s: %w", d.rec.Source, err)
	}
	// The catalog keeps the archive's sha256 apart from the store's own
	// record of it, so fixity checks catch both being rewritten.
	if as, ok := p.cfg.Catalog.(catalog.ArchiveSums); ok {
		if err := as.SetArchiveSHA256(ctx, d.rec.ID, sum); err != nil {
			return "", fmt.Errorf("record archive sha256 of %s: %w", d.rec.Source, err)
		}
	}
	p.event(ctx, "archive", d.rec.ID, map[string]any{"key": key, "size": size, "sha256": sum})
	return key, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
