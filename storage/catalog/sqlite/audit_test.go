package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

func TestEventHashIsCanonical(t *testing.T) {
	t.Parallel()
	base := chainRow{id: 7, at: "2025-01-16T08:30:00.000000000Z", actor: "Lan", action: "ingest",
		recordID: nullID(3), details: `{"a":1}`, prevHash: catalog.GenesisHash}
	if base.computeHash() != base.computeHash() {
		t.Fatal("hash is not deterministic")
	}
	changes := map[string]func(r *chainRow){
		"id":                      func(r *chainRow) { r.id = 8 },
		"at":                      func(r *chainRow) { r.at = "2025-01-16T08:30:00.000000001Z" },
		"actor":                   func(r *chainRow) { r.actor = "Lân" },
		"action":                  func(r *chainRow) { r.action = "view" },
		"record":                  func(r *chainRow) { r.recordID = nullID(4) },
		"no record":               func(r *chainRow) { r.recordID = nullID(0) },
		"details":                 func(r *chainRow) { r.details = `{"a":2}` },
		"prev":                    func(r *chainRow) { r.prevHash = strings.Repeat("1", 64) },
		"boundary actor/action":   func(r *chainRow) { r.actor, r.action = "Laningest", "" },
		"boundary action/details": func(r *chainRow) { r.action, r.details = "ingest{", `"a":1}` },
	}
	seen := map[string]string{base.computeHash(): "base"}
	for name, change := range changes {
		r := base
		change(&r)
		h := r.computeHash()
		if other, dup := seen[h]; dup {
			t.Errorf("%s hashes like %s", name, other)
		}
		seen[h] = name
	}
	// A record id 0 stored as NULL and no record are the same event.
	if a, b := (chainRow{recordID: nullID(0)}).computeHash(), (chainRow{}).computeHash(); a != b {
		t.Error("a NULL record id hashes in two ways")
	}
}

// appendN appends n events by actor and returns them as the log has them.
func appendN(t *testing.T, db *DB, n int, actor string) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := catalog.Event{Actor: actor, Action: "view", Details: fmt.Sprintf(`{"n":%d}`, i)}
		if err := db.AppendEvent(context.Background(), e); err != nil {
			t.Fatalf("AppendEvent: %v", err)
		}
	}
}

func chainOf(t *testing.T, db *DB) []catalog.ChainedEvent {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), catalog.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// checkLinks checks the chain as stored: ids from 1 without a gap, each
// event's PrevHash the Hash of the one before.
func checkLinks(t *testing.T, evs []catalog.ChainedEvent) {
	t.Helper()
	prev := catalog.GenesisHash
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, e.ID)
		}
		if e.PrevHash != prev || len(e.Hash) != 64 || e.Hash == prev {
			t.Fatalf("event %d: prev %s hash %s, want prev %s", e.ID, e.PrevHash, e.Hash, prev)
		}
		prev = e.Hash
	}
}

func mustVerify(t *testing.T, db *DB, cps ...catalog.Checkpoint) catalog.ChainReport {
	t.Helper()
	rep, err := db.VerifyChain(context.Background(), cps)
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	return rep
}

func TestAuditChainCoversEveryEventWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if h, err := db.Head(ctx); err != nil || h.LastID != 0 || h.Hash != catalog.GenesisHash {
		t.Fatalf("Head of an empty log = %+v, %v; want id 0 and the genesis", h, err)
	}
	r := mustRecord(t, db, catalog.Record{BatchID: mustBatch(t, db, "k").ID, Source: "a.pdf"}, false)
	if err := db.AppendEvent(ctx, catalog.Event{Actor: "Lan", Action: "ingest", RecordID: r.ID, Details: `{"file":"a.pdf"}`}); err != nil {
		t.Fatal(err)
	}
	// The writers of registry.go append in their own transactions.
	if err := db.SetSetting(ctx, "schedule", "{}", catalog.Event{Actor: "Minh", Action: "targets_load"}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceUnits(ctx, nil, nil, catalog.Event{Actor: "Minh", Action: "units_import"}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceInventory(ctx, nil, catalog.Event{Actor: "Minh", Action: "inventory_import"}); err != nil {
		t.Fatal(err)
	}
	evs := chainOf(t, db)
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	checkLinks(t, evs)
	for i, want := range []string{"ingest", "targets_load", "units_import", "inventory_import"} {
		if evs[i].Action != want {
			t.Errorf("event %d is %q, want %q", i+1, evs[i].Action, want)
		}
	}
	rep := mustVerify(t, db)
	if rep.Break != nil || rep.Events != 4 || rep.Head.LastID != 4 || rep.Head.Hash != evs[3].Hash {
		t.Errorf("VerifyChain = %+v, want 4 whole events", rep)
	}
	if h, err := db.Head(ctx); err != nil || h != rep.Head {
		t.Errorf("Head = %+v, %v; want %+v", h, err, rep.Head)
	}
	// Code that writes events around the chain is refused.
	_, err := db.write.ExecContext(ctx, `INSERT INTO events (at, actor, action) VALUES ('2025-01-01T00:00:00.000000000Z', 'x', 'x')`)
	if err == nil || !strings.Contains(err.Error(), "audit chain") {
		t.Errorf("a bare INSERT INTO events = %v, want it refused", err)
	}
}

// tamper runs stmts on the catalog file as someone with the file would:
// another connection, the append-only triggers dropped first.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	for _, q := range append([]string{
		`DROP TRIGGER IF EXISTS events_no_update`,
		`DROP TRIGGER IF EXISTS events_no_delete`,
		`DROP TRIGGER IF EXISTS events_chained`,
	}, stmts...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("tamper: %s: %v", q, err)
		}
	}
}

// rehash returns the statement an attacker who knows the encoding runs to
// give event id a hash that matches its (changed) columns.
func rehash(t *testing.T, db *DB, id int64) string {
	t.Helper()
	r, err := scanChainRow(db.read.QueryRow(`SELECT `+chainColumns+` FROM events WHERE id = ?`, id))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`UPDATE events SET hash = '%s' WHERE id = %d`, r.computeHash(), id)
}

// rewriteFrom recomputes every hash from event id on, as an attacker who
// rewrites the whole rest of the chain would.
func rewriteFrom(t *testing.T, db *DB, path string, id int64) {
	t.Helper()
	evs := chainOf(t, db)
	prev := catalog.GenesisHash
	if id > 1 {
		prev = evs[id-2].Hash
	}
	for _, e := range evs[id-1:] {
		r, err := scanChainRow(db.read.QueryRow(`SELECT `+chainColumns+` FROM events WHERE id = ?`, e.ID))
		if err != nil {
			t.Fatal(err)
		}
		r.prevHash = prev
		r.hash = r.computeHash()
		tamper(t, path, fmt.Sprintf(`UPDATE events SET prev_hash = '%s', hash = '%s' WHERE id = %d`, r.prevHash, r.hash, r.id))
		prev = r.hash
	}
}

func TestAuditVerifyCatchesTampering(t *testing.T) {
	t.Parallel()
	const n = 6
	tests := []struct {
		name string
		// attack changes the file of db; checkpointed says whether the
		// chain's head was checkpointed before it.
		attack       func(t *testing.T, db *DB, path string)
		checkpointed bool
		want         *catalog.Break // nil: verify finds nothing
	}{
		{"untouched", func(*testing.T, *DB, string) {}, true, nil},
		{"details edited", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET details = '{"n":99}' WHERE id = 3`)
		}, true, &catalog.Break{EventID: 3, Kind: catalog.BreakAltered}},
		{"actor edited", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET actor = 'Kẻ gian' WHERE id = 4`)
		}, true, &catalog.Break{EventID: 4, Kind: catalog.BreakAltered}},
		{"actor edited and rehashed", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET actor = 'Kẻ gian' WHERE id = 4`)
			tamper(t, path, rehash(t, db, 4))
		}, true, &catalog.Break{EventID: 4, Kind: catalog.BreakAltered}},
		{"last event edited", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET at = '2020-01-01T00:00:00.000000000Z' WHERE id = 6`)
		}, false, &catalog.Break{EventID: 6, Kind: catalog.BreakAltered}},
		{"chain rewritten after an edit", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET actor = 'Kẻ gian' WHERE id = 2`)
			rewriteFrom(t, db, path, 2)
		}, true, &catalog.Break{EventID: n, Kind: catalog.BreakCheckpoint}},
		{"middle event deleted", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `DELETE FROM events WHERE id = 3`)
		}, true, &catalog.Break{EventID: 3, Kind: catalog.BreakMissing}},
		{"first event deleted", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `DELETE FROM events WHERE id = 1`)
		}, false, &catalog.Break{EventID: 1, Kind: catalog.BreakMissing}},
		{"last event deleted", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `DELETE FROM events WHERE id = 6`)
		}, true, &catalog.Break{EventID: 6, Kind: catalog.BreakMissing}},
		{"last two events deleted", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `DELETE FROM events WHERE id >= 5`)
		}, true, &catalog.Break{EventID: 5, Kind: catalog.BreakMissing}},
		// Without a checkpoint the end of the log can be cut unseen: this
		// is why ingest, worker and serve write them.
		{"last event deleted, no checkpoint", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `DELETE FROM events WHERE id = 6`)
		}, false, nil},
		{"neighbours swapped", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET id = -1 WHERE id = 3`, `UPDATE events SET id = 3 WHERE id = 4`, `UPDATE events SET id = 4 WHERE id = -1`)
		}, true, &catalog.Break{EventID: 3, Kind: catalog.BreakReordered}},
		{"far events swapped", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET id = -1 WHERE id = 2`, `UPDATE events SET id = 2 WHERE id = 5`, `UPDATE events SET id = 5 WHERE id = -1`)
		}, true, &catalog.Break{EventID: 2, Kind: catalog.BreakReordered}},
		{"times swapped", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `UPDATE events SET at = (SELECT at FROM events WHERE id = 2) WHERE id = 5`)
		}, true, &catalog.Break{EventID: 5, Kind: catalog.BreakAltered}},
		{"event forged at the end", func(t *testing.T, db *DB, path string) {
			tamper(t, path, `INSERT INTO events (id, at, actor, action) VALUES (7, '2025-02-01T00:00:00.000000000Z', 'Lan', 'view')`)
		}, true, &catalog.Break{EventID: 7, Kind: catalog.BreakAltered}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := testPath(t)
			db := openAt(t, path)
			clk := newClock()
			db.now = clk.Now
			for i := 0; i < n; i++ {
				clk.Advance(time.Minute)
				if err := db.AppendEvent(context.Background(), catalog.Event{Actor: "Lan", Action: "view", Details: fmt.Sprintf(`{"n":%d}`, i)}); err != nil {
					t.Fatal(err)
				}
			}
			var cps []catalog.Checkpoint
			if tt.checkpointed {
				h, err := db.Head(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				cps = append(cps, catalog.Checkpoint{LastID: h.LastID, Hash: h.Hash, Key: "cp"})
			}
			if rep := mustVerify(t, db, cps...); rep.Break != nil {
				t.Fatalf("before the attack: %+v", rep.Break)
			}
			tt.attack(t, db, path)
			rep := mustVerify(t, db, cps...)
			switch {
			case tt.want == nil && rep.Break != nil:
				t.Errorf("VerifyChain found %+v in a log it should accept", rep.Break)
			case tt.want != nil && rep.Break == nil:
				t.Errorf("VerifyChain found nothing (%+v), want %s at event %d", rep, tt.want.Kind, tt.want.EventID)
			case tt.want != nil && (rep.Break.EventID != tt.want.EventID || rep.Break.Kind != tt.want.Kind):
				t.Errorf("VerifyChain = %s at event %d (%s), want %s at event %d",
					rep.Break.Kind, rep.Break.EventID, rep.Break.Detail, tt.want.Kind, tt.want.EventID)
			case tt.want != nil && !strings.Contains(rep.Break.Detail, fmt.Sprint(tt.want.EventID)):
				t.Errorf("detail %q does not name event %d", rep.Break.Detail, tt.want.EventID)
			}
		})
	}
}

func TestAuditConcurrentAppends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	// Two handles on one file: two processes, as ingest and serve are.
	dbs := []*DB{openAt(t, path), openAt(t, path)}
	const goroutines, each = 4, 30
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*goroutines)
	for d, db := range dbs {
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					e := catalog.Event{Actor: fmt.Sprintf("db%d-g%d", d, g), Action: "view", Details: fmt.Sprintf(`{"i":%d}`, i)}
					if err := db.AppendEvent(ctx, e); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	evs := chainOf(t, dbs[1])
	if want := len(dbs) * goroutines * each; len(evs) != want {
		t.Fatalf("%d events, want %d", len(evs), want)
	}
	checkLinks(t, evs)
	for _, db := range dbs {
		if rep := mustVerify(t, db); rep.Break != nil || rep.Events != len(evs) {
			t.Errorf("VerifyChain = %+v, want %d whole events", rep, len(evs))
		}
	}
}

// TestAuditChainsEventsLoggedBeforeIt builds a catalog as it was before
// migration 0004, with events, and opens it with this program.
func TestAuditChainsEventsLoggedBeforeIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`}
	for _, m := range ms {
		if m.version < 4 {
			stmts = append(stmts, m.sql, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', '2025-01-01T00:00:00.000000000Z')`, m.version, m.name))
		}
	}
	for i := 0; i < 3; i++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO events (at, actor, action, details) VALUES ('2025-01-0%dT00:00:00.000000000Z', 'Lan', 'units_import', '{"n":%d}')`, i+1, i))
	}
	for _, q := range stmts {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db := openAt(t, path)
	// Head hashes them on the way.
	h, err := db.Head(ctx)
	if err != nil || h.LastID != 3 || len(h.Hash) != 64 {
		t.Fatalf("Head = %+v, %v; want event 3 with a hash", h, err)
	}
	if n, err := db.ChainLegacy(ctx); err != nil || n != 0 {
		t.Errorf("ChainLegacy again = %d, %v; want nothing left to do", n, err)
	}
	appendN(t, db, 2, "Minh")
	evs := chainOf(t, db)
	if len(evs) != 5 || evs[0].Details != `{"n":0}` || evs[4].Actor != "Minh" {
		t.Fatalf("events = %+v", evs)
	}
	checkLinks(t, evs)
	if evs[2].Hash != h.Hash {
		t.Error("an append changed the hashes given to the earlier events")
	}
	if rep := mustVerify(t, db, catalog.Checkpoint{LastID: 5, Hash: evs[4].Hash}); rep.Break != nil || rep.Events != 5 {
		t.Errorf("VerifyChain = %+v", rep)
	}
	// The one update allowed is the hashing: a hashed event stays as it is.
	if _, err := db.write.ExecContext(ctx, `UPDATE events SET hash = 'x' WHERE id = 1`); err == nil {
		t.Error("a hashed event was rehashed")
	}
}

func TestAuditEventsFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	b := mustBatch(t, db, "k")
	r1 := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "a.pdf"}, false)
	r2 := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "b.pdf"}, false)
	add := func(actor, action string, rid int64) {
		t.Helper()
		clk.Advance(24 * time.Hour)
		if err := db.AppendEvent(ctx, catalog.Event{Actor: actor, Action: action, RecordID: rid}); err != nil {
			t.Fatal(err)
		}
	}
	add("Lan", "ingest", r1.ID)    // 1: 17 Jan
	add("Lan", "ingest", r2.ID)    // 2: 18 Jan
	add("Minh", "view", r1.ID)     // 3: 19 Jan
	add("Minh", "download", r1.ID) // 4: 20 Jan
	add("Minh", "view", r2.ID)     // 5: 21 Jan
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		f    catalog.AuditFilter
		want []int64
	}{
		{"all", catalog.AuditFilter{}, []int64{1, 2, 3, 4, 5}},
		{"record", catalog.AuditFilter{RecordID: r1.ID}, []int64{1, 3, 4}},
		{"actor", catalog.AuditFilter{Actor: "Minh"}, []int64{3, 4, 5}},
		{"since", catalog.AuditFilter{Since: day(19)}, []int64{3, 4, 5}},
		{"limit keeps the newest", catalog.AuditFilter{Limit: 2}, []int64{4, 5}},
		{"together", catalog.AuditFilter{RecordID: r1.ID, Actor: "Minh", Since: day(20)}, []int64{4}},
		{"nobody", catalog.AuditFilter{Actor: "minh"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := db.AuditEvents(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range evs {
				got = append(got, e.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("AuditEvents(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}

// BenchmarkAppendEvent measures one chained append: the head read, the
// hash and the insert in one BEGIN IMMEDIATE transaction.
func BenchmarkAppendEvent(b *testing.B) {
	db := openAt(b, testPath(b))
	ctx := context.Background()
	e := catalog.Event{Actor: "sohoa", Action: "index", Details: `{"status":"digitized"}`}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.AppendEvent(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChain walks a chain of 100,000 events.
func BenchmarkVerifyChain(b *testing.B) {
	db := openAt(b, testPath(b))
	ctx := context.Background()
	const n = 100_000
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			e := catalog.Event{Actor: "sohoa", Action: "index", Details: fmt.Sprintf(`{"n":%d}`, i)}
			if err := insertEvent(ctx, tx, db.now(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := db.VerifyChain(ctx, nil)
		if err != nil || rep.Break != nil || rep.Events != n {
			b.Fatalf("VerifyChain = %+v, %v", rep, err)
		}
	}
}
