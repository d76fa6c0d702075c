package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

// clock is a settable time source for leases and backoff.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 1, 16, 8, 30, 0, 123456789, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "catalog.db")
}

// openAt opens the catalog at path and closes it when the test ends.
func openAt(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func openTest(t testing.TB) *DB {
	t.Helper()
	return openAt(t, testPath(t))
}

func mustBatch(t testing.TB, db *DB, key string) catalog.Batch {
	t.Helper()
	b, err := db.OpenBatch(context.Background(), catalog.Batch{Unit: "51", Clerk: "Lan", Key: key})
	if err != nil {
		t.Fatalf("OpenBatch: %v", err)
	}
	return b
}

func mustRecord(t testing.TB, db *DB, r catalog.Record, enqueue bool) catalog.Record {
	t.Helper()
	r, err := db.AddRecord(context.Background(), r, enqueue)
	if err != nil {
		t.Fatalf("AddRecord(%q): %v", r.Source, err)
	}
	return r
}

func mustPage(t testing.TB, db *DB, recordID int64, n int, text string) {
	t.Helper()
	p := catalog.Page{RecordID: recordID, N: n, Source: "ocr", DPI: 300}
	p.Text = text
	p.Confidence = 0.9
	if err := db.PutPage(context.Background(), p); err != nil {
		t.Fatalf("PutPage(%d, %d): %v", recordID, n, err)
	}
}
