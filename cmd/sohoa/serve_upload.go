package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"sohoa/cmd/sohoa/internal/dashboard"
	"sohoa/ocr/tesseract"
	"sohoa/pipeline"
)

// uploadsFolder is where serve keeps the uploads in progress, inside the
// data folder (the pipeline's tmp/ is swept when it starts: not there).
func uploadsFolder(dataDir string) string { return filepath.Join(dataDir, "uploads") }

// servePipeline is the pipeline serve runs for the upload page: Take for
// every upload and, with workers, a run that works through the queue
// after each upload until it is empty.
//
// serve does not follow the queue all the time: a `sohoa ingest` beside
// it waits for its own jobs and reports them, and a serve that took them
// would leave it reporting records it never saw finish. So serve works
// only when it has taken an upload (or finds work queued when it starts,
// left by an upload it was stopped in the middle of); while it works it
// takes any queued job, as another `sohoa worker` would.
type servePipeline struct {
	p    *pipeline.Pipeline
	kick chan struct{}
	stop func()
}

// Take stores and records an upload, then wakes the run.
func (sp *servePipeline) Take(ctx context.Context, req pipeline.TakeRequest) (pipeline.Taken, error) {
	t, err := sp.p.Take(ctx, req)
	if err == nil {
		sp.wake()
	}
	return t, err
}

func (sp *servePipeline) wake() {
	select {
	case sp.kick <- struct{}{}:
	default: // a run is due already
	}
}

// startServePipeline builds the pipeline on st, reporting progress to
// progress; with workers > 0 it processes the uploads until ctx ends or
// stop is called. A pipeline that cannot run (no Tesseract) is logged
// and leaves serve up: uploads are then stored and queued for `sohoa
// worker`.
func startServePipeline(ctx context.Context, e *env, st *stores, workers int, progress *dashboard.Progress, logger *slog.Logger) (*servePipeline, error) {
	model, err := loadClassifier(st.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	p, err := pipeline.New(pipeline.Config{
		Objects:    st.objects,
		Catalog:    st.catalog,
		Queue:      st.catalog,
		OCR:        tesseract.Factory(tesseract.Options{}),
		Workers:    max(workers, 1),
		Classifier: model,
		TempDir:    tempDir(st.cfg.DataDir),
		Actor:      "sohoa",
		Logger:     logger,
		Hooks: pipeline.Hooks{
			Pages:  progress.Pages,
			Page:   progress.Page,
			Record: progress.Record,
			Store: func(s pipeline.StoreState) {
				if s.Down {
					progress.Store(fmt.Sprint(s.Err))
				} else {
					progress.Store("")
				}
			},
		},
	})
	if err != nil {
		return nil, err
	}
	sp := &servePipeline{p: p, kick: make(chan struct{}, 1), stop: func() {}}
	if workers <= 0 {
		fmt.Fprintln(e.stdout, "Không xử lý trong serve (--workers 0): tệp tải lên được lưu và xếp hàng cho sohoa worker. Not processing (--workers 0): uploads are stored and queued for sohoa worker.")
		return sp, nil
	}
	if n, err := st.catalog.Pending(ctx); err == nil && n > 0 {
		sp.wake()
	}
	runCtx, cancel := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		for {
			select {
			case <-runCtx.Done():
				return
			case <-sp.kick:
			}
			err := p.Run(runCtx, pipeline.RunOptions{})
			if err != nil && runCtx.Err() == nil {
				logger.Error("the pipeline stopped: uploads are stored and queued, run sohoa worker to process them", "err", err)
				fmt.Fprintf(e.stderr, "⚠ bộ xử lý dừng — tệp tải lên vẫn được lưu và xếp hàng; chạy sohoa worker (the pipeline stopped: uploads are still stored and queued; run sohoa worker): %v\n", err)
			}
		}
	}()
	sp.stop = func() {
		cancel()
		<-ran
	}
	return sp, nil
}

// wakingReviewer is the review pages' Reviewer that wakes serve's
// pipeline after a page change queues a record again, as an upload does.
type wakingReviewer struct {
	dashboard.Reviewer
	wake func()
}

// ChangePages changes the record's pages and wakes the pipeline to read
// it again.
func (w wakingReviewer) ChangePages(ctx context.Context, id int64, who string, ops []string) error {
	err := w.Reviewer.ChangePages(ctx, id, who, ops)
	if err == nil {
		w.wake()
	}
	return err
}
