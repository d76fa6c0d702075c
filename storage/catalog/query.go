package catalog

import (
	"context"
	"time"
)

// Query selects records for the auditor's search, the evidence export and
// the search page. Zero fields do not filter; every filter given must hold.
type Query struct {
	// Text is a full-text query over the record's text and fields,
	// accent-insensitive (đ folds to d), with "quoted phrases" and
	// trailing-* prefixes; empty matches every record.
	Text string
	// Unit keeps the records of this unit and of every unit under it
	// (a province's districts and communes).
	Unit string
	// Level keeps the records of units of one level: "province",
	// "district" or "commune".
	Level   string
	DocType string
	Field   string
	Status  Status
	// IssuedFrom and IssuedTo bound the issue date (ISO, inclusive).
	IssuedFrom, IssuedTo string
	// IngestedFrom and IngestedTo bound when the record was created
	// (IngestedTo exclusive).
	IngestedFrom, IngestedTo time.Time
	// Number matches the số ký hiệu however it is typed: "86/QD-UBND",
	// "86/qđ-ubnd" and "86 QĐ UBND" all find "86/QĐ-UBND".
	Number string
	// Limit caps the hits (0: the implementation's default); Offset skips
	// the first ones, for pages of results.
	Limit, Offset int
}

// RecordSearcher runs queries. A Query with text ranks hits best first;
// one without orders them newest first.
type RecordSearcher interface {
	SearchRecords(ctx context.Context, q Query) ([]Hit, error)
	// EachRecordID calls fn with the id of every record q matches (Limit
	// and Offset ignored), in id order, without holding them all in
	// memory, and stops at fn's first error: for exports.
	EachRecordID(ctx context.Context, q Query, fn func(id int64) error) error
}
