// Package fixity checks that the stored objects are still what the
// catalog says they are: it re-reads each original and archival PDF,
// recomputes its sha256 and compares it with the catalog's, and lists the
// store for objects no record points at.
//
// A check finds an object ok, missing (a record points at a key the store
// does not have), altered (its bytes do not hash to the catalog's sha256,
// or to the store's own recorded one) or orphaned (no record points at it).
// The catalog's sha256 is compared, not only the store's: whoever can
// rewrite an object can usually rewrite the store's metadata beside it,
// but not the catalog and its hash-chained event log as well.
//
// Each check is an event ("verify") of the records pointing at the object,
// and its result is kept as the object's last check, so Continuous can
// re-read the least recently verified objects first and the dashboard can
// show what is wrong.
package fixity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
)

// Catalog is what the verifier reads and writes.
type Catalog interface {
	catalog.Fixity
	AppendEvent(ctx context.Context, e catalog.Event) error
}

// Action is the event action of a check.
const Action = "verify"

// DefaultOrphanGrace is how old an unreferenced object must be to count as
// an orphan: ingest stores an original before it adds its record, so a
// fresh object may simply not be recorded yet.
const DefaultOrphanGrace = time.Hour

// Config is what New needs.
type Config struct {
	Catalog Catalog
	Objects storage.Objects
	// Actor is who the events are recorded for; "sohoa" when empty.
	Actor string
	// BytesPerSecond caps how fast objects are read, so checking does not
	// take the disk or the network from ingest; 0 means no cap.
	BytesPerSecond int64
	// OrphanGrace is DefaultOrphanGrace when zero; negative means none.
	OrphanGrace time.Duration
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Validate reports what is missing from c.
func (c Config) Validate() error {
	switch {
	case c.Catalog == nil:
		return errors.New("fixity: Catalog is nil")
	case c.Objects == nil:
		return errors.New("fixity: Objects is nil")
	case c.BytesPerSecond < 0:
		return fmt.Errorf("fixity: BytesPerSecond is negative (%d)", c.BytesPerSecond)
	}
	return nil
}

// Verifier checks stored objects. It is safe for concurrent use.
type Verifier struct {
	cat     Catalog
	objects storage.Objects
	actor   string
	rate    int64
	grace   time.Duration
	now     func() time.Time
	log     *slog.Logger
}

// New returns a verifier for cfg.
func New(cfg Config) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &Verifier{cat: cfg.Catalog, objects: cfg.Objects, actor: cfg.Actor, rate: cfg.BytesPerSecond,
		grace: cfg.OrphanGrace, now: cfg.Now, log: cfg.Logger}
	if v.actor == "" {
		v.actor = "sohoa"
	}
	switch {
	case v.grace == 0:
		v.grace = DefaultOrphanGrace
	case v.grace < 0:
		v.grace = 0
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	v.log = v.log.With("component", "fixity")
	return v, nil
}

// Check re-reads the object, records the result as its last check and as
// an event of each record pointing at it, and returns it. An error means
// the object could not be checked (the store unreachable, ctx done):
// nothing is recorded then.
func (v *Verifier) Check(ctx context.Context, o catalog.StoredObject) (catalog.FixityCheck, error) {
	c, err := v.read(ctx, o)
	if err != nil {
		return c, err
	}
	// The outcome is known: record it even if ctx ends now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := v.cat.SaveCheck(ctx, c); err != nil {
		return c, err
	}
	for _, id := range o.Records {
		if err := v.event(ctx, id, c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// read hashes the object and compares it with the catalog and the store.
func (v *Verifier) read(ctx context.Context, o catalog.StoredObject) (catalog.FixityCheck, error) {
	c := catalog.FixityCheck{Key: o.Key, Kind: o.Kind, Expected: o.SHA256, Records: o.Records}
	rc, info, err := v.objects.Get(ctx, o.Key)
	if errors.Is(err, storage.ErrNotFound) {
		c.Result, c.At = catalog.FixityMissing, v.now()
		c.Detail = "không có trong kho / not in the object store"
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("check %s: %w", o.Key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, newPacedReader(ctx, rc, v.rate))
	storeMismatch := errors.Is(err, storage.ErrChecksum)
	if err != nil && !storeMismatch {
		return c, fmt.Errorf("check %s: read: %w", o.Key, err)
	}
	c.Got, c.Size, c.At = hex.EncodeToString(h.Sum(nil)), n, v.now()
	switch {
	case storeMismatch:
		// The store withholds the last bytes of content that does not
		// match its record, so what was read hashes to nothing useful.
		// (The bytes may even be the catalog's: then the store's record
		// was rewritten, and every read through the store fails alike.)
		c.Result, c.Got, c.Size = catalog.FixityAltered, "", info.Size
		c.Detail = "sha256 khác với sha256 kho đã ghi / sha256 differs from what the store recorded (" + info.SHA256 + ")"
	case o.SHA256 != "" && c.Got != o.SHA256:
		c.Result = catalog.FixityAltered
		c.Detail = "sha256 khác với danh mục / sha256 differs from the catalog's"
	case o.SHA256 == "" && info.SHA256 == "":
		c.Result = catalog.FixityOK
		c.Detail = "danh mục và kho không ghi sha256: chỉ đọc được / neither the catalog nor the store holds a sha256: only read back"
	case o.SHA256 == "":
		c.Result = catalog.FixityOK
		c.Detail = "danh mục chưa ghi sha256 của bản PDF này: so với kho / the catalog holds no sha256 for this archive: matched the store's"
	default:
		c.Result = catalog.FixityOK
	}
	return c, nil
}

// event appends the check to the log, about the record (0: none).
func (v *Verifier) event(ctx context.Context, recordID int64, c catalog.FixityCheck) error {
	d := map[string]any{"key": c.Key, "kind": c.Kind, "result": c.Result, "size": c.Size}
	if c.Got != "" {
		d["sha256"] = c.Got
	}
	if c.Expected != "" {
		d["expected_sha256"] = c.Expected
	}
	if c.Detail != "" {
		d["detail"] = c.Detail
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("record check of %s: %w", c.Key, err)
	}
	e := catalog.Event{Actor: v.actor, Action: Action, RecordID: recordID, Details: string(b)}
	if err := v.cat.AppendEvent(ctx, e); err != nil {
		return fmt.Errorf("record check of %s: %w", c.Key, err)
	}
	return nil
}
