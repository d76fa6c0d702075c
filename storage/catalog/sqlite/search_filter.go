package sqlite

import (
	"context"
	"fmt"
	"strings"

	"sohoa/storage/catalog"
)

// filter is the SQL of a query's filters on records AS r: common table
// expressions for the statement to begin with, conditions that must all
// hold, each with its arguments, and the index that finds the records
// when one filter is selective enough to lead.
type filter struct {
	with     []string
	withArgs []any
	conds    []string
	args     []any
	// index is the index to read records by in the statements that start
	// from records: records_number_key for a number, records_search for
	// a unit; "" leaves it to SQLite.
	index string
}

func (f *filter) cond(sql string, args ...any) {
	f.conds = append(f.conds, sql)
	f.args = append(f.args, args...)
}

// prefix is the WITH clause, or "".
func (f filter) prefix() string {
	if len(f.with) == 0 {
		return ""
	}
	return "WITH RECURSIVE " + strings.Join(f.with, ",\n") + "\n"
}

// where is the conditions joined by AND; "1" when there are none.
func (f filter) where() string {
	if len(f.conds) == 0 {
		return "1"
	}
	return strings.Join(f.conds, " AND ")
}

// records is the FROM of a statement that starts from the records.
func (f filter) records() string {
	if f.index == "" {
		return "records AS r"
	}
	return "records AS r INDEXED BY " + f.index
}

// ids is a statement selecting the ids of the matching records, without
// the WITH clause; its arguments are f.args.
func (f filter) ids() string {
	return `SELECT r.id FROM ` + f.records() + ` WHERE ` + f.where()
}

// inScheme is the SQL that holds when a record's unit is in the set the
// subquery old names in the 2024 catalogue, for a record ingested before
// the reorganisation, or in the set new names, for one ingested since.
func inScheme(old, new string) string {
	return `CASE WHEN r.created_at < '` + formatTime(catalog.Reorganised) + `' THEN r.unit IN (` + old +
		`) ELSE r.unit IN (` + new + `) END`
}

// unitTree is the common table expressions of the Unit filter. unit_tree
// walks down from the code in both catalogues, and from each 2025 unit to
// the 2024 units merged whole into it (and on down from those: a 2024
// commune split between two 2025 communes of one province is still in the
// province). unit_old holds the 2024 codes a record ingested before the
// reorganisation may have, unit_new the 2025 codes of one ingested since.
// Its two arguments are the code.
var unitTree = []string{
	`unit_tree(scheme, code) AS (
		VALUES ('` + string(catalog.Scheme2024) + `', ?), ('` + string(catalog.Scheme2025) + `', ?)
		UNION
		SELECT u.scheme, u.code FROM units AS u JOIN unit_tree AS t ON u.scheme = t.scheme AND u.parent = t.code
		UNION
		SELECT '` + string(catalog.Scheme2024) + `', m.old_code FROM unit_merges AS m JOIN unit_tree AS t
			ON t.scheme = '` + string(catalog.Scheme2025) + `' AND m.new_code = t.code
		WHERE m.full = 1
	)`,
	`unit_old(code) AS (SELECT code FROM unit_tree WHERE scheme = '` + string(catalog.Scheme2024) + `')`,
	`unit_new(code) AS (SELECT code FROM unit_tree WHERE scheme = '` + string(catalog.Scheme2025) + `')`,
}

// queryFilter turns q's filters (all but Text, Limit and Offset) into
// SQL; ok is false when they cannot match anything. A Number filter first
// folds the numbers of the records that do not have theirs yet.
//
// The catalog may have no planner statistics (ANALYZE has not run since a
// bulk load), so the filter says which index leads instead of leaving it
// to guesses: a number is a handful of records, a unit at most a
// province's, read from records_search, which holds every column the
// other filters read, so no record is read that does not match. With
// neither, the type, field or status index walks the records newest
// first, or the table does; the date ranges are then checked, not
// searched (+), since a year of records sorted would take longer than
// walking to the first page of them.
func (db *DB) queryFilter(ctx context.Context, q catalog.Query) (f filter, ok bool, err error) {
	switch {
	case q.Number != "":
		f.index = "records_number_key"
	case q.Unit != "":
		f.index = "records_search"
	}
	checked := ""
	if f.index == "" {
		checked = "+"
	}
	if q.Unit != "" {
		f.with = unitTree
		f.withArgs = []any{q.Unit, q.Unit}
		// The first condition lets the index find the records; the second
		// checks each against its own catalogue.
		f.cond(`r.unit IN (SELECT code FROM unit_old UNION SELECT code FROM unit_new)`)
		f.cond(inScheme(`SELECT code FROM unit_old`, `SELECT code FROM unit_new`))
	}
	if q.Level != "" {
		f.cond(inScheme(
			`SELECT code FROM units WHERE scheme = '`+string(catalog.Scheme2024)+`' AND level = ?`,
			`SELECT code FROM units WHERE scheme = '`+string(catalog.Scheme2025)+`' AND level = ?`),
			q.Level, q.Level)
	}
	if q.DocType != "" {
		f.cond(`r.doc_type = ?`, q.DocType)
	}
	if q.Field != "" {
		f.cond(`r.field = ?`, q.Field)
	}
	if q.Status != "" {
		f.cond(`r.status = ?`, string(q.Status))
	}
	if q.IssuedFrom != "" || q.IssuedTo != "" {
		// '' (no date read) is in no range.
		f.cond(checked + `r.issued <> ''`)
	}
	if q.IssuedFrom != "" {
		f.cond(checked+`r.issued >= ?`, q.IssuedFrom)
	}
	if q.IssuedTo != "" {
		f.cond(checked+`r.issued <= ?`, q.IssuedTo)
	}
	if !q.IngestedFrom.IsZero() {
		f.cond(checked+`r.created_at >= ?`, formatTime(q.IngestedFrom))
	}
	if !q.IngestedTo.IsZero() {
		f.cond(checked+`r.created_at < ?`, formatTime(q.IngestedTo))
	}
	if q.Number != "" {
		key := numberKey(q.Number)
		if key == "" {
			return f, false, nil
		}
		if err := db.foldNumbers(ctx); err != nil {
			return f, false, err
		}
		f.cond(`r.number_key = ?`, key)
	}
	return f, true, nil
}

// describeQuery names q in an error message: its text and filters.
func describeQuery(q catalog.Query) string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, fmt.Sprintf("%s=%q", name, v))
		}
	}
	add("text", q.Text)
	add("unit", q.Unit)
	add("level", q.Level)
	add("type", q.DocType)
	add("field", q.Field)
	add("status", string(q.Status))
	add("issued_from", q.IssuedFrom)
	add("issued_to", q.IssuedTo)
	if !q.IngestedFrom.IsZero() {
		add("ingested_from", formatTime(q.IngestedFrom))
	}
	if !q.IngestedTo.IsZero() {
		add("ingested_before", formatTime(q.IngestedTo))
	}
	add("number", q.Number)
	if len(parts) == 0 {
		return "every record"
	}
	return strings.Join(parts, " ")
}
