// Package catalog declares the catalog: batches of scans, the records made
// from them, their pages and OCR text, the durable job queue that drives the
// pipeline, and the event log of who did what.
//
// The embedded implementation is storage/catalog/sqlite. A shared
// PostgreSQL implementation for many workers is the next step; nothing
// outside that subpackage knows which database is behind the interface.
package catalog

import (
	"context"
	"errors"
	"time"

	"sohoa/ocr"
)

// Errors implementations map their database's errors to.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("not found in catalog")
	// ErrNoJob means the queue has no job ready to claim.
	ErrNoJob = errors.New("no job ready")
	// ErrLeaseLost means the job is no longer held by the caller (its
	// lease expired and another worker took it, or it was finished).
	ErrLeaseLost = errors.New("job lease lost")
)

// Status is where a record stands.
type Status string

// Record statuses. Only StatusDigitized records count toward targets.
const (
	StatusQueued      Status = "queued"       // stored, waiting for the pipeline
	StatusProcessing  Status = "processing"   // in the pipeline
	StatusDigitized   Status = "digitized"    // done, fields confident
	StatusNeedsReview Status = "needs_review" // done, a person must check it
	StatusFailed      Status = "failed"       // could not be processed; Error says why
	StatusDuplicate   Status = "duplicate"    // same bytes as DuplicateOf
)

// Final reports whether the pipeline has nothing more to do for s.
func (s Status) Final() bool {
	switch s {
	case StatusDigitized, StatusNeedsReview, StatusFailed, StatusDuplicate:
		return true
	}
	return false
}

// Batch is one run of ingest: the files a clerk handed over together.
type Batch struct {
	ID        int64
	Unit      string // commune/district/province code, may be empty
	Clerk     string
	CreatedAt time.Time
	// Key identifies the invocation (unit, clerk and the paths given), so a
	// re-run of an interrupted ingest finds and resumes its batch.
	Key string
	// Sealed is set once every file of the batch has a record.
	Sealed bool
}

// Field is one extracted value with the extractor's confidence (0..1).
type Field struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence"`
}

// Record is one document: one original file (or, when a stack is split, a
// page range of one) and everything the pipeline learnt about it.
type Record struct {
	ID          int64
	BatchID     int64
	Unit        string
	Source      string // file name as the clerk gave it
	SHA256      string // of the original file
	Size        int64
	ContentType string // sniffed from the bytes, e.g. "application/pdf"
	Pages       int
	Status      Status
	// Stage is the last pipeline stage completed (see pipeline.Stage*).
	Stage       string
	DuplicateOf int64 // for StatusDuplicate: the record holding these bytes

	// Split is how an ingested stack is to be split into documents ("" for
	// one document; "blank", "blank-duplex", "pages:N").
	Split string
	// FirstPage..LastPage is the record's page range of its original,
	// from 1; both 0 for the whole file (or a stack not yet split).
	FirstPage, LastPage int
	// SplitFrom is the record ingest made for the stack this document was
	// split from (itself the stack's first document); 0 if none.
	SplitFrom int64

	DocType Field
	Field   Field // lĩnh vực
	Number  Field // số ký hiệu, e.g. "86/QĐ-UBND"
	Issued  Field // ISO date "2025-01-16"
	Issuer  Field // "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
	Subject Field // trích yếu

	OCRConfidence float64 // mean over pages, 0..1
	Original      string  // object key of the untouched original
	Archive       string  // object key of the archival PDF, empty until built
	Error         string  // a message a clerk understands; empty when none

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Page is one page of a record with its text.
type Page struct {
	RecordID int64
	// N numbers pages from 1 in document order.
	N int
	// Source is "ocr" for recognised text, "text" for a born-digital
	// text layer.
	Source string
	// DPI is the resolution of the page image the words refer to.
	DPI float64
	ocr.Page
}

// Filter selects records for List. Zero fields do not filter.
type Filter struct {
	Unit    string
	Status  Status
	DocType string
	BatchID int64
	Limit   int
}

// Hit is one search result.
type Hit struct {
	RecordID int64
	Number   string
	Subject  string
	// Snippet is a piece of the record's text around the match, in the
	// original accents, with matches wrapped in [ and ].
	Snippet string
	// Score ranks hits; higher is better.
	Score float64
}

// Event is one entry of the append-only log of what happened.
type Event struct {
	ID       int64
	At       time.Time
	Actor    string // clerk name, or "sohoa" for the pipeline itself
	Action   string // "ingest", "store", "ocr", "classify", "archive", "fail", ...
	RecordID int64  // 0 when not about one record
	Details  string // JSON
}

// Catalog keeps batches, records, pages and events. Implementations are
// safe for concurrent use.
type Catalog interface {
	// OpenBatch returns the unsealed batch with b.Key if there is one (to
	// resume it), or creates b.
	OpenBatch(ctx context.Context, b Batch) (Batch, error)
	// SealBatch marks the batch as complete.
	SealBatch(ctx context.Context, id int64) error

	// AddRecord inserts r and, when enqueue is true, a job for it in the
	// same transaction, so no record exists without its job.
	AddRecord(ctx context.Context, r Record, enqueue bool) (Record, error)
	// Record returns the record with the id; ErrNotFound if none.
	Record(ctx context.Context, id int64) (Record, error)
	// RecordInBatch returns the record of batch made from source; ErrNotFound if none.
	RecordInBatch(ctx context.Context, batchID int64, source string) (Record, error)
	// FirstRecordWithSHA returns the oldest non-duplicate record holding
	// the bytes with the sha256; ErrNotFound if none.
	FirstRecordWithSHA(ctx context.Context, sha256hex string) (Record, error)
	// UpdateRecord writes every field of r (matched by ID) and refreshes
	// its search index entry.
	UpdateRecord(ctx context.Context, r Record) error
	// List returns records matching f, oldest first.
	List(ctx context.Context, f Filter) ([]Record, error)

	// PutPage inserts or replaces one page.
	PutPage(ctx context.Context, p Page) error
	// Pages returns a record's pages in order.
	Pages(ctx context.Context, recordID int64) ([]Page, error)

	// Search runs a full-text query over records' text and metadata,
	// ignoring case and accents (đ folds to d), best first.
	Search(ctx context.Context, query string, limit int) ([]Hit, error)

	// AppendEvent adds e to the log.
	AppendEvent(ctx context.Context, e Event) error
	// Events returns the events of a record, oldest first.
	Events(ctx context.Context, recordID int64) ([]Event, error)

	Close() error
}
