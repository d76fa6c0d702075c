package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"sohoa/storage/catalog"
)

var _ catalog.RecordSearcher = (*DB)(nil)

// searchLimits are where a search with words changes plans.
type searchLimits struct {
	// block is how many matches (or records the filters keep) are ranked
	// together, newest first: ranking the half a million records holding
	// "quyết định" would take seconds, and say little.
	block int
	// commonWord is how many records a word must be in for BM25 to be too
	// dear to rank with (see bm25Cheap).
	commonWord int
}

// defaultLimits are the limits of SearchRecords.
var defaultLimits = searchLimits{block: 5000, commonWord: 20_000}

// eachRecordChunk is how many ids EachRecordID reads per statement: it
// holds no read transaction while fn runs, so fn may take its time and
// use the catalog.
const eachRecordChunk = 1000

// SearchRecords returns the records q matches. With words in q.Text they
// are ranked, each with a snippet; with no text, newest ingested first (by
// id) and no snippet. A Text with no words in it (only punctuation)
// matches nothing, and so does a Number with no letters or digits. Limit
// <= 0 means 20.
//
// Hits are ranked by BM25 (a match in the number or subject weighing more
// than one in the body) while that is cheap: while every word is in fewer
// than 20,000 records. A word in more (most Vietnamese syllables are, in a
// catalog of a million: "nguyễn", "thị", "đất") would cost BM25 a tenth of
// a second or more each, so the hits whose number or subject holds every
// word come first (Score 1, the others 0), newest first among each. And
// when the words match 5,000 records or more, they are ranked in blocks:
// the 5,000 newest matches first, ranked among themselves, then the next
// 5,000 (with filters, the matches among the 5,000 newest records the
// filters keep, then the next 5,000): ranking the half a million records
// holding "quyết định" would take seconds, and say little. Pages never
// repeat or skip a hit.
//
// Unit keeps the records of the unit and of every unit under it. A code
// names a unit in each catalogue (units.scheme), and a record's unit code
// is read in the catalogue in force when it was ingested: so the records
// kept are those ingested before 1 July 2025 under the code's 2024 unit or
// a unit below it, those ingested since under its 2025 unit or below, and
// those ingested before under a 2024 unit merged whole into one of the
// 2025 units kept, or below that one (the progress report counts a merged
// commune's records the same way). Level keeps the records whose unit is
// of that level in its catalogue.
func (db *DB) SearchRecords(ctx context.Context, q catalog.Query) ([]catalog.Hit, error) {
	hits, err := db.searchRecords(ctx, q, defaultLimits)
	if err != nil {
		return nil, fmt.Errorf("search catalog for %s: %w", describeQuery(q), err)
	}
	return hits, nil
}

// searchRecords is SearchRecords with its limits a parameter, for tests.
func (db *DB) searchRecords(ctx context.Context, q catalog.Query, lim searchLimits) ([]catalog.Hit, error) {
	terms := parseQuery(q.Text)
	if strings.TrimSpace(q.Text) != "" && len(terms) == 0 {
		return nil, nil
	}
	if err := db.ensureSearchIndex(ctx); err != nil {
		return nil, err
	}
	f, ok, err := db.queryFilter(ctx, q)
	if err != nil || !ok {
		return nil, err
	}
	// One read transaction: the plan, the hits and their snippets all see
	// the same state.
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	type found struct {
		hit    catalog.Hit
		fields []string // issuer, doc type, field: snippet sources after the body and subject
	}
	var fs []found
	run := func(st statement) (int, error) {
		rows, err := tx.QueryContext(ctx, st.sql, st.args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var (
				f                    found
				issuer, docType, fld string
				rank                 float64
			)
			if err := rows.Scan(&f.hit.RecordID, &f.hit.Number, &f.hit.Subject, &issuer, &docType, &fld, &rank); err != nil {
				return n, err
			}
			// bm25 is lower for better matches; Hit.Score is higher (and
			// never -0).
			f.hit.Score = 0 - rank
			if f.hit.Score == 0 {
				f.hit.Score = 0
			}
			f.fields = []string{issuer, docType, fld}
			fs = append(fs, f)
			n++
		}
		return n, rows.Err()
	}
	if err := searchPage(ctx, tx, terms, f, q, lim, run); err != nil {
		return nil, err
	}

	hits := make([]catalog.Hit, len(fs))
	for i, f := range fs {
		if len(terms) > 0 {
			texts, err := pageTexts(ctx, tx, f.hit.RecordID)
			if err != nil {
				return nil, err
			}
			texts = append(texts, f.hit.Subject, f.hit.Number)
			texts = append(texts, f.fields...)
			f.hit.Snippet = snippet(texts, terms)
		}
		hits[i] = f.hit
	}
	return hits, nil
}

// hitColumns are what a statement of searchPage selects, records
// being r: the hit, the snippet's other sources, and the BM25 rank.
const hitColumns = `r.id, r.number, r.subject, r.issuer, r.doc_type, r.field`

// searchPage plans q's page of hits and runs the statements that make
// it, one after the other. For words, it first finds out whether they are
// common (lim.block matches or more):
//
//   - no words: the filters' records, newest first, off an index;
//   - few matches: the matches, each checked against the filters;
//   - common words: the matches in blocks, newest block first, ranked
//     within each block; a block is lim.block matches, or with filters
//     the matches among lim.block records the filters keep. A page takes
//     its hits from the blocks it falls in, so pages never repeat or
//     skip a hit, and a page costs the same however many records match.
//
// bm25Cheap says how matches are ranked.
func searchPage(ctx context.Context, tx *sql.Tx, terms []term, f filter, q catalog.Query, lim searchLimits, run func(statement) (int, error)) error {
	limit, offset := q.Limit, max(q.Offset, 0)
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	if len(terms) == 0 {
		// The ids come off an index alone; only the page's records are read.
		_, err := run(statement{f.prefix() + `SELECT ` + hitColumns + `, 0 FROM records AS r
			WHERE r.id IN (` + f.ids() + ` ORDER BY r.id DESC LIMIT ? OFFSET ?)
			ORDER BY r.id DESC`, append(append(append([]any(nil), f.withArgs...), f.args...), limit, offset)})
		return err
	}
	m := matching{f: f, match: matchExpr(terms)}
	common, err := atLeast(ctx, tx, lim.block, "", `SELECT rowid FROM search WHERE search MATCH ?`, m.match)
	if err != nil {
		return err
	}
	if m.bm25, err = bm25Cheap(ctx, tx, terms, lim.commonWord); err != nil {
		return err
	}
	if !common {
		// Few matches: with filters, each checked against them.
		m.joined = len(f.conds) > 0
		_, err := m.page(ctx, tx, limit, offset, run)
		return err
	}

	// nth is the id at position n, newest first, of the matches (no
	// filters) or of the records the filters keep; ok is false past the
	// last.
	nth := func(n int) (id int64, ok bool, err error) {
		stmt, args := `SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?`, []any{m.match, n}
		if len(f.conds) > 0 {
			stmt, args = f.prefix()+f.ids()+` ORDER BY r.id DESC LIMIT 1 OFFSET ?`, append(append(append([]any(nil), f.withArgs...), f.args...), n)
		}
		err = tx.QueryRowContext(ctx, stmt, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return id, err == nil, err
	}
	bound, k := lim.block, 0
	if len(f.conds) == 0 {
		// Every block but the last holds bound hits: skip to the page's.
		k, offset = offset/bound, offset%bound
	}
	m.kept = len(f.conds) > 0
	for ; limit > 0; k++ {
		// Block k is the positions [k*bound, (k+1)*bound): ids in [lo, hi).
		m.lo, m.hi = 0, 0
		if k > 0 {
			id, ok, err := nth(k*bound - 1)
			if err != nil || !ok {
				return err
			}
			m.hi = id
		}
		if m.lo, _, err = nth((k+1)*bound - 1); err != nil {
			return err
		}
		if m.kept && offset > 0 {
			// The block's hits are fewer than its records: count them to
			// know whether the page starts in it.
			n, err := m.count(ctx, tx, m.match)
			if err != nil {
				return err
			}
			if offset >= n {
				offset -= n
				if m.lo == 0 {
					return nil
				}
				continue
			}
		}
		n, err := m.page(ctx, tx, limit, offset, run)
		if err != nil || m.lo == 0 {
			return err
		}
		limit, offset = limit-n, 0
	}
	return nil
}

// matching is the matches of a search with words that a page is taken
// from, and how they are ranked.
type matching struct {
	f     filter
	match string
	// lo and hi bound the ids, [lo, hi), 0 for no bound.
	lo, hi int64
	// kept keeps the matches among the records f keeps within the bounds,
	// read off f's index; joined checks each match against f instead,
	// for few matches.
	kept, joined bool
	// bm25 ranks by BM25; otherwise the matches whose number or subject
	// hold every word come first (see bm25Cheap).
	bm25 bool
}

// ids is the SQL selecting the ids (as id) of the matches of expr, and
// its arguments, without f's WITH clause.
func (m matching) ids(expr string) (string, []any) {
	if m.joined {
		return `SELECT s.rowid AS id FROM search AS s JOIN records AS r ON r.id = s.rowid
			WHERE s.search MATCH ? AND ` + m.f.where(), append([]any{expr}, m.f.args...)
	}
	where, args := `search MATCH ?`, []any{expr}
	var span string
	var spanArgs []any
	if m.lo > 0 {
		where += ` AND rowid >= ?`
		span += ` AND r.id >= ?`
		spanArgs = append(spanArgs, m.lo)
	}
	if m.hi > 0 {
		where += ` AND rowid < ?`
		span += ` AND r.id < ?`
		spanArgs = append(spanArgs, m.hi)
	}
	args = append(args, spanArgs...)
	if m.kept {
		// The + keeps SQLite from handing the IN to the index one rowid at
		// a time, each with the cost of a fresh query.
		where += ` AND +rowid IN (` + m.f.ids() + span + `)`
		args = append(append(args, m.f.args...), spanArgs...)
	}
	return `SELECT rowid AS id FROM search WHERE ` + where, args
}

// count counts the matches of expr.
func (m matching) count(ctx context.Context, tx *sql.Tx, expr string) (int, error) {
	ids, args := m.ids(expr)
	var n int
	err := tx.QueryRowContext(ctx, m.f.prefix()+`SELECT count(*) FROM (`+ids+`)`,
		append(append([]any(nil), m.f.withArgs...), args...)...).Scan(&n)
	return n, err
}

// page runs the statements of limit ranked matches after offset and
// returns how many rows they gave.
func (m matching) page(ctx context.Context, tx *sql.Tx, limit, offset int, run func(statement) (int, error)) (int, error) {
	with := func(args ...any) []any { return append(append([]any(nil), m.f.withArgs...), args...) }
	if m.bm25 {
		// Ranked in one pass over the index: BM25 is cheap in one pass,
		// and costs a fresh setup per record looked up one by one.
		if m.joined {
			return run(statement{m.f.prefix() + `SELECT ` + hitColumns + `, s.rank
				FROM search AS s JOIN records AS r ON r.id = s.rowid
				WHERE s.search MATCH ? AND ` + m.f.where() + `
				ORDER BY s.rank, s.rowid DESC LIMIT ? OFFSET ?`,
				with(append(append([]any{m.match}, m.f.args...), limit, offset)...)})
		}
		ids, args := m.ids(m.match)
		ids = strings.Replace(ids, `SELECT rowid AS id FROM search`, `SELECT rowid, rank FROM search`, 1)
		return run(statement{m.f.prefix() + `SELECT ` + hitColumns + `, s.rank
			FROM (` + ids + ` ORDER BY rank, rowid DESC LIMIT ? OFFSET ?) AS s
			JOIN records AS r ON r.id = s.rowid
			ORDER BY s.rank, s.rowid DESC`, with(append(args, limit, offset)...)})
	}
	// The matches whose number or subject hold every word (score 1),
	// newest first, then the others (score 0): a pass over the first
	// ones stops at the end of the page.
	first := "{number subject} : (" + m.match + ")"
	firstIDs, firstArgs := m.ids(first)
	// The index hands matches over newest first, and the page stops it
	// early; but going down it does not stop at a block's lower bound, so
	// within a block (at most its bound of matches) +id sorts them instead,
	// or a rare first one would cost a pass over the whole index.
	order := `id DESC`
	if m.lo > 0 {
		order = `+id DESC`
	}
	page := func(ids string, args []any, score string, limit, offset int) (int, error) {
		return run(statement{m.f.prefix() + `SELECT ` + hitColumns + `, ` + score + ` FROM records AS r
			WHERE r.id IN (` + ids + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?)
			ORDER BY r.id DESC`, with(append(args, limit, offset)...)})
	}
	n, err := page(firstIDs, firstArgs, "-1", limit, offset)
	if err != nil || n == limit {
		return n, err
	}
	// How many first ones there are: the page ran past their end, or
	// started past it.
	firsts := offset + n
	if n == 0 && offset > 0 {
		if firsts, err = m.count(ctx, tx, first); err != nil {
			return n, err
		}
	}
	rest, restArgs := m.ids(m.match)
	if firsts > 0 {
		rest = `SELECT id FROM (` + rest + `) WHERE id NOT IN (` + firstIDs + `)`
		restArgs = append(restArgs, firstArgs...)
	}
	more, err := page(rest, restArgs, "0", limit-n, max(0, offset-firsts))
	return n + more, err
}

// bm25Cheap reports whether BM25 is cheap enough to rank the matches of
// terms: whether every word is in fewer than common records. BM25 counts,
// for each word, every record holding it, on every search: a few
// milliseconds for a word in thousands of records, a tenth of a second
// or more for each one in hundreds of thousands, as most Vietnamese
// syllables are in a catalog of a million ("nguyễn", "thị", "đất").
func bm25Cheap(ctx context.Context, tx *sql.Tx, terms []term, common int) (bool, error) {
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM records`).Scan(&top); err != nil {
		return false, err
	}
	if top < int64(common) {
		return true, nil
	}
	for _, t := range terms {
		for i, w := range t.words {
			one := term{words: []string{w}, prefix: t.prefix && i == len(t.words)-1}
			many, err := atLeast(ctx, tx, common, "", `SELECT rowid FROM search WHERE search MATCH ?`, one.fts())
			if err != nil || many {
				return false, err
			}
		}
	}
	return true, nil
}

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
}

// atLeast reports whether the statement with (a WITH clause or "")
// followed by selection selects n rows or more, reading at most n.
func atLeast(ctx context.Context, tx *sql.Tx, n int, with, selection string, args ...any) (bool, error) {
	var got int
	err := tx.QueryRowContext(ctx, with+`SELECT count(*) FROM (`+selection+` LIMIT ?)`, append(args, n)...).Scan(&got)
	return got >= n, err
}

// EachRecordID calls fn with the id of every record q matches (Limit and
// Offset ignored), in id order, a chunk of ids at a time, and stops at
// fn's first error, which it returns as it is. Records added meanwhile
// with higher ids are included if they match.
func (db *DB) EachRecordID(ctx context.Context, q catalog.Query, fn func(id int64) error) error {
	terms := parseQuery(q.Text)
	if strings.TrimSpace(q.Text) != "" && len(terms) == 0 {
		return nil
	}
	if err := db.ensureSearchIndex(ctx); err != nil {
		return fmt.Errorf("list records for %s: %w", describeQuery(q), err)
	}
	f, ok, err := db.queryFilter(ctx, q)
	if err != nil {
		return fmt.Errorf("list records for %s: %w", describeQuery(q), err)
	}
	if !ok {
		return nil
	}
	var stmt string
	if len(terms) > 0 {
		// The index hands its matches over in rowid order, from after on.
		stmt = f.prefix() + `SELECT s.rowid FROM search AS s JOIN records AS r ON r.id = s.rowid
			WHERE s.search MATCH ? AND s.rowid > ? AND ` + f.where() + `
			ORDER BY s.rowid LIMIT ?`
	} else {
		stmt = f.prefix() + f.ids() + ` AND r.id > ? ORDER BY r.id LIMIT ?`
	}
	var after int64
	for {
		args := append([]any(nil), f.withArgs...)
		if len(terms) > 0 {
			args = append(append(append(args, matchExpr(terms)), after), f.args...)
		} else {
			args = append(append(args, f.args...), after)
		}
		args = append(args, eachRecordChunk)
		ids, err := readAll(ctx, db, stmt, args, func(rows *sql.Rows) (int64, error) {
			var id int64
			return id, rows.Scan(&id)
		})
		if err != nil {
			return fmt.Errorf("list records for %s: %w", describeQuery(q), err)
		}
		for _, id := range ids {
			if err := fn(id); err != nil {
				return err
			}
		}
		if len(ids) < eachRecordChunk {
			return nil
		}
		after = ids[len(ids)-1]
	}
}
