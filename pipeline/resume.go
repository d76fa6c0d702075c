package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"sohoa/storage/catalog"
)

// lastBatchFinder is the part of a catalog that finds the latest batch of
// an invocation even once sealed (storage/catalog/sqlite has it).
type lastBatchFinder interface {
	// LastBatch returns the most recent batch with the key, sealed or
	// not; catalog.ErrNotFound if none.
	LastBatch(ctx context.Context, key string) (catalog.Batch, error)
}

// finishedBatch finds the sealed batch an identical earlier run of the
// request completed: the latest batch with the key is sealed and holds a
// record of every file with the same bytes. Run again — after a kill
// that came between sealing and exiting, or by a clerk unsure it went
// through — the request then resumes that batch, with nothing new to
// store or record, instead of recording every file again as a duplicate.
// A file added, removed or rescanned since makes it a new batch.
func (p *Pipeline) finishedBatch(ctx context.Context, key string, files []inputFile) (catalog.Batch, []catalog.Record, bool, error) {
	lf, ok := p.cfg.Catalog.(lastBatchFinder)
	if !ok {
		return catalog.Batch{}, nil, false, nil
	}
	b, err := lf.LastBatch(ctx, key)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && !b.Sealed) {
		return catalog.Batch{}, nil, false, nil
	}
	if err != nil {
		return catalog.Batch{}, nil, false, fmt.Errorf("look up earlier batch: %w", err)
	}
	recs, err := p.cfg.Catalog.List(ctx, catalog.Filter{BatchID: b.ID})
	if err != nil {
		return catalog.Batch{}, nil, false, fmt.Errorf("list batch %d: %w", b.ID, err)
	}
	recs = madeByIngest(recs)
	if len(recs) != len(files) {
		return catalog.Batch{}, nil, false, nil
	}
	bySource := make(map[string]catalog.Record, len(recs))
	for _, r := range recs {
		bySource[r.Source] = r
	}
	out := make([]catalog.Record, 0, len(files))
	for _, f := range files {
		r, ok := bySource[f.source]
		if !ok {
			return catalog.Batch{}, nil, false, nil
		}
		sum, err := fileSHA256(f.path)
		if err != nil || sum != r.SHA256 {
			return catalog.Batch{}, nil, false, nil // changed or unreadable: the usual path says which
		}
		out = append(out, r)
	}
	return b, out, true, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loggedAdder is the part of a catalog that adds a record and events about
// it in one transaction (storage/catalog/sqlite has it).
type loggedAdder interface {
	AddRecordLogged(ctx context.Context, r catalog.Record, enqueue bool, events ...catalog.Event) (catalog.Record, error)
}

// addRecord adds r with its job and the events of its ingest. Written
// together, a kill between them cannot leave a record whose log does not
// say who handed it over: a resumed ingest finds the record and would not
// write the event again.
func (p *Pipeline) addRecord(ctx context.Context, r catalog.Record, enqueue bool, events []catalog.Event) (catalog.Record, error) {
	if la, ok := p.cfg.Catalog.(loggedAdder); ok {
		return la.AddRecordLogged(ctx, r, enqueue, events...)
	}
	r, err := p.cfg.Catalog.AddRecord(ctx, r, enqueue)
	if err != nil {
		return r, err
	}
	for _, e := range events {
		e.RecordID = r.ID
		if err := p.cfg.Catalog.AppendEvent(ctx, e); err != nil {
			p.log.Warn("append event", "action", e.Action, "record", r.ID, "err", err)
		}
	}
	return r, nil
}

// newEvent is an event of the pipeline's actor, its record still to set.
func (p *Pipeline) newEvent(action string, details map[string]any) catalog.Event {
	d, _ := json.Marshal(details)
	return catalog.Event{Actor: p.cfg.Actor, Action: action, Details: string(d)}
}
