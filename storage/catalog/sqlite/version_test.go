package sqlite

import (
	"context"
	"testing"

	"sohoa/storage/catalog"
)

// TestDataVersionChangesOnEveryCommit checks DataVersion against what a
// cache keyed by it needs: the same number while only reads happen, a new
// one after a commit through this handle's writer, through another handle
// on the file (as another process writes), and after a failure made it
// open its connection again.
func TestDataVersionChangesOnEveryCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	db := openAt(t, path)
	version := func() int64 {
		t.Helper()
		v, err := db.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	seen := map[int64]string{}
	changed := func(after string) {
		t.Helper()
		v := version()
		if before, ok := seen[v]; ok {
			t.Errorf("after %s DataVersion = %d, as after %s", after, v, before)
		}
		seen[v] = after
	}

	changed("opening")
	b := mustBatch(t, db, "k")
	changed("a batch")
	if _, err := db.Units(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.List(ctx, catalog.Filter{}); err != nil {
		t.Fatal(err)
	}
	if v := version(); seen[v] != "a batch" {
		t.Errorf("reads changed DataVersion to %d, seen after %q", v, seen[v])
	}
	r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Unit: "21181", Source: "a.pdf"}, false)
	changed("a record")
	r.Status = catalog.StatusDigitized
	if err := db.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}
	changed("its update")

	other := openAt(t, path)
	mustRecord(t, other, catalog.Record{BatchID: b.ID, Unit: "21181", Source: "b.pdf"}, false)
	changed("a record through another handle")
	if err := other.SetSetting(ctx, "targets", `{}`, catalog.Event{}); err != nil {
		t.Fatal(err)
	}
	changed("a setting through another handle")

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.DataVersion(canceled); err == nil {
		t.Fatal("DataVersion with a canceled context: no error")
	}
	changed("a failure, with nothing committed")
}
