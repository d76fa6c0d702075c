package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"sohoa/storage/catalog"
)

// GET /api/uploads/{id}/events follows an upload to the end as
// server-sent events, each a JSON object:
//
//	waiting  {offset, size}                  not whole yet (sent as it grows)
//	stored   {record, source, sha256, size, recorded_before, duplicate_of}
//	split    {documents, ranges}             the stack's documents, once known
//	record   uploadDoc                       a document's state changed
//	pages    {record, done, total}           a page of a document was read
//	store    {problem}                       the object store stopped / started answering
//	end      {documents, processing}         every document is final (or, with
//	                                         no pipeline in serve, queued)
//
// A stream opened again (the browser reconnects by itself) starts from
// the catalog's state, so nothing is missed; the pipeline's hooks, through
// Progress, only make it prompt.

// Timings of the event stream.
const (
	eventsRefresh   = 2 * time.Second // re-read the records even without news
	eventsKeepAlive = 15 * time.Second
	eventsWaitPoll  = 500 * time.Millisecond // for an upload not whole yet
)

// eventWriter writes server-sent events.
type eventWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (e eventWriter) send(event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return e.rc.Flush()
}

func (e eventWriter) comment() error {
	if _, err := fmt.Fprint(e.w, ": still here\n\n"); err != nil {
		return err
	}
	return e.rc.Flush()
}

// followedDoc is what the stream last said of a document.
type followedDoc struct {
	sent  uploadDoc
	total int
	done  map[int]bool // pages read
}

func (d *Dashboard) serveUploadEvents(w http.ResponseWriter, r *http.Request) {
	m, ok := d.loadUpload(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	u := d.uploads
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives serve's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ev := eventWriter{w: w, rc: rc}
	if err := ev.comment(); err != nil {
		return
	}
	l, stop := u.cfg.Progress.listen()
	defer stop()
	keepAlive := time.NewTicker(eventsKeepAlive)
	defer keepAlive.Stop()

	// Not whole yet: say how far it is until it is.
	wait := time.NewTicker(eventsWaitPoll)
	var lastOffset int64 = -1
	for m.Taken == nil {
		off, err := u.offset(m.ID)
		if err != nil {
			d.log.Error("follow upload", "upload", m.ID, "err", err)
			return
		}
		if off != lastOffset {
			lastOffset = off
			if ev.send("waiting", map[string]int64{"offset": off, "size": m.Size}) != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-u.stopping:
			return
		case <-keepAlive.C:
			if ev.comment() != nil {
				return
			}
		case <-wait.C:
		}
		if m2, err := u.readMeta(m.ID); err == nil {
			m = m2
		}
	}
	wait.Stop()

	first, err := d.src.Record(ctx, m.Taken.Record)
	if err != nil {
		d.log.Error("follow upload", "upload", m.ID, "record", m.Taken.Record, "err", err)
		return
	}
	if ev.send("stored", map[string]any{"record": first.ID, "source": first.Source, "sha256": first.SHA256, "size": first.Size,
		"recorded_before": m.Taken.Before, "duplicate_of": first.DuplicateOf}) != nil {
		return
	}
	docs := map[int64]*followedDoc{}
	splitSent := false
	// refresh reads the documents and says what changed; it reports
	// whether the stream is over.
	refresh := func() (bool, error) {
		recs, err := d.uploadRecords(ctx, *m.Taken)
		if err != nil {
			return false, err
		}
		over := true
		var ranges [][2]int
		stack := false
		for _, rec := range recs {
			ranges = append(ranges, [2]int{rec.FirstPage, rec.LastPage})
			if rec.Split != "" && rec.FirstPage == 0 && rec.SplitFrom == 0 && !rec.Status.Final() {
				stack = true // not split yet
			}
			f := docs[rec.ID]
			if f == nil {
				f = &followedDoc{done: map[int]bool{}, total: rec.Pages}
				if !rec.Status.Final() {
					if err := d.readPagesDone(ctx, rec, f); err != nil {
						return false, err
					}
				}
				docs[rec.ID] = f
			}
			doc := toUploadDoc(rec)
			if !doc.Final {
				doc.Pages = max(doc.Pages, f.total)
				doc.PagesDone = min(len(f.done), max(doc.Pages, len(f.done)))
			}
			if doc != f.sent {
				f.sent = doc
				if err := ev.send("record", doc); err != nil {
					return false, err
				}
			}
			switch {
			case rec.Status.Final():
			case !u.cfg.Processing && rec.Status == catalog.StatusQueued:
			default:
				over = false
			}
		}
		if !splitSent && !stack && len(recs) > 0 && recs[0].Split != "" && recs[0].FirstPage > 0 {
			splitSent = true
			if err := ev.send("split", map[string]any{"documents": len(recs), "ranges": ranges}); err != nil {
				return false, err
			}
		}
		if over {
			return true, ev.send("end", map[string]any{"documents": len(recs), "processing": u.cfg.Processing})
		}
		return false, nil
	}
	refreshTick := time.NewTicker(eventsRefresh)
	defer refreshTick.Stop()
	if p := u.cfg.Progress.storeProblem(); p != "" {
		if ev.send("store", map[string]string{"problem": p}) != nil {
			return
		}
	}
	for {
		over, err := refresh()
		if err != nil || over {
			if err != nil && ctx.Err() == nil {
				d.log.Warn("follow upload", "upload", m.ID, "err", err)
			}
			return
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-u.stopping:
				return
			case <-keepAlive.C:
				if ev.comment() != nil {
					return
				}
			case <-refreshTick.C:
				break wait
			case e := <-l.ch:
				if e.store {
					if ev.send("store", map[string]string{"problem": u.cfg.Progress.storeProblem()}) != nil {
						return
					}
					continue
				}
				f := docs[e.record]
				if f == nil {
					continue // another upload's, or a document not seen yet: the refresh finds it
				}
				switch {
				case e.final:
					break wait
				case e.pages > 0:
					f.total = e.pages
				case e.page > 0 && !f.done[e.page]:
					f.done[e.page] = true
					if ev.send("pages", map[string]int64{"record": e.record, "done": int64(len(f.done)), "total": int64(f.total)}) != nil {
						return
					}
				}
			}
		}
		if l.takeLost() {
			// Events were dropped: count the pages again from the catalog.
			for id, f := range docs {
				if !f.sent.Final {
					rec := catalog.Record{ID: id}
					if err := d.readPagesDone(ctx, rec, f); err != nil {
						return
					}
				}
			}
		}
	}
}

// readPagesDone notes the pages of rec already read.
func (d *Dashboard) readPagesDone(ctx context.Context, rec catalog.Record, f *followedDoc) error {
	pages, err := d.src.Pages(ctx, rec.ID)
	if err != nil {
		return fmt.Errorf("read pages of record %d: %w", rec.ID, err)
	}
	for _, p := range pages {
		f.done[p.N] = true
	}
	return nil
}
