package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
)

var _ catalog.RecordSearcher = (*DB)(nil)

// searchLimits are where a search with words changes plans.
type searchLimits struct {
	// block is how many matches are ranked together, newest first:
	// ranking the half a million records holding "quyết định" would take
	// seconds, and say little. It is also how many records the filters
	// keep are read at a time.
	block int
	// keptBlock is how many records the filters keep make a block when
	// the words are common: each block costs a pass over the index for
	// its span of ids, and the records a province keeps in a year are
	// spread over all of them.
	keptBlock int
	// commonWord is how many records a word must be in for BM25 to be too
	// dear to rank with (see bm25Cheap).
	commonWord int
	// window is how many ids below its newest match a block of matches of
	// common words reaches down at most, with no filters (see
	// windowedPage); 0 for no such bound.
	window int
	// readHead is how many of a block's newest hits its ranking reads the
	// numbers and subjects of, before it asks the index which hold every
	// word (see ranker.page).
	readHead int
}

// defaultLimits are the limits of SearchRecords.
var defaultLimits = searchLimits{block: 5000, keptBlock: 1000, window: 50_000, commonWord: 20_000, readHead: 512}

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
// 5,000 (with filters, the matches among the 1,000 newest records the
// filters keep, then the next 1,000): ranking the half a million records
// holding "quyết định" would take seconds, and say little. With a common
// word and no filters, a block also ends 50,000 ids below its newest
// match, however few it holds (see windowedPage). Pages never repeat or
// skip a hit.
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
	rows, err := searchPage(ctx, tx, terms, f, q, lim)
	if err != nil {
		return nil, err
	}
	hits := make([]catalog.Hit, len(rows))
	for i, r := range rows {
		if len(terms) > 0 {
			texts, err := pageTexts(ctx, tx, r.hit.RecordID)
			if err != nil {
				return nil, err
			}
			texts = append(texts, r.hit.Subject, r.hit.Number, r.issuer, r.docType, r.field)
			r.hit.Snippet = snippet(texts, terms)
		}
		hits[i] = r.hit
	}
	return hits, nil
}

// hitRow is one hit as a statement of searchPage reads it, with the
// snippet's other sources (after the body and subject).
type hitRow struct {
	hit                    catalog.Hit
	issuer, docType, field string
}

// hitColumns are what a statement of searchPage selects, records
// being r: the hit and the snippet's other sources; a statement adds the
// BM25 rank after them.
const hitColumns = `r.id, r.number, r.subject, r.issuer, r.doc_type, r.field`

// readHits runs st, which selects hitColumns and a BM25 rank.
func readHits(ctx context.Context, tx *sql.Tx, st statement) ([]hitRow, error) {
	return queryAll(ctx, tx, st.sql, st.args, func(rows *sql.Rows) (hitRow, error) {
		var (
			h    hitRow
			rank float64
		)
		err := rows.Scan(&h.hit.RecordID, &h.hit.Number, &h.hit.Subject, &h.issuer, &h.docType, &h.field, &rank)
		// bm25 is lower for better matches; Hit.Score is higher (and
		// never -0).
		h.hit.Score = 0 - rank
		if h.hit.Score == 0 {
			h.hit.Score = 0
		}
		return h, err
	})
}

// readIDs runs st, which selects one id a row.
func readIDs(ctx context.Context, tx *sql.Tx, st statement) ([]int64, error) {
	return queryAll(ctx, tx, st.sql, st.args, func(rows *sql.Rows) (int64, error) {
		var id int64
		return id, rows.Scan(&id)
	})
}

// searchPage reads q's page of hits. With no words, it is the filters'
// records, newest first, off an index. With words, the hits are taken in
// blocks, newest block first, and ranked within each (see rankBlock):
//
//   - fewer than lim.block matches: one block, the matches the filters
//     keep;
//   - more, no filters: blocks of lim.block matches;
//   - more, with filters: the matches among lim.block records the
//     filters keep, then among the next lim.block.
//
// A page takes its hits from the blocks it falls in, so pages never
// repeat or skip a hit, and a page costs the same however many records
// match. Every block is found with one pass down the index from its top,
// its ids read into memory: counting the matches first, then reading
// them, would take two passes, and for words common in the catalog but
// rare together ("giao đất nguyễn văn an") a pass is most of the cost.
func searchPage(ctx context.Context, tx *sql.Tx, terms []term, f filter, q catalog.Query, lim searchLimits) ([]hitRow, error) {
	limit, offset := q.Limit, max(q.Offset, 0)
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	withArgs := func(args ...any) []any { return append(append([]any(nil), f.withArgs...), args...) }
	if len(terms) == 0 {
		// The ids come off an index alone; only the page's records are read.
		return readHits(ctx, tx, statement{f.prefix() + `SELECT ` + hitColumns + `, 0 FROM records AS r
			WHERE r.id IN (` + f.ids() + ` ORDER BY r.id DESC LIMIT ? OFFSET ?)
			ORDER BY r.id DESC`, withArgs(append(append([]any(nil), f.args...), limit, offset)...)})
	}
	match := matchExpr(terms)
	bm25, err := bm25Cheap(ctx, tx, terms, lim.commonWord)
	if err != nil {
		return nil, err
	}
	r := ranker{terms: terms, match: match, bm25: bm25, readHead: lim.readHead}
	filtered := len(f.conds) > 0
	if !filtered && !bm25 {
		return windowedPage(ctx, tx, r, lim, limit, offset)
	}

	// The newest matches, as many as a block holds: all of them when they
	// are fewer. With filters only all of them are wanted, if they are
	// fewer: they are read up the index, which costs half the pass down.
	order := ` DESC`
	if filtered {
		order = ``
	}
	matches, err := readIDs(ctx, tx, statement{`SELECT rowid FROM search WHERE search MATCH ?
		ORDER BY rowid` + order + ` LIMIT ?`, []any{match, lim.block}})
	if err != nil {
		return nil, err
	}
	if filtered {
		slices.Reverse(matches)
	}
	if len(matches) < lim.block {
		if filtered && len(matches) > 0 {
			// Few matches: each checked against the filters.
			if matches, err = readIDs(ctx, tx, statement{f.prefix() + `SELECT r.id FROM records AS r
				WHERE r.id IN (SELECT value FROM json_each(?)) AND ` + f.where() + ` ORDER BY r.id DESC`,
				withArgs(append([]any{idList(matches)}, f.args...)...)}); err != nil {
				return nil, err
			}
		}
		return r.page(ctx, tx, matches, limit, offset)
	}

	// block returns the hits of the block whose ids are below hi (0: no
	// bound), newest first, and the bound of the next block (0: none).
	// keptIDs are the records the filters keep below the current block's
	// top, newest first, as far as they have been read; keptMore says
	// there may be more below them.
	var keptIDs []int64
	keptMore := true
	block := func(hi int64) ([]int64, int64, error) {
		if !filtered {
			ids := matches
			if hi > 0 {
				var err error
				if ids, err = readIDs(ctx, tx, statement{`SELECT rowid FROM search WHERE search MATCH ? AND rowid < ?
					ORDER BY rowid DESC LIMIT ?`, []any{match, hi, lim.block}}); err != nil {
					return nil, 0, err
				}
			}
			if len(ids) < lim.block {
				return ids, 0, nil
			}
			return ids, ids[len(ids)-1], nil
		}
		// The block's records the filters keep, newest first, then the
		// matches among them: one pass up the index over the block's span
		// of ids.
		for len(keptIDs) > 0 && hi > 0 && keptIDs[0] >= hi {
			keptIDs = keptIDs[1:]
		}
		if len(keptIDs) < lim.keptBlock && keptMore {
			// Finding the records the filters keep sorts them all (by
			// unit, then id): read many blocks' worth at a time.
			below, args := "", withArgs(f.args...)
			if from := lowest(keptIDs, hi); from > 0 {
				below, args = ` AND r.id < ?`, append(args, from)
			}
			more, err := readIDs(ctx, tx, statement{f.prefix() + f.ids() + below + ` ORDER BY r.id DESC LIMIT ?`, append(args, lim.block)})
			if err != nil {
				return nil, 0, err
			}
			keptIDs, keptMore = append(keptIDs, more...), len(more) == lim.block
		}
		if len(keptIDs) == 0 {
			return nil, 0, nil
		}
		kept := keptIDs[:min(lim.keptBlock, len(keptIDs))]
		lo, next := kept[len(kept)-1], int64(0)
		if len(keptIDs) > len(kept) || keptMore {
			next = lo
		}
		// Up the index from the lowest to the highest of them (a unit's
		// records may be a narrow span of ids): see pageByIndex.
		found, err := readIDs(ctx, tx, statement{`SELECT rowid FROM search WHERE search MATCH ? AND rowid >= ? AND rowid <= ?`,
			[]any{match, lo, kept[0]}})
		if err != nil {
			return nil, 0, err
		}
		slices.Reverse(found)
		return intersectDesc(found, kept), next, nil
	}

	var hi int64
	if !filtered && offset >= lim.block {
		// Every block but the last holds lim.block matches: skip to the
		// page's.
		k := offset / lim.block
		err := tx.QueryRowContext(ctx, `SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?`,
			match, k*lim.block-1).Scan(&hi)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		offset %= lim.block
	}
	p := pager{limit: limit, offset: offset}
	for p.limit > 0 {
		ids, next, err := block(hi)
		if err != nil {
			return nil, err
		}
		if err := p.take(ctx, tx, r, ids); err != nil {
			return nil, err
		}
		if next == 0 {
			break
		}
		hi = next
	}
	return p.out, nil
}

// pager gathers a page of hits from blocks taken newest first.
type pager struct {
	limit, offset int // what is still wanted, and still to skip
	out           []hitRow
}

// take adds the page's hits from the block ids, ranked by r.
func (p *pager) take(ctx context.Context, tx *sql.Tx, r ranker, ids []int64) error {
	if p.offset >= len(ids) {
		p.offset -= len(ids)
		return nil
	}
	rows, err := r.page(ctx, tx, ids, p.limit, p.offset)
	if err != nil {
		return err
	}
	p.out = append(p.out, rows...)
	p.limit -= len(rows)
	p.offset = 0
	return nil
}

// windowedPage is searchPage for words of which some are common, and no
// filters. A block starts at the newest match below the block before,
// and holds the matches from there down to lim.block of them or
// lim.window ids below it, whichever comes first: common words rare
// together ("giao đất nguyễn văn an", 847 records in a million) would
// otherwise cost a pass over the whole index to find the first block, for
// hits ranked by no more than which hold every word in their number or
// subject. The blocks up to the page's end come from one pass down the
// index: FTS5 starts a pass down below a given rowid by walking up to
// it, so a pass per block would walk the index once per block. A catalog
// with fewer records than lim.window has one window.
func windowedPage(ctx context.Context, tx *sql.Tx, r ranker, lim searchLimits, limit, offset int) ([]hitRow, error) {
	blocks, err := windowBlocks(ctx, tx, r.match, int64(lim.window), lim.block, offset+limit)
	if err != nil {
		return nil, err
	}
	p := pager{limit: limit, offset: offset}
	for _, ids := range blocks {
		if p.limit <= 0 {
			break
		}
		if err := p.take(ctx, tx, r, ids); err != nil {
			return nil, err
		}
	}
	return p.out, nil
}

// windowBlocks reads the blocks of windowedPage, newest first, until
// they hold need matches or there are no more.
func windowBlocks(ctx context.Context, tx *sql.Tx, match string, window int64, size, need int) ([][]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid DESC`, match)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		blocks [][]int64
		block  []int64
		held   int
	)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if len(block) == size || (window > 0 && len(block) > 0 && id <= block[0]-window) {
			blocks, held = append(blocks, block), held+len(block)
			block = nil
			if held >= need {
				return blocks, nil
			}
		}
		block = append(block, id)
	}
	if len(block) > 0 {
		blocks = append(blocks, block)
	}
	return blocks, rows.Err()
}

// lowest is the lowest of ids (sorted newest first), or hi when there
// are none.
func lowest(ids []int64, hi int64) int64 {
	if len(ids) == 0 {
		return hi
	}
	return ids[len(ids)-1]
}

// intersectDesc returns the ids in both a and b, each sorted newest
// (highest) first.
func intersectDesc(a, b []int64) []int64 {
	var out []int64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			out = append(out, a[i])
			i++
			j++
		case a[i] > b[j]:
			i++
		default:
			j++
		}
	}
	return out
}

// idList is ids as a JSON array, for json_each: one argument however
// many ids.
func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// ranker orders the hits of one block.
type ranker struct {
	terms []term
	match string
	// bm25 ranks by BM25; otherwise the hits whose number or subject hold
	// every word come first (Score 1), then the others (Score 0), newest
	// first among each (see bm25Cheap).
	bm25 bool
	// readHead is searchLimits.readHead.
	readHead int
}

// rankChunk is how many records page reads at a time while it looks for
// the hits whose number or subject hold every word.
const rankChunk = 256

// page returns limit hits after offset of the block ids (newest first).
func (r ranker) page(ctx context.Context, tx *sql.Tx, ids []int64, limit, offset int) ([]hitRow, error) {
	if offset >= len(ids) {
		return nil, nil
	}
	if r.bm25 {
		// Ranked in one pass over the index's span of the block: BM25 is
		// cheap in one pass, and costs a fresh setup per record looked up
		// one by one. The + keeps SQLite from doing just that with the
		// IN.
		return readHits(ctx, tx, statement{`SELECT ` + hitColumns + `, s.rank
			FROM (SELECT rowid, rank FROM search WHERE search MATCH ? AND rowid >= ? AND rowid <= ?
				AND +rowid IN (SELECT value FROM json_each(?))
				ORDER BY rank, rowid DESC LIMIT ? OFFSET ?) AS s
			JOIN records AS r ON r.id = s.rowid
			ORDER BY s.rank, s.rowid DESC`,
			[]any{r.match, ids[len(ids)-1], ids[0], idList(ids), limit, offset}})
	}
	// The hits whose number or subject hold every word, then the others,
	// newest first among each. The newest readHead hits are read a chunk
	// at a time until there are enough of the first ones for the page:
	// reading a few hundred records costs less than the index query of
	// pageByIndex, which reads the positions of every word in the text of
	// every hit in the block's span of ids. Only when they are not enough,
	// and the block holds more, does the index answer.
	var first, other []hitRow
	read := 0
	for read < min(len(ids), r.readHead) && len(first) < offset+limit {
		chunk := ids[read:min(read+rankChunk, len(ids))]
		rows, err := readHits(ctx, tx, statement{`SELECT ` + hitColumns + `, 0 FROM records AS r
			WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id DESC`, []any{idList(chunk)}})
		if err != nil {
			return nil, err
		}
		for _, h := range rows {
			if headHolds(h.hit.Number, h.hit.Subject, r.terms) {
				h.hit.Score = 1
				first = append(first, h)
			} else {
				other = append(other, h)
			}
		}
		read += len(chunk)
	}
	if len(first) < offset+limit && read < len(ids) {
		return r.pageByIndex(ctx, tx, ids, limit, offset)
	}
	all := append(first, other...)
	if offset >= len(all) {
		return nil, nil
	}
	return all[offset:min(offset+limit, len(all))], nil
}

// pageByIndex is page for a block of many hits, common words: the index
// finds the block's hits whose number or subject hold every word, and
// only the page's records are read.
func (r ranker) pageByIndex(ctx context.Context, tx *sql.Tx, ids []int64, limit, offset int) ([]hitRow, error) {
	// Up the index from the block's lowest id: going down, FTS5 passes
	// the lower bound of a column filter's rowids without stopping, on
	// to the end of the index when the block holds none.
	first, err := readIDs(ctx, tx, statement{`SELECT rowid FROM search WHERE search MATCH ? AND rowid >= ? AND rowid <= ?
		AND +rowid IN (SELECT value FROM json_each(?))`,
		[]any{"{number subject} : (" + r.match + ")", ids[len(ids)-1], ids[0], idList(ids)}})
	if err != nil {
		return nil, err
	}
	slices.Reverse(first)
	isFirst := make(map[int64]bool, len(first))
	for _, id := range first {
		isFirst[id] = true
	}
	order := append(make([]int64, 0, len(ids)), first...)
	for _, id := range ids {
		if !isFirst[id] {
			order = append(order, id)
		}
	}
	if offset >= len(order) {
		return nil, nil
	}
	page := order[offset:min(offset+limit, len(order))]
	rows, err := readHits(ctx, tx, statement{`SELECT ` + hitColumns + `, 0 FROM records AS r
		WHERE r.id IN (SELECT value FROM json_each(?))`, []any{idList(page)}})
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]hitRow, len(rows))
	for _, h := range rows {
		byID[h.hit.RecordID] = h
	}
	out := make([]hitRow, 0, len(page))
	for i, id := range page {
		h, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("record %d is in the search index but not in records", id)
		}
		if offset+i < len(first) {
			h.hit.Score = 1
		}
		out = append(out, h)
	}
	return out, nil
}

// headHolds reports whether every term is in the number or the subject,
// as the index holds them (folded, one column at a time): what the index
// query {number subject} : (terms) matches.
func headHolds(number, subject string, terms []term) bool {
	cols := [2][]word{tokenize(vntext.Fold(number)), tokenize(vntext.Fold(subject))}
	for _, t := range terms {
		one := []term{t}
		if len(findMatches(cols[0], one)) == 0 && len(findMatches(cols[1], one)) == 0 {
			return false
		}
	}
	return true
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
