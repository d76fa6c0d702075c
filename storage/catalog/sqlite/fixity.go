package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"sohoa/storage/catalog"
)

var (
	_ catalog.Fixity      = (*DB)(nil)
	_ catalog.ArchiveSums = (*DB)(nil)
)

// objectColumns are the records columns holding an object's key and the
// sha256 its bytes must have, by kind.
var objectColumns = map[string][2]string{
	catalog.ObjectOriginal: {"original", "sha256"},
	catalog.ObjectArchive:  {"archive", "archive_sha256"},
}

// StoredObjects returns the objects of q.Kind the records matching q point
// at, in key order, with their last check.
func (db *DB) StoredObjects(ctx context.Context, q catalog.ObjectQuery) ([]catalog.StoredObject, error) {
	cols, ok := objectColumns[q.Kind]
	if !ok {
		return nil, fmt.Errorf("list stored objects: unknown kind %q", q.Kind)
	}
	where, args := objectWhere(cols[0], q)
	if q.After != "" {
		where += " AND " + cols[0] + " > ?"
		args = append(args, q.After)
	}
	limit := ""
	if q.Limit > 0 {
		limit = " LIMIT " + strconv.Itoa(q.Limit)
	}
	// With one min() in an aggregate, SQLite takes the bare column (the
	// sha256) from the row holding the minimum: the first record's.
	query := `SELECT g.key, g.sha, g.ids,
			f.checked_at, coalesce(f.result, ''), coalesce(f.sha256, ''), coalesce(f.size, 0), coalesce(f.detail, '')
		FROM (SELECT ` + cols[0] + ` AS key, min(id) AS first, ` + cols[1] + ` AS sha, group_concat(id) AS ids
			FROM records WHERE ` + where + ` GROUP BY ` + cols[0] + ` ORDER BY ` + cols[0] + limit + `) g
		LEFT JOIN fixity_objects f ON f.key = g.key
		ORDER BY g.key`
	out, err := readAll(ctx, db, query, args, func(rows *sql.Rows) (catalog.StoredObject, error) {
		o := catalog.StoredObject{Kind: q.Kind}
		var (
			ids     string
			checked sql.NullString
		)
		if err := rows.Scan(&o.Key, &o.SHA256, &ids, &checked, &o.Last.Result, &o.Last.Got, &o.Last.Size, &o.Last.Detail); err != nil {
			return o, err
		}
		var err error
		if o.Records, err = parseIDs(ids); err != nil {
			return o, err
		}
		return o, fillLast(&o, checked)
	})
	if err != nil {
		return nil, fmt.Errorf("list stored %s objects: %w", q.Kind, err)
	}
	return out, nil
}

// CountStoredObjects counts the objects StoredObjects would return for q
// without its After and Limit.
func (db *DB) CountStoredObjects(ctx context.Context, q catalog.ObjectQuery) (int, error) {
	cols, ok := objectColumns[q.Kind]
	if !ok {
		return 0, fmt.Errorf("count stored objects: unknown kind %q", q.Kind)
	}
	where, args := objectWhere(cols[0], q)
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(DISTINCT `+cols[0]+`) FROM records WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count stored %s objects: %w", q.Kind, err)
	}
	return n, nil
}

func objectWhere(col string, q catalog.ObjectQuery) (string, []any) {
	where := []string{col + " <> ''"}
	var args []any
	if q.Unit != "" {
		where, args = append(where, "unit = ?"), append(args, q.Unit)
	}
	if len(q.Records) > 0 {
		where = append(where, "id IN ("+placeholders(len(q.Records))+")")
		for _, id := range q.Records {
			args = append(args, id)
		}
	}
	return strings.Join(where, " AND "), args
}

// StoredObject returns the object under key with the records pointing at
// it; ErrNotFound when none does.
func (db *DB) StoredObject(ctx context.Context, key string) (catalog.StoredObject, error) {
	for _, kind := range []string{catalog.ObjectOriginal, catalog.ObjectArchive} {
		cols := objectColumns[kind]
		o := catalog.StoredObject{Key: key, Kind: kind}
		rows, err := readAll(ctx, db, `SELECT id, `+cols[1]+` FROM records WHERE `+cols[0]+` = ? ORDER BY id`, []any{key},
			func(rows *sql.Rows) (struct {
				id  int64
				sha string
			}, error) {
				var r struct {
					id  int64
					sha string
				}
				return r, rows.Scan(&r.id, &r.sha)
			})
		if err != nil {
			return o, fmt.Errorf("look up stored object %s: %w", key, err)
		}
		if len(rows) == 0 {
			continue
		}
		o.SHA256 = rows[0].sha
		for _, r := range rows {
			o.Records = append(o.Records, r.id)
		}
		var checked sql.NullString
		err = db.read.QueryRowContext(ctx, `SELECT checked_at, result, sha256, size, detail FROM fixity_objects WHERE key = ?`, key).
			Scan(&checked, &o.Last.Result, &o.Last.Got, &o.Last.Size, &o.Last.Detail)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return o, fmt.Errorf("read last check of %s: %w", key, err)
		}
		return o, fillLast(&o, checked)
	}
	return catalog.StoredObject{}, fmt.Errorf("look up stored object %s: %w", key, catalog.ErrNotFound)
}

// fillLast completes o.Last from its row.
func fillLast(o *catalog.StoredObject, checked sql.NullString) error {
	o.Last.Key, o.Last.Kind, o.Last.Records = o.Key, o.Kind, o.Records
	if o.Last.Result != "" {
		o.Last.Expected = o.SHA256
	}
	if !checked.Valid {
		return nil
	}
	var err error
	o.Last.At, err = parseTime(checked.String)
	return err
}

// DueObjects returns up to n objects, least recently checked first, those
// never checked before any. A key no record points at any more (its record
// now points elsewhere) is forgotten on the way.
func (db *DB) DueObjects(ctx context.Context, n int) ([]catalog.StoredObject, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []catalog.StoredObject
	after := sql.NullString{}
	afterKey := ""
	// A few rounds at most: stale keys are rare (a record re-pointed).
	for round := 0; round < 4 && len(out) < n; round++ {
		type due struct {
			key     string
			checked sql.NullString
		}
		query := `SELECT key, checked_at FROM fixity_objects ORDER BY checked_at, key LIMIT ?`
		args := []any{n - len(out)}
		if round > 0 {
			// Continue after the last row seen, in (checked_at, key) order.
			if after.Valid {
				query = `SELECT key, checked_at FROM fixity_objects
					WHERE checked_at > ? OR (checked_at = ? AND key > ?)
					ORDER BY checked_at, key LIMIT ?`
				args = []any{after.String, after.String, afterKey, n - len(out)}
			} else {
				query = `SELECT key, checked_at FROM fixity_objects
					WHERE checked_at IS NOT NULL OR key > ?
					ORDER BY checked_at, key LIMIT ?`
				args = []any{afterKey, n - len(out)}
			}
		}
		rows, err := readAll(ctx, db, query, args, func(rows *sql.Rows) (due, error) {
			var d due
			return d, rows.Scan(&d.key, &d.checked)
		})
		if err != nil {
			return nil, fmt.Errorf("pick objects due for a check: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		stale := 0
		for _, d := range rows {
			after, afterKey = d.checked, d.key
			o, err := db.StoredObject(ctx, d.key)
			if errors.Is(err, catalog.ErrNotFound) {
				stale++
				if _, err := db.write.ExecContext(ctx, `DELETE FROM fixity_objects WHERE key = ?`, d.key); err != nil {
					return nil, fmt.Errorf("forget object %s: %w", d.key, err)
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		if stale == 0 {
			break
		}
	}
	return out, nil
}

// Referenced reports whether any record points at key.
func (db *DB) Referenced(ctx context.Context, key string) (bool, error) {
	var ok bool
	err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM records WHERE original = ?)
		OR EXISTS (SELECT 1 FROM records WHERE archive = ?)`, key, key).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up records of object %s: %w", key, err)
	}
	return ok, nil
}

// SaveCheck keeps c as the last check of c.Key.
func (db *DB) SaveCheck(ctx context.Context, c catalog.FixityCheck) error {
	switch c.Result {
	case catalog.FixityOK, catalog.FixityMissing, catalog.FixityAltered:
	default:
		return fmt.Errorf("save check of %s: result %q is not one a record's object can have", c.Key, c.Result)
	}
	if c.At.IsZero() {
		c.At = db.now()
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO fixity_objects (key, kind, checked_at, result, sha256, size, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET checked_at = excluded.checked_at, result = excluded.result,
			sha256 = excluded.sha256, size = excluded.size, detail = excluded.detail`,
		c.Key, c.Kind, formatTime(c.At), string(c.Result), c.Got, c.Size, c.Detail)
	if err != nil {
		return fmt.Errorf("save check of %s: %w", c.Key, err)
	}
	return nil
}

// SaveScan records a finished pass over the whole store and replaces the
// orphans known with s.Orphans, in one transaction.
func (db *DB) SaveScan(ctx context.Context, s catalog.FixityScan) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO fixity_scans
			(scope, started_at, finished_at, checked, ok, missing, altered, orphaned) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			s.Scope, formatTime(s.Started), formatTime(s.Finished), s.Checked, s.OK, s.Missing, s.Altered, s.Orphaned); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM fixity_orphans`); err != nil {
			return err
		}
		for _, o := range s.Orphans {
			at := o.At
			if at.IsZero() {
				at = s.Finished
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO fixity_orphans (key, size, detail, found_at)
				VALUES (?, ?, ?, ?)`, o.Key, o.Size, o.Detail, formatTime(at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save %s fixity pass: %w", s.Scope, err)
	}
	return nil
}

// LastScan returns when the last pass of the scope finished ("" for any
// scope); zero when there was none.
func (db *DB) LastScan(ctx context.Context, scope string) (time.Time, error) {
	var at sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT max(finished_at) FROM fixity_scans WHERE ? = '' OR scope = ?`, scope, scope).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("read last fixity pass: %w", err)
	}
	return parseTime(at.String)
}

// FixitySummary sums up the last checks of every object and the orphans
// of the last listing, with up to problems of the objects found wrong,
// most recent first.
func (db *DB) FixitySummary(ctx context.Context, problems int) (catalog.FixitySummary, error) {
	s := catalog.FixitySummary{Objects: map[catalog.FixityResult]int{}}
	wrap := func(err error) (catalog.FixitySummary, error) {
		return catalog.FixitySummary{}, fmt.Errorf("sum up fixity checks: %w", err)
	}
	counts, err := readAll(ctx, db, `SELECT result, n FROM fixity_counts WHERE n > 0`, nil,
		func(rows *sql.Rows) (struct {
			r string
			n int
		}, error) {
			var c struct {
				r string
				n int
			}
			return c, rows.Scan(&c.r, &c.n)
		})
	if err != nil {
		return wrap(err)
	}
	for _, c := range counts {
		s.Objects[catalog.FixityResult(c.r)] = c.n
	}
	var orphans int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM fixity_orphans`).Scan(&orphans); err != nil {
		return wrap(err)
	}
	if orphans > 0 {
		s.Objects[catalog.FixityOrphaned] = orphans
	}
	var last, oldest, pass sql.NullString
	// Two statements: SQLite answers a lone min() or max() from the
	// index, both together by a scan.
	if err := db.read.QueryRowContext(ctx, `SELECT max(checked_at) FROM fixity_objects`).Scan(&last); err != nil {
		return wrap(err)
	}
	if err := db.read.QueryRowContext(ctx, `SELECT min(checked_at) FROM fixity_objects WHERE checked_at IS NOT NULL`).Scan(&oldest); err != nil {
		return wrap(err)
	}
	if err := db.read.QueryRowContext(ctx, `SELECT max(finished_at) FROM fixity_scans`).Scan(&pass); err != nil {
		return wrap(err)
	}
	if s.LastCheck, err = parseTime(last.String); err != nil {
		return wrap(err)
	}
	if s.Objects[""] == 0 {
		if s.OldestCheck, err = parseTime(oldest.String); err != nil {
			return wrap(err)
		}
	}
	if s.LastFullPass, err = parseTime(pass.String); err != nil {
		return wrap(err)
	}
	if problems <= 0 {
		return s, nil
	}
	wrong, err := readAll(ctx, db, `SELECT key, kind, checked_at, result, sha256, size, detail FROM fixity_objects
		WHERE result IN ('missing', 'altered') ORDER BY checked_at DESC LIMIT ?`, []any{problems},
		func(rows *sql.Rows) (catalog.FixityCheck, error) {
			var (
				c      catalog.FixityCheck
				at     string
				result string
			)
			if err := rows.Scan(&c.Key, &c.Kind, &at, &result, &c.Got, &c.Size, &c.Detail); err != nil {
				return c, err
			}
			c.Result = catalog.FixityResult(result)
			c.At, err = parseTime(at)
			return c, err
		})
	if err != nil {
		return wrap(err)
	}
	for i := range wrong {
		if o, err := db.StoredObject(ctx, wrong[i].Key); err == nil {
			wrong[i].Records, wrong[i].Expected = o.Records, o.SHA256
		} else if !errors.Is(err, catalog.ErrNotFound) {
			return wrap(err)
		}
	}
	lost, err := readAll(ctx, db, `SELECT key, size, detail, found_at FROM fixity_orphans
		ORDER BY found_at DESC, key LIMIT ?`, []any{problems},
		func(rows *sql.Rows) (catalog.FixityCheck, error) {
			c := catalog.FixityCheck{Result: catalog.FixityOrphaned}
			var at string
			if err := rows.Scan(&c.Key, &c.Size, &c.Detail, &at); err != nil {
				return c, err
			}
			c.Kind = kindOfKey(c.Key)
			var err error
			c.At, err = parseTime(at)
			return c, err
		})
	if err != nil {
		return wrap(err)
	}
	s.Problems = append(wrong, lost...)
	sort.SliceStable(s.Problems, func(i, j int) bool { return s.Problems[i].At.After(s.Problems[j].At) })
	if len(s.Problems) > problems {
		s.Problems = s.Problems[:problems]
	}
	return s, nil
}

// kindOfKey guesses an orphan's kind from its folder.
func kindOfKey(key string) string {
	if strings.HasPrefix(key, "archives/") {
		return catalog.ObjectArchive
	}
	return catalog.ObjectOriginal
}

// SetArchiveSHA256 records the sha256 of the record's archival PDF. When
// it replaces a different one (the archive was built again), the last
// check of the archive no longer says anything about it and is cleared.
func (db *DB) SetArchiveSHA256(ctx context.Context, recordID int64, sha256hex string) error {
	sha256hex = strings.ToLower(sha256hex)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var old, key string
		err := tx.QueryRowContext(ctx, `SELECT archive_sha256, archive FROM records WHERE id = ?`, recordID).Scan(&old, &key)
		if err != nil {
			return notFound(err)
		}
		if old == sha256hex {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE records SET archive_sha256 = ? WHERE id = ?`, sha256hex, recordID); err != nil {
			return err
		}
		if old != "" && key != "" {
			_, err = tx.ExecContext(ctx, `UPDATE fixity_objects SET checked_at = NULL, result = '', sha256 = '', size = 0, detail = ''
				WHERE key = ?`, key)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("record archive sha256 of record %d: %w", recordID, err)
	}
	return nil
}

func parseIDs(s string) ([]int64, error) {
	var ids []int64
	for _, f := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse record ids %q: %w", s, err)
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}
