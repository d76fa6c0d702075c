package catalog

import (
	"context"
	"time"
)

// FixityResult is what re-reading a stored object found.
type FixityResult string

// Fixity results. Missing and altered objects are evidence lost; an
// orphan is an object no record points at (left by a crash between
// storing and recording, or put there behind the catalog's back).
const (
	FixityOK       FixityResult = "ok"
	FixityMissing  FixityResult = "missing"  // a record points at an object that is not there
	FixityAltered  FixityResult = "altered"  // the bytes do not hash to the catalog's sha256
	FixityOrphaned FixityResult = "orphaned" // an object no record points at
)

// Problem reports whether r means something is wrong with the store.
func (r FixityResult) Problem() bool {
	return r == FixityMissing || r == FixityAltered || r == FixityOrphaned
}

// Kinds of stored object.
const (
	ObjectOriginal = "original" // the untouched scan, Record.Original
	ObjectArchive  = "archive"  // the archival PDF, Record.Archive
)

// StoredObject is an object the catalog points at, with what it must hash
// to and how its last check went.
type StoredObject struct {
	Key  string
	Kind string // ObjectOriginal or ObjectArchive
	// SHA256 is what the catalog holds for the bytes: the record's
	// sha256 for an original, the one the archive stage recorded for an
	// archival PDF. Empty for an archive built before the catalog kept
	// it: then only the store's own checksum can be compared.
	SHA256 string
	// Records point at the object, lowest id first (duplicates share
	// their original).
	Records []int64
	// Last is the last check; zero At when never checked.
	Last FixityCheck
}

// FixityCheck is one check of one object.
type FixityCheck struct {
	Key    string       `json:"key"`
	Kind   string       `json:"kind"`
	Result FixityResult `json:"result"`
	At     time.Time    `json:"at"`
	// Expected is the sha256 the catalog holds (empty when it holds
	// none), Got what the bytes read hash to (empty when missing).
	Expected string `json:"expected_sha256,omitempty"`
	Got      string `json:"sha256,omitempty"`
	// Size is the number of bytes read, or the orphan's size.
	Size    int64   `json:"size"`
	Records []int64 `json:"records,omitempty"`
	// Detail says more in words, e.g. which checksum was compared.
	Detail string `json:"detail,omitempty"`
}

// ObjectQuery selects stored objects by the records pointing at them.
// Zero fields do not filter.
type ObjectQuery struct {
	Kind    string // ObjectOriginal or ObjectArchive; required
	Unit    string
	Records []int64
	// After and Limit page through the objects in key order: keys
	// greater than After, at most Limit of them (no limit when <= 0).
	After string
	Limit int
}

// FixityScan is one finished pass over the whole store.
type FixityScan struct {
	// Scope is "all" (every object re-read, and the store listed) or
	// "orphans" (the store listed only).
	Scope             string
	Started, Finished time.Time
	Checked, OK       int
	Missing, Altered  int
	Orphaned          int
	// Orphans replace those the last listing found.
	Orphans []FixityCheck
}

// Scopes of a FixityScan.
const (
	ScanAll     = "all"
	ScanOrphans = "orphans"
)

// FixitySummary is the state of the store as the last checks left it.
type FixitySummary struct {
	// Objects counts the objects records point at by their last result,
	// "" for those never checked, and the orphans under FixityOrphaned.
	Objects map[FixityResult]int `json:"objects"`
	// LastCheck is the most recent check; OldestCheck the least recent,
	// zero while some object was never checked (so every object has been
	// verified since OldestCheck).
	LastCheck   time.Time `json:"last_check,omitzero"`
	OldestCheck time.Time `json:"oldest_check,omitzero"`
	// LastFullPass is when the last pass over the whole store finished
	// (every object re-read, or the store listed for orphans).
	LastFullPass time.Time `json:"last_full_pass,omitzero"`
	// Problems are the objects found missing, altered or orphaned, most
	// recent first, cut at the number asked for.
	Problems []FixityCheck `json:"problems"`
}

// Fixity keeps what checking the stored objects found.
type Fixity interface {
	// StoredObjects returns the objects of q.Kind that records matching
	// q point at, in key order.
	StoredObjects(ctx context.Context, q ObjectQuery) ([]StoredObject, error)
	// CountStoredObjects counts what StoredObjects would return without
	// After and Limit.
	CountStoredObjects(ctx context.Context, q ObjectQuery) (int, error)
	// StoredObject returns the object under key; ErrNotFound when no
	// record points at it.
	StoredObject(ctx context.Context, key string) (StoredObject, error)
	// DueObjects returns up to n objects, the least recently checked
	// first and those never checked before any.
	DueObjects(ctx context.Context, n int) ([]StoredObject, error)
	// Referenced reports whether any record points at key.
	Referenced(ctx context.Context, key string) (bool, error)
	// SaveCheck keeps c as the last check of c.Key (not orphans: those
	// come with SaveScan).
	SaveCheck(ctx context.Context, c FixityCheck) error
	// SaveScan records a finished pass over the whole store and replaces
	// the orphans known with s.Orphans.
	SaveScan(ctx context.Context, s FixityScan) error
	// LastScan returns when the last pass of the scope finished; zero
	// when there was none.
	LastScan(ctx context.Context, scope string) (time.Time, error)
	// FixitySummary sums up the last checks, with up to problems of the
	// objects found wrong.
	FixitySummary(ctx context.Context, problems int) (FixitySummary, error)
}

// ArchiveSums records the sha256 of a record's archival PDF, which
// Record does not carry.
type ArchiveSums interface {
	// SetArchiveSHA256 records the sha256 of the archival PDF of the
	// record; ErrNotFound if there is no such record.
	SetArchiveSHA256(ctx context.Context, recordID int64, sha256hex string) error
}
