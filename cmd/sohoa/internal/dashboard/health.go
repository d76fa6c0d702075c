package dashboard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
)

// attentionShown bounds the records listed per status needing a person.
const attentionShown = 10

// Health is the state of the pipeline.
type Health struct {
	At time.Time `json:"at"`
	// Queue counts the jobs queued or running.
	Queue int `json:"queue"`
	// Hours are the 24 clock hours up to now, oldest first, each with the
	// pages and records finished in it (zero when none).
	Hours          []catalog.HourPages `json:"hours"`
	PagesLast24h   int                 `json:"pages_last_24h"`
	RecordsLast24h int                 `json:"records_last_24h"`
	// Failed and NeedsReview count the records needing attention.
	Failed      int `json:"failed"`
	NeedsReview int `json:"needs_review"`
	// Attention lists the oldest of them, up to ten of each status.
	Attention []Attention `json:"attention"`
	// Store says whether the object store answers; absent when the
	// dashboard has no store.
	Store *StoreHealth `json:"store,omitempty"`
}

// StoreHealth is the answer of the object store to a probe.
type StoreHealth struct {
	Reachable bool `json:"reachable"`
	// Error says, for a person, what failed when it is not reachable.
	Error string `json:"error,omitempty"`
	// LatencyMS is how long the probe took.
	LatencyMS int64 `json:"latency_ms"`
}

// storeProbeKey is looked up to see whether the store answers; no object
// is ever stored under it, so a reachable store answers "not found".
const storeProbeKey = "health/probe"

// storeProbeTimeout bounds the probe: a store that does not answer in
// this time is reported unreachable rather than holding up the page.
const storeProbeTimeout = 3 * time.Second

// probeStore asks the object store about a key: any answer (the object
// found or not) shows it reachable; no answer in time, or an
// unavailable error, shows it down.
func probeStore(ctx context.Context, objects storage.Objects) StoreHealth {
	ctx, cancel := context.WithTimeout(ctx, storeProbeTimeout)
	defer cancel()
	start := time.Now()
	_, err := objects.Stat(ctx, storeProbeKey)
	h := StoreHealth{LatencyMS: time.Since(start).Milliseconds()}
	switch {
	case err == nil, errors.Is(err, storage.ErrNotFound):
		h.Reachable = true
	case errors.Is(err, context.DeadlineExceeded):
		h.Error = fmt.Sprintf("kho lưu trữ không trả lời trong %v — kiểm tra máy chủ lưu trữ (the object store did not answer in %v: check the storage server)", storeProbeTimeout, storeProbeTimeout)
	default:
		h.Error = "không kết nối được kho lưu trữ — kiểm tra máy chủ lưu trữ hoặc ổ đĩa (the object store is unreachable: check the storage server or disk): " + err.Error()
	}
	return h
}

// Attention is a record a person must look at.
type Attention struct {
	ID      int64          `json:"id"`
	Unit    string         `json:"unit"`
	Source  string         `json:"source"`
	Status  catalog.Status `json:"status"`
	Error   string         `json:"error"`
	Updated time.Time      `json:"updated_at"`
}

// health reads the queue, the last 24 hours' work and the records that
// need a person.
func (d *Dashboard) health(ctx context.Context) (Health, error) {
	now := d.now().UTC()
	h := Health{At: now, Attention: []Attention{}}
	// The store is probed while the catalog is read: a store that does
	// not answer costs the probe's timeout once, not on top.
	var probe chan StoreHealth
	if d.objects != nil {
		probe = make(chan StoreHealth, 1)
		go func() { probe <- probeStore(ctx, d.objects) }() // buffered: never blocks
	}
	var err error
	if h.Queue, err = d.src.Pending(ctx); err != nil {
		return h, err
	}
	first := now.Truncate(time.Hour).Add(-23 * time.Hour)
	done, err := d.src.PagesPerHour(ctx, first)
	if err != nil {
		return h, err
	}
	byHour := map[time.Time]catalog.HourPages{}
	for _, hp := range done {
		byHour[hp.Hour] = hp
	}
	for t := first; !t.After(now); t = t.Add(time.Hour) {
		hp := byHour[t]
		hp.Hour = t
		h.Hours = append(h.Hours, hp)
		h.PagesLast24h += hp.Pages
		h.RecordsLast24h += hp.Records
	}
	counts, err := d.counts(ctx)
	if err != nil {
		return h, fmt.Errorf("count records by status: %w", err)
	}
	h.Failed, h.NeedsReview = counts[catalog.StatusFailed], counts[catalog.StatusNeedsReview]
	for _, s := range []catalog.Status{catalog.StatusFailed, catalog.StatusNeedsReview} {
		recs, err := d.src.List(ctx, catalog.Filter{Status: s, Limit: attentionShown})
		if err != nil {
			return h, err
		}
		for _, r := range recs {
			h.Attention = append(h.Attention, Attention{ID: r.ID, Unit: r.Unit, Source: r.Source, Status: r.Status, Error: r.Error, Updated: r.UpdatedAt})
		}
	}
	if probe != nil {
		sh := <-probe
		h.Store = &sh
	}
	return h, nil
}
