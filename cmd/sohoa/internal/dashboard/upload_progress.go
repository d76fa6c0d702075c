package dashboard

import (
	"sync"

	"sohoa/storage/catalog"
)

// Progress is the in-process broker of the pipeline's progress: serve
// connects the pipeline's hooks to it, and the event stream of each upload
// (upload_events.go) listens for the records it follows. Publishing never
// blocks the pipeline: a listener too slow to keep up loses events and is
// told so, and reads the records' state from the catalog instead.
type Progress struct {
	mu        sync.Mutex
	listeners map[*listener]struct{}
	closed    bool
	done      chan struct{}
	store     string // the object store's trouble, "" while it answers
}

// progressEvent is one thing the pipeline reported.
type progressEvent struct {
	record int64
	// pages is the record's page count once known (Pages), page a page
	// done (Page), final the record finished (Record).
	pages, page int
	final       bool
	// store is set when the object store stopped or started answering.
	store bool
}

// listener is one event stream's subscription.
type listener struct {
	ch chan progressEvent
	// lost is set when an event could not be delivered: the stream must
	// read the state again.
	mu   sync.Mutex
	lost bool
}

// listenerBuffer is how many events a listener holds before it loses some.
const listenerBuffer = 256

// NewProgress returns a broker with no listeners.
func NewProgress() *Progress {
	return &Progress{listeners: map[*listener]struct{}{}, done: make(chan struct{})}
}

// Pages reports that a record's page count is known (pipeline Hooks.Pages).
func (p *Progress) Pages(recordID int64, total int) {
	p.publish(progressEvent{record: recordID, pages: total})
}

// Page reports one page of a record done (pipeline Hooks.Page).
func (p *Progress) Page(recordID int64, n int) {
	p.publish(progressEvent{record: recordID, page: n})
}

// Record reports a record that reached a final status (pipeline
// Hooks.Record).
func (p *Progress) Record(r catalog.Record) {
	p.publish(progressEvent{record: r.ID, final: true})
}

// Store reports the object store stopped answering (problem says how) or
// answers again (problem "").
func (p *Progress) Store(problem string) {
	p.mu.Lock()
	p.store = problem
	p.mu.Unlock()
	p.publish(progressEvent{store: true})
}

// storeProblem is the object store's trouble; "" while it answers.
func (p *Progress) storeProblem() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.store
}

func (p *Progress) publish(e progressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.listeners {
		select {
		case l.ch <- e:
		default:
			l.mu.Lock()
			l.lost = true
			l.mu.Unlock()
		}
	}
}

// listen subscribes to every event from now on; stop ends it. Done is
// closed when the broker closes (serve stopping).
func (p *Progress) listen() (l *listener, stop func()) {
	l = &listener{ch: make(chan progressEvent, listenerBuffer)}
	p.mu.Lock()
	if !p.closed {
		p.listeners[l] = struct{}{}
	}
	p.mu.Unlock()
	return l, func() {
		p.mu.Lock()
		delete(p.listeners, l)
		p.mu.Unlock()
	}
}

// takeLost reports whether events were lost since the last call.
func (l *listener) takeLost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lost := l.lost
	l.lost = false
	return lost
}

// Done is closed once Close was called.
func (p *Progress) Done() <-chan struct{} { return p.done }

// Close ends every event stream, so serve can stop without waiting for
// browsers to hang up. It may be called more than once.
func (p *Progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.listeners = map[*listener]struct{}{}
	close(p.done)
}
