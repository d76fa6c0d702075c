// Package evidence builds evidence bags: the records a catalog query
// matches, packed as one BagIt zip (RFC 8493, written by storage/bagit)
// with, per record, the untouched original, the archival PDF, a JSON of
// its fields and its history from the audit log; and it records each
// export as an event of that log.
//
// `sohoa export` and the dashboard's export button both build their bags
// here, so a bag is the same whoever asks for it and however it is
// delivered: Write streams to any io.Writer (a file, an HTTP response) as
// the objects are read, and never holds the bag in memory.
//
// The package reads the catalog and the object store through the small
// interfaces below, so it carries no database driver.
package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"time"

	"sohoa/storage"
	"sohoa/storage/bagit"
	"sohoa/storage/catalog"
)

// ActionExport is the action of the event an export is recorded as.
const ActionExport = "export"

// ErrNoRecords means the query matched no record: there is nothing to
// export. Its text is for the clerk, in Vietnamese and English.
var ErrNoRecords = errors.New("không có hồ sơ nào khớp bộ lọc: không xuất gì (no record matches: nothing exported)")

// Catalog is what an export reads of the catalog and where it records the
// export. An implementation that hides some records (a clerk's view of
// their units) must hide them from every method alike: a record
// EachRecordID does not yield is never read.
type Catalog interface {
	// Record returns the record with the id; catalog.ErrNotFound if none.
	Record(ctx context.Context, id int64) (catalog.Record, error)
	// Pages returns a record's pages in order.
	Pages(ctx context.Context, recordID int64) ([]catalog.Page, error)
	// Events returns a record's events, oldest first.
	Events(ctx context.Context, recordID int64) ([]catalog.Event, error)
	// AppendEvent adds e to the log.
	AppendEvent(ctx context.Context, e catalog.Event) error
	catalog.RecordSearcher
}

// Sums is the catalog's own record of the sha256 of the objects it points
// at (catalog.FixityLog has it).
type Sums interface {
	// StoredObject returns the object under key; catalog.ErrNotFound when
	// the catalog holds none.
	StoredObject(ctx context.Context, key string) (catalog.StoredObject, error)
}

// Exporter writes bags of records.
type Exporter struct {
	Catalog Catalog
	Objects storage.Objects
	// Chain, when set, links each event in a bag to the audit chain and
	// puts the chain's head in bag-info.txt, so the recipient can check
	// the history against the chain.
	Chain catalog.AuditLog
	// Sums, when set, is what an archival PDF is checked against; without
	// it, against the store's own record of its sha256.
	Sums Sums
}

// New returns the Exporter of c and objects, with Chain and Sums set when
// c has them.
func New(c Catalog, objects storage.Objects) Exporter {
	x := Exporter{Catalog: c, Objects: objects}
	x.Chain, _ = c.(catalog.AuditLog)
	x.Sums, _ = c.(Sums)
	return x
}

// Bag is what goes into one bag, and who makes it.
type Bag struct {
	// Name identifies the bag (External-Identifier); Root(Name) is its
	// base directory in the zip.
	Name string
	// Organization is the Source-Organization (see Organization).
	Organization string
	// Actor is who exports: Contact-Name, and the actor of the event.
	Actor string
	Now   time.Time
	// Query is what was asked; IDs are the records it matched (Select).
	Query catalog.Query
	IDs   []int64
	// Via says through what the export was asked ("dashboard"); it goes
	// into the event when set.
	Via string
}

// Result describes a bag written.
type Result struct {
	// SHA256 and Bytes are those of the whole zip as written.
	SHA256       string `json:"sha256"`
	Bytes        int64  `json:"bytes"`
	Records      int    `json:"records"`
	Files        int    `json:"files"`
	PayloadBytes int64  `json:"payload_bytes"`
	// ManifestSHA256 is the sha256 of manifest-sha256.txt, which pins
	// every payload file.
	ManifestSHA256 string         `json:"manifest_sha256"`
	Query          map[string]any `json:"query"`
}

// Progress is told how an export goes; nil is allowed wherever a Progress
// is taken.
type Progress interface {
	Start(records int)
	// Update says done records are in the bag, written bytes so far.
	Update(done int, written int64)
	Finish()
}

// Select returns the ids of the records q matches, in id order, all of
// them before any is exported: the count goes into bag-info.txt, and no
// catalog read stays open while objects stream. ErrNoRecords when none.
func (x Exporter) Select(ctx context.Context, q catalog.Query) ([]int64, error) {
	var ids []int64
	if err := x.Catalog.EachRecordID(ctx, q, func(id int64) error { ids = append(ids, id); return nil }); err != nil {
		return nil, fmt.Errorf("find the records to export: %w", err)
	}
	if len(ids) == 0 {
		return nil, ErrNoRecords
	}
	return ids, nil
}

// Write streams the bag of b.IDs to w: the zip goes out as the objects are
// read. A stored object that is missing or does not hash to its recorded
// sha256 fails the export, naming the record and what to do; what was
// written to w is then not a valid bag. Write does not record the export:
// call Record once the bag is safely delivered.
func (x Exporter) Write(ctx context.Context, w io.Writer, b Bag, progress Progress) (Result, error) {
	h := sha256.New()
	count := &byteCounter{}
	query := QueryFields(b.Query)
	qjson, _ := json.Marshal(query)
	desc := DescribeQuery(query)
	tags := []bagit.Tag{
		{Label: "Source-Organization", Value: b.Organization},
		{Label: "Contact-Name", Value: b.Actor},
		{Label: "External-Identifier", Value: b.Name},
		{Label: "External-Description", Value: fmt.Sprintf("Gói chứng cứ sohoa: %d hồ sơ khớp %s / sohoa evidence package: %d records matching %s",
			len(b.IDs), desc, len(b.IDs), desc)},
		{Label: "Bag-Software-Agent", Value: "sohoa " + revision()},
		{Label: "Bag-Count", Value: "1 of 1"},
		{Label: "Sohoa-Query", Value: string(qjson)},
		{Label: "Sohoa-Records", Value: strconv.Itoa(len(b.IDs))},
	}
	if x.Chain != nil {
		head, err := x.Chain.Head(ctx)
		if err != nil {
			return Result{}, fmt.Errorf("read the audit chain head: %w", err)
		}
		tags = append(tags, bagit.Tag{Label: "Sohoa-Audit-Head", Value: fmt.Sprintf("%d %s", head.LastID, head.Hash)})
	}
	bag, err := bagit.NewWriter(io.MultiWriter(w, h, count), Root(b.Name), tags, b.Now)
	if err != nil {
		return Result{}, err
	}
	if progress != nil {
		progress.Start(len(b.IDs))
		defer progress.Finish()
	}
	for i, id := range b.IDs {
		if err := x.addRecord(ctx, bag, id); err != nil {
			return Result{}, err
		}
		if progress != nil {
			progress.Update(i+1, count.n)
		}
	}
	sum, err := bag.Close()
	if err != nil {
		return Result{}, err
	}
	return Result{
		SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: count.n, Records: len(b.IDs),
		Files: sum.Files, PayloadBytes: sum.Octets, ManifestSHA256: sum.ManifestSHA256, Query: query,
	}, nil
}

// Record appends the export to the audit log under b.Actor: the query,
// the records (as id ranges), and the bag's sha256, size and name.
func (x Exporter) Record(ctx context.Context, b Bag, res Result) error {
	details := map[string]any{
		"query": res.Query, "count": res.Records, "records": IDRanges(b.IDs), "sha256": res.SHA256,
		"bytes": res.Bytes, "bag": b.Name, "manifest_sha256": res.ManifestSHA256,
	}
	if b.Via != "" {
		details["via"] = b.Via
	}
	js, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("record the export in the audit log: %w", err)
	}
	if err := x.Catalog.AppendEvent(ctx, catalog.Event{Actor: b.Actor, Action: ActionExport, Details: string(js)}); err != nil {
		return fmt.Errorf("record the export in the audit log: %w", err)
	}
	return nil
}

// revision is the commit the binary was built from, or "(devel)".
func revision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "(devel)"
}

type byteCounter struct{ n int64 }

func (c *byteCounter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
