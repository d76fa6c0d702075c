// Package pipeline carries a batch of scans from the clerk's folder to the
// catalog: store the untouched original, split it into page images, OCR
// every page, extract and classify, build the archival PDF, index.
//
// Ingest stores originals and queues one durable job per record; Run
// drains the queue with concurrent stages joined by bounded channels. Every
// stage is idempotent and its result durable (pages in the catalog, objects
// in the store), so a process killed at any moment resumes where it stopped
// when run again.
package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"time"

	"sohoa/ocr"
	"sohoa/pipeline/classify"
	"sohoa/pipeline/pages"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// Config wires a Pipeline to its parts.
type Config struct {
	Objects storage.Objects
	Catalog catalog.Catalog
	Queue   catalog.Queue
	// OCR makes one engine per OCR worker.
	OCR ocr.Factory
	// Workers is the number of OCR workers; default runtime.NumCPU().
	Workers int
	// Classifier types documents; required.
	Classifier *classify.Model
	// Threshold is the confidence under which a field sends the record
	// to review; default classify.DefaultThreshold.
	Threshold float64
	// Pages limits what page splitting accepts.
	Pages pages.Options
	// TempDir holds originals being processed; default os.TempDir().
	TempDir string
	// Lease is how long a claimed job stays ours without renewal;
	// default 2 minutes.
	Lease time.Duration
	// MaxAttempts fails a job that was claimed this many times without
	// finishing (a page that crashes the OCR engine, say); default 5.
	MaxAttempts int
	// RetryBase is the first wait before trying again what failed for a
	// passing reason (the object store unreachable, a job to retry); each
	// later wait doubles, up to RetryMax, with full jitter so workers do
	// not retry in step. Default 1 s and 5 minutes; tests shorten them.
	RetryBase time.Duration
	RetryMax  time.Duration
	// Actor names who the events are recorded for; default "sohoa".
	Actor  string
	Logger *slog.Logger
	// Hooks report progress; any may be nil.
	Hooks Hooks
}

// Hooks let the caller follow the work, for a progress bar or a log. They
// are called from the pipeline's goroutines and must not block for long.
type Hooks struct {
	// Pages reports that a record's page count is known.
	Pages func(recordID int64, total int)
	// Page reports one page done (recognised, or read from its text layer).
	Page func(recordID int64, n int)
	// Record reports a record that reached a final status.
	Record func(r catalog.Record)
	// Store reports that the object store stopped answering (work waits
	// and is tried again) or answers again: once per change, not per try.
	Store func(s StoreState)
}

// Pipeline runs the stages.
type Pipeline struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Objects == nil || cfg.Catalog == nil || cfg.Queue == nil {
		return nil, errors.New("new pipeline: object store, catalog and queue are required")
	}
	if cfg.OCR == nil {
		return nil, errors.New("new pipeline: an OCR engine factory is required")
	}
	if cfg.Classifier == nil {
		return nil, errors.New("new pipeline: a classifier is required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Threshold <= 0 {
		cfg.Threshold = classify.DefaultThreshold
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 5 * time.Minute
	}
	if cfg.RetryMax < cfg.RetryBase {
		cfg.RetryMax = cfg.RetryBase
	}
	if cfg.Actor == "" {
		cfg.Actor = "sohoa"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.TempDir, 0o755); err != nil {
		return nil, fmt.Errorf("new pipeline: make temp dir: %w", err)
	}
	p := &Pipeline{cfg: cfg, log: cfg.Logger.With("component", "pipeline")}
	p.cfg.Objects = &patientStore{Objects: cfg.Objects, p: p}
	return p, nil
}

// Stages a record passes, recorded in Record.Stage as each completes.
const (
	StageStored   = "stored"   // original in the object store
	StageOCR      = "ocr"      // every page has its text in the catalog
	StageArchived = "archived" // archival PDF in the object store
	StageDone     = "done"     // fields extracted, status final, indexed
)
