package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strconv"

	"sohoa/storage/catalog"
)

var _ catalog.AuditLog = (*DB)(nil)

// hashDomain starts every hashed encoding, so an event hash can never be
// mistaken for the hash of anything else sohoa computes.
const hashDomain = "sohoa-audit-event/1"

// chainRow is one row of events as stored: the hash covers these exact
// strings, so verification never depends on parsing them back.
type chainRow struct {
	id       int64
	at       string
	actor    string
	action   string
	recordID sql.NullInt64
	details  string
	prevHash string
	hash     string
}

const chainColumns = `id, at, actor, action, record_id, details, prev_hash, hash`

func scanChainRow(s interface{ Scan(...any) error }) (chainRow, error) {
	var r chainRow
	err := s.Scan(&r.id, &r.at, &r.actor, &r.action, &r.recordID, &r.details, &r.prevHash, &r.hash)
	return r, err
}

// computeHash is the hex sha256 of the row's canonical encoding: the
// domain, then id, at, actor, action, record_id (empty for none), details
// and prev_hash, each as its 8-byte big-endian length and its bytes. The
// lengths make the encoding unambiguous ("ab"+"c" differs from "a"+"bc").
func (r chainRow) computeHash() string {
	h := sha256.New()
	put := func(h hash.Hash, s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(h, hashDomain)
	put(h, strconv.FormatInt(r.id, 10))
	put(h, r.at)
	put(h, r.actor)
	put(h, r.action)
	rid := ""
	if r.recordID.Valid {
		rid = strconv.FormatInt(r.recordID.Int64, 10)
	}
	put(h, rid)
	put(h, r.details)
	put(h, r.prevHash)
	return hex.EncodeToString(h.Sum(nil))
}

func (r chainRow) event() (catalog.ChainedEvent, error) {
	at, err := parseTime(r.at)
	if err != nil {
		return catalog.ChainedEvent{}, fmt.Errorf("event %d: %w", r.id, err)
	}
	return catalog.ChainedEvent{
		Event:    catalog.Event{ID: r.id, At: at, Actor: r.actor, Action: r.action, RecordID: r.recordID.Int64, Details: r.details},
		PrevHash: r.prevHash, Hash: r.hash,
	}, nil
}

// querier is a transaction or a pool.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// chainHead reads the last event through q.
func chainHead(ctx context.Context, q querier) (catalog.ChainHead, error) {
	var (
		h  catalog.ChainHead
		at string
	)
	err := q.QueryRowContext(ctx, `SELECT id, hash, at FROM events ORDER BY id DESC LIMIT 1`).Scan(&h.LastID, &h.Hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.ChainHead{Hash: catalog.GenesisHash}, nil
	}
	if err != nil {
		return h, fmt.Errorf("read the head of the audit chain: %w", err)
	}
	if h.At, err = parseTime(at); err != nil {
		return h, fmt.Errorf("read the head of the audit chain: %w", err)
	}
	return h, nil
}

// legacyBatch is how many pre-chain events chainLegacy hashes per query.
const legacyBatch = 500

// chainLegacy gives their hashes to the events logged before the chain
// existed (migration 0004): the unhashed events before the first hashed
// one, in id order from the genesis. It runs inside tx, so a crash leaves
// them all unhashed, and it finds nothing to do once they are hashed. An
// unhashed event after a hashed one is not legacy but tampering: it is
// left for VerifyChain to report. It returns how many it hashed.
func chainLegacy(ctx context.Context, tx *sql.Tx) (int, error) {
	var first sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT min(id) FROM events WHERE hash = ''`).Scan(&first); err != nil {
		return 0, fmt.Errorf("look for unchained events: %w", err)
	}
	if !first.Valid {
		return 0, nil
	}
	var end sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT min(id) FROM events WHERE hash <> ''`).Scan(&end); err != nil {
		return 0, fmt.Errorf("look for unchained events: %w", err)
	}
	if end.Valid && end.Int64 < first.Int64 {
		return 0, nil
	}
	if !end.Valid {
		end.Int64 = 1<<63 - 1
	}
	prev, after, n := catalog.GenesisHash, int64(0), 0
	for {
		rows, err := tx.QueryContext(ctx, `SELECT `+chainColumns+` FROM events
			WHERE hash = '' AND id > ? AND id < ? ORDER BY id LIMIT ?`, after, end.Int64, legacyBatch)
		if err != nil {
			return n, fmt.Errorf("chain earlier events: %w", err)
		}
		var batch []chainRow
		for rows.Next() {
			r, err := scanChainRow(rows)
			if err != nil {
				rows.Close()
				return n, fmt.Errorf("chain earlier events: %w", err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("chain earlier events: %w", err)
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, r := range batch {
			r.prevHash = prev
			r.hash = r.computeHash()
			if _, err := tx.ExecContext(ctx, `UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?`, r.prevHash, r.hash, r.id); err != nil {
				return n, fmt.Errorf("chain event %d: %w", r.id, err)
			}
			prev, after = r.hash, r.id
			n++
		}
	}
}

// ChainLegacy hashes the events logged before the audit chain existed, if
// any are left (see migration 0004), and returns how many it hashed.
// AppendEvent, Head and VerifyChain call it; it is exported for `sohoa
// audit` to say what it did.
func (db *DB) ChainLegacy(ctx context.Context) (int, error) {
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = chainLegacy(ctx, tx)
		return err
	})
	return n, err
}

// Head returns the last event of the audit chain.
func (db *DB) Head(ctx context.Context) (catalog.ChainHead, error) {
	h, err := chainHead(ctx, db.read)
	if err != nil || h.Hash != "" {
		return h, err
	}
	// The last event predates the chain: hash it first.
	if _, err := db.ChainLegacy(ctx); err != nil {
		return h, err
	}
	return chainHead(ctx, db.read)
}

// AuditEvents returns the events matching f, oldest first; with a Limit,
// the newest Limit of them.
func (db *DB) AuditEvents(ctx context.Context, f catalog.AuditFilter) ([]catalog.ChainedEvent, error) {
	q := `SELECT ` + chainColumns + ` FROM events WHERE 1 = 1`
	var args []any
	if f.RecordID != 0 {
		q += ` AND record_id = ?`
		args = append(args, f.RecordID)
	}
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if !f.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, formatTime(f.Since))
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	out, err := readAll(ctx, db, q, args, func(rows *sql.Rows) (catalog.ChainedEvent, error) {
		r, err := scanChainRow(rows)
		if err != nil {
			return catalog.ChainedEvent{}, err
		}
		return r.event()
	})
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// VerifyChain walks every event in id order, recomputing each hash and
// checking each link and each checkpoint, and reports the first break.
// Events logged before the chain existed are hashed first.
func (db *DB) VerifyChain(ctx context.Context, checkpoints []catalog.Checkpoint) (catalog.ChainReport, error) {
	if _, err := db.ChainLegacy(ctx); err != nil {
		return catalog.ChainReport{}, err
	}
	cps := append([]catalog.Checkpoint(nil), checkpoints...)
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].LastID < cps[j].LastID })
	rep := catalog.ChainReport{Head: catalog.ChainHead{Hash: catalog.GenesisHash}, Checkpoints: len(cps)}

	// The checkpoints of an empty log pin the genesis.
	next := 0
	for ; next < len(cps) && cps[next].LastID <= 0; next++ {
		if cps[next].Hash != catalog.GenesisHash {
			rep.Break = checkpointBreak(cps[next], 0)
			return rep, nil
		}
	}

	var (
		wantID   = int64(1)
		wantPrev = catalog.GenesisHash
		goodCP   int64 // the last checkpoint that matched
		// badLink is the first event whose prev_hash is not the hash of
		// the event before it; why is worked out after the walk.
		badLink *chainRow
	)
	err := func() error {
		rows, err := db.read.QueryContext(ctx, `SELECT `+chainColumns+` FROM events ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanChainRow(rows)
			if err != nil {
				return err
			}
			switch {
			case r.id != wantID:
				rep.Break = &catalog.Break{EventID: wantID, Kind: catalog.BreakMissing, Detail: fmt.Sprintf(
					"sự kiện #%d–#%d đã bị xóa khỏi nhật ký (events %d–%d were deleted from the log)", wantID, r.id-1, wantID, r.id-1)}
				return nil
			case r.hash == "":
				rep.Break = &catalog.Break{EventID: r.id, Kind: catalog.BreakAltered, Detail: fmt.Sprintf(
					"sự kiện #%d không có mã băm: đã bị chèn hoặc sửa ngoài chương trình (event %d has no hash: it was inserted or changed outside sohoa)", r.id, r.id)}
				return nil
			case r.prevHash != wantPrev:
				badLink = &r
				return nil
			case r.computeHash() != r.hash:
				rep.Break = &catalog.Break{EventID: r.id, Kind: catalog.BreakAltered, Detail: fmt.Sprintf(
					"nội dung sự kiện #%d đã bị sửa sau khi ghi (event %d was changed after it was logged: its columns no longer hash to its recorded hash)", r.id, r.id)}
				return nil
			}
			for ; next < len(cps) && cps[next].LastID == r.id; next++ {
				if cps[next].Hash != r.hash {
					rep.Break = checkpointBreak(cps[next], goodCP)
					return nil
				}
				goodCP = r.id
			}
			at, err := parseTime(r.at)
			if err != nil {
				return fmt.Errorf("event %d: %w", r.id, err)
			}
			rep.Events++
			rep.Head = catalog.ChainHead{LastID: r.id, Hash: r.hash, At: at}
			wantID, wantPrev = r.id+1, r.hash
		}
		return rows.Err()
	}()
	if err != nil {
		return rep, fmt.Errorf("walk the audit chain: %w", err)
	}
	if badLink != nil {
		rep.Break, err = db.classifyLink(ctx, *badLink, wantPrev)
		return rep, err
	}
	if rep.Break != nil {
		return rep, nil
	}
	// Checkpoints past the end: the last events were deleted.
	if next < len(cps) {
		last := cps[len(cps)-1]
		rep.Break = &catalog.Break{EventID: wantID, Kind: catalog.BreakMissing, Detail: fmt.Sprintf(
			"sự kiện #%d–#%d đã bị xóa khỏi cuối nhật ký: điểm mốc %s (ghi lúc %s) đã thấy đến #%d "+
				"(events %d–%d were deleted from the end of the log: checkpoint %s, written %s, saw up to %d)",
			wantID, last.LastID, last.Key, last.WrittenAt.Format("2006-01-02 15:04:05Z"), last.LastID,
			wantID, last.LastID, last.Key, last.WrittenAt.Format("2006-01-02 15:04:05Z"), last.LastID)}
	}
	return rep, nil
}

// checkpointBreak reports that the chain differs from cp, and that the
// change lies after goodID, the last checkpoint that matched.
func checkpointBreak(cp catalog.Checkpoint, goodID int64) *catalog.Break {
	id := cp.LastID
	when := cp.WrittenAt.Format("2006-01-02 15:04:05Z")
	return &catalog.Break{EventID: cp.LastID, Kind: catalog.BreakCheckpoint, Detail: fmt.Sprintf(
		"chuỗi đến sự kiện #%d khác với điểm mốc %s (ghi lúc %s): nhật ký đã bị viết lại, chỗ sửa nằm trong các sự kiện #%d–#%d "+
			"(the chain up to event %d differs from checkpoint %s, written %s: the log was rewritten somewhere in events %d–%d)",
		id, cp.Key, when, goodID+1, id, id, cp.Key, when, goodID+1, id)}
}

// classifyLink says why r's prev_hash is not want, the hash of the event
// before it: another event links to want (the two were swapped), r links
// to an event elsewhere (moved), or neither (the event before r was
// changed and rehashed, or r was changed).
func (db *DB) classifyLink(ctx context.Context, r chainRow, want string) (*catalog.Break, error) {
	var other int64
	err := db.read.QueryRowContext(ctx, `SELECT id FROM events WHERE prev_hash = ? AND id <> ? ORDER BY id LIMIT 1`, want, r.id).Scan(&other)
	if err == nil {
		return &catalog.Break{EventID: r.id, Kind: catalog.BreakReordered, Detail: fmt.Sprintf(
			"sự kiện #%d nằm sai thứ tự: sự kiện ghi ngay sau #%d đang ở chỗ #%d (event %d is out of order: the event logged right after %d now sits at %d)",
			r.id, r.id-1, other, r.id, r.id-1, other)}, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("walk the audit chain: %w", err)
	}
	err = db.read.QueryRowContext(ctx, `SELECT id FROM events WHERE hash = ? AND id <> ? ORDER BY id LIMIT 1`, r.prevHash, r.id).Scan(&other)
	if err == nil {
		return &catalog.Break{EventID: r.id, Kind: catalog.BreakReordered, Detail: fmt.Sprintf(
			"sự kiện #%d nằm sai thứ tự: nó được ghi ngay sau sự kiện nay ở chỗ #%d (event %d is out of order: it was logged right after the event now at %d)",
			r.id, other, r.id, other)}, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("walk the audit chain: %w", err)
	}
	if r.computeHash() != r.hash || r.id == 1 {
		return &catalog.Break{EventID: r.id, Kind: catalog.BreakAltered, Detail: fmt.Sprintf(
			"sự kiện #%d đã bị sửa: mắt xích nối nó với sự kiện trước không khớp (event %d was changed: its link to the event before does not match)", r.id, r.id)}, nil
	}
	return &catalog.Break{EventID: r.id - 1, Kind: catalog.BreakAltered, Detail: fmt.Sprintf(
		"sự kiện #%d đã bị sửa rồi tính lại mã băm (hoặc một sự kiện giữa #%d và #%d bị xóa rồi đánh số lại): #%d không còn nối với nó "+
			"(event %d was changed and rehashed, or an event between %d and %d was deleted and the rest renumbered: %d no longer links to it)",
		r.id-1, r.id-1, r.id, r.id, r.id-1, r.id-1, r.id, r.id)}, nil
}
