// Package dashboard serves the IT dashboard of `sohoa serve`: a page in
// Vietnamese (English beside the labels) with each level's progress
// against its target, the units sorted by how far they are behind, a
// chart of one unit's years, and the pipeline's health; the JSON behind it
// under /api/; and /metrics for Prometheus.
//
// Every figure comes from progress.Build and progress.Filter, the same as
// `sohoa progress`, so the page and the command line never disagree. A
// report built is reused until anything is committed to the catalog.
//
// For auditors it serves the record search (/search) and each record's
// evidence view (/records/{id}: fields, page images, text, the archival
// PDF, the original and the history); every view and download there is
// itself an event (record.go).
package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// Source is what the dashboard reads: the unit registry with its
// inventories and digitized counts, the job queue's length, what the
// pipeline finished, and the records that need a person; and, for the
// auditor's pages, the records with their pages and history (Records).
type Source interface {
	catalog.Registry
	catalog.Throughput
	Records
	// Pending counts the jobs queued or running.
	Pending(ctx context.Context) (int, error)
	// List returns the records matching f, oldest first.
	List(ctx context.Context, f catalog.Filter) ([]catalog.Record, error)
	// DataVersion returns a number that differs after anything is
	// committed to the catalog, by any process, and stays the same while
	// nothing is: the dashboard reuses a report while it does.
	DataVersion(ctx context.Context) (int64, error)
}

// Config is what New needs.
type Config struct {
	Source Source
	// StatusCounts counts the records by status (statuses with none may
	// be absent).
	StatusCounts func(ctx context.Context) (map[catalog.Status]int, error)
	// Objects is the object store holding the originals and archival
	// copies, for the pages that open them; nil when the dashboard only
	// shows figures.
	Objects storage.Objects
	// Fixity is what the fixity checks found, shown on the page, in
	// /api/fixity and /metrics; nil to show nothing of it (fixity.go).
	Fixity FixitySource
	// Auth signs users in and finds who a session or token is; nil
	// serves everyone the read-only view of before sign-in existed, as
	// does an Authenticator with no users yet (auth.go).
	Auth *auth.Authenticator
	// SecureCookies marks the session cookie Secure even when serve
	// itself is not on TLS (a TLS proxy in front).
	SecureCookies bool
	// Upload turns on the upload page and its API (upload.go); nil
	// serves them saying uploads are off.
	Upload *UploadConfig
	// Reviewer corrects, confirms and re-arranges records from the
	// review pages (review.go); nil serves them saying review is off.
	Reviewer Reviewer
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Validate reports what is missing from c.
func (c Config) Validate() error {
	switch {
	case c.Source == nil:
		return errors.New("dashboard: Source is nil")
	case c.StatusCounts == nil:
		return errors.New("dashboard: StatusCounts is nil")
	}
	return nil
}

//go:embed assets
var assets embed.FS

// Dashboard is the HTTP handler of the dashboard.
type Dashboard struct {
	src     Source
	objects storage.Objects
	counts  func(ctx context.Context) (map[catalog.Status]int, error)
	now     func() time.Time
	log     *slog.Logger
	page    *template.Template
	fixity  FixitySource
	// evidence are the auditor's pages: search and record (record.go).
	evidence evidencePages
	// mux routes the requests ServeHTTP let through (auth.go).
	mux           *router
	auth          *auth.Authenticator
	secureCookies bool
	// reports are the progress reports built, reused while the catalog
	// is unchanged.
	reports reports
	// review is the review queue and page (review.go).
	review reviewPages
	// uploads is the upload page's state (upload.go).
	uploads *uploads
}

// New makes the dashboard's handler.
func New(cfg Config) (*Dashboard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Dashboard{src: scopedSource{cfg.Source}, objects: cfg.Objects, counts: cfg.StatusCounts, now: cfg.Now, log: cfg.Logger, mux: newRouter(),
		auth: cfg.Auth, secureCookies: cfg.SecureCookies}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("component", "dashboard")
	page, err := template.New("page.html").Funcs(pageFuncs).ParseFS(assets, "assets/page.html")
	if err != nil {
		return nil, fmt.Errorf("parse page template: %w", err)
	}
	d.page = page
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		return nil, fmt.Errorf("open embedded assets: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(d), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.addFixity(cfg.Fixity, reg)

	d.mux.HandleFunc("GET /{$}", d.servePage)
	d.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	d.mux.HandleFunc("GET /api/progress", d.serveProgress)
	d.mux.HandleFunc("GET /api/units", d.serveUnits)
	d.mux.HandleFunc("GET /api/health", d.serveHealth)
	d.mux.HandleFunc("GET /api/history", d.serveHistory)
	d.mux.HandleFunc("GET /api/search", d.serveSearchAPI)
	if err := d.addEvidence(); err != nil {
		return nil, err
	}
	d.addExport(cfg.Source)
	if err := d.addUploads(cfg.Upload); err != nil {
		return nil, err
	}
	if err := d.addReview(cfg.Reviewer); err != nil {
		return nil, err
	}
	d.addAuth()
	d.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return d, nil
}
