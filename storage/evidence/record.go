package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"sohoa/storage"
	"sohoa/storage/bagit"
	"sohoa/storage/catalog"
)

// addRecord puts one record's files under data/records/<id>/: the
// original, the archival PDF when there is one, record.json and
// events.json.
func (x Exporter) addRecord(ctx context.Context, bag *bagit.Writer, id int64) error {
	r, err := x.Catalog.Record(ctx, id)
	if err != nil {
		return fmt.Errorf("read record %d: %w", id, err)
	}
	dir := fmt.Sprintf("records/%d/", id)
	if r.Original == "" {
		return fmt.Errorf("hồ sơ #%d chưa có bản gốc trong kho (status %s): chạy sohoa worker rồi xuất lại (record %d has no stored original: run sohoa worker, then export again)", id, r.Status, id)
	}
	if err := x.addObject(ctx, bag, id, dir+"original."+originalExt(r), r.Original, r.SHA256); err != nil {
		return err
	}
	if r.Archive != "" {
		want, err := x.archiveSHA256(ctx, r.Archive)
		if err != nil {
			return fmt.Errorf("record %d: %w", id, err)
		}
		if err := x.addObject(ctx, bag, id, dir+"archive.pdf", r.Archive, want); err != nil {
			return err
		}
	}
	pages, err := x.Catalog.Pages(ctx, id)
	if err != nil {
		return fmt.Errorf("read pages of record %d: %w", id, err)
	}
	texts := make([]string, len(pages))
	for i, p := range pages {
		texts[i] = p.Text
	}
	if err := addJSON(ctx, bag, dir+"record.json", NewMetadata(r, strings.Join(texts, "\n\f"))); err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	history, err := x.history(ctx, id)
	if err != nil {
		return err
	}
	if err := addJSON(ctx, bag, dir+"events.json", history); err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	return nil
}

// archiveSHA256 is the sha256 the catalog recorded for an archival PDF
// when it was built, or "" when the catalog holds none (the store's own
// record is used then): checked against the catalog, a PDF rewritten in
// the store together with its metadata is still caught.
func (x Exporter) archiveSHA256(ctx context.Context, key string) (string, error) {
	if x.Sums == nil {
		return "", nil
	}
	o, err := x.Sums.StoredObject(ctx, key)
	if errors.Is(err, catalog.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return o.SHA256, nil
}

// history is a record's events for the bag, with their links in the
// audit chain when there is one, so the recipient can check them against
// the chain head in bag-info.txt.
func (x Exporter) history(ctx context.Context, id int64) ([]Event, error) {
	out := []Event{}
	if x.Chain != nil {
		events, err := x.Chain.AuditEvents(ctx, catalog.AuditFilter{RecordID: id})
		if err != nil {
			return nil, fmt.Errorf("read history of record %d: %w", id, err)
		}
		for _, ev := range events {
			b := NewEvent(ev.Event)
			b.PrevHash, b.Hash = ev.PrevHash, ev.Hash
			out = append(out, b)
		}
		return out, nil
	}
	events, err := x.Catalog.Events(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read history of record %d: %w", id, err)
	}
	for _, ev := range events {
		out = append(out, NewEvent(ev))
	}
	return out, nil
}

// addObject streams one stored object into the bag, checked against the
// sha256 the catalog holds (want) or, when empty, the one the store holds.
func (x Exporter) addObject(ctx context.Context, bag *bagit.Writer, id int64, path, key, want string) error {
	rc, info, err := x.Objects.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("hồ sơ #%d: %s không còn trong kho; chạy sohoa verify và báo CNTT (record %d: object missing from the store: run sohoa verify and tell IT)", id, key, id)
	}
	if err != nil {
		return fmt.Errorf("record %d: read %s from the store: %w", id, key, err)
	}
	defer rc.Close()
	if want == "" {
		want = info.SHA256
	}
	err = bag.Add(ctx, bagit.Entry{Path: path, Size: info.Size, Body: rc, SHA256: want})
	if errors.Is(err, storage.ErrChecksum) || errors.Is(err, bagit.ErrChecksum) {
		return fmt.Errorf("hồ sơ #%d: %s không khớp sha256 đã ghi — bản lưu có thể đã bị sửa; chạy sohoa verify và báo CNTT (record %d: the stored bytes do not match their sha256: run sohoa verify and tell IT): %w", id, key, id, err)
	}
	if err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	return nil
}

func addJSON(ctx context.Context, bag *bagit.Writer, path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	b = append(b, '\n')
	return bag.Add(ctx, bagit.Entry{Path: path, Size: int64(len(b)), Body: strings.NewReader(string(b)), Compress: true})
}

// Metadata is a record's record.json in a bag. Its names are the stable
// JSON contract of a record that `sohoa show --json` and `sohoa list
// --json` write too; keep the two alike.
type Metadata struct {
	ID             int64   `json:"id"`
	SHA256         string  `json:"sha256"`
	Unit           string  `json:"unit"`
	Batch          int64   `json:"batch"`
	Source         string  `json:"source"`
	Pages          int     `json:"pages"`
	Status         string  `json:"status"`
	DocType        string  `json:"doc_type"`
	Field          string  `json:"field"`
	Number         string  `json:"number"`
	IssuedOn       string  `json:"issued_on"`
	Issuer         string  `json:"issuer"`
	Subject        string  `json:"subject"`
	Text           string  `json:"text"`
	OCRConfidence  float64 `json:"ocr_confidence"`
	TypeConfidence float64 `json:"type_confidence"`
	Original       string  `json:"original"`
	Archive        string  `json:"archive"`
	Error          string  `json:"error"`

	// Beyond the contract: every field's own confidence, and links.
	Confidence  map[string]float64 `json:"confidence"`
	DuplicateOf int64              `json:"duplicate_of,omitempty"`
	ContentType string             `json:"content_type"`
	Size        int64              `json:"size"`
	CreatedAt   string             `json:"created_at"`

	// A document split from a stack: its pages of the original (both 0
	// for the whole file) and the record ingest made for the stack.
	FirstPage int    `json:"first_page,omitempty"`
	LastPage  int    `json:"last_page,omitempty"`
	SplitFrom int64  `json:"split_from,omitempty"`
	Split     string `json:"split,omitempty"`
}

// NewMetadata is the record.json of r with text, its pages' OCR text
// separated by form feeds.
func NewMetadata(r catalog.Record, text string) Metadata {
	return Metadata{
		ID: r.ID, SHA256: r.SHA256, Unit: r.Unit, Batch: r.BatchID, Source: r.Source, Pages: r.Pages,
		Status: string(r.Status), DocType: r.DocType.Value, Field: r.Field.Value, Number: r.Number.Value,
		IssuedOn: r.Issued.Value, Issuer: r.Issuer.Value, Subject: r.Subject.Value, Text: text,
		OCRConfidence: round3(r.OCRConfidence), TypeConfidence: round3(r.DocType.Confidence),
		Original: r.Original, Archive: r.Archive, Error: r.Error,
		Confidence: map[string]float64{
			"doc_type": round3(r.DocType.Confidence), "field": round3(r.Field.Confidence),
			"number": round3(r.Number.Confidence), "issued_on": round3(r.Issued.Confidence),
			"issuer": round3(r.Issuer.Confidence), "subject": round3(r.Subject.Confidence),
		},
		DuplicateOf: r.DuplicateOf, ContentType: r.ContentType, Size: r.Size,
		FirstPage: r.FirstPage, LastPage: r.LastPage, SplitFrom: r.SplitFrom, Split: r.Split,
		CreatedAt: r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
	}
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// Event is one event of a record's history in a bag's events.json.
type Event struct {
	ID       int64           `json:"id"`
	At       string          `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	RecordID int64           `json:"record_id"`
	Details  json.RawMessage `json:"details,omitempty"`
	// PrevHash and Hash link the event in the audit chain.
	PrevHash string `json:"prev_hash,omitempty"`
	Hash     string `json:"hash,omitempty"`
}

// NewEvent is ev as events.json holds it: details that are JSON kept as
// they are, any other text as a JSON string.
func NewEvent(ev catalog.Event) Event {
	b := Event{ID: ev.ID, At: ev.At.UTC().Format(time.RFC3339Nano), Actor: ev.Actor, Action: ev.Action, RecordID: ev.RecordID}
	switch {
	case ev.Details == "":
	case json.Valid([]byte(ev.Details)):
		b.Details = json.RawMessage(ev.Details)
	default:
		b.Details, _ = json.Marshal(ev.Details)
	}
	return b
}
