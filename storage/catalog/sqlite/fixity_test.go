package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

func fixityRecord(t testing.TB, db *DB, batch int64, i int, archive bool) catalog.Record {
	t.Helper()
	sha := fmt.Sprintf("%064x", i)
	r := catalog.Record{BatchID: batch, Unit: "21181", Source: fmt.Sprintf("r%d.png", i), SHA256: sha,
		Original: "originals/sha256/" + sha}
	if archive {
		r.Archive = "archives/sha256/" + sha + ".pdf"
	}
	r, err := db.AddRecord(context.Background(), r, false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFixityObjectsFollowRecords: the objects to check are those the
// records point at, archives as soon as a record gets one, in due order.
func TestFixityObjectsFollowRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	b := mustBatch(t, db, "fixity")
	r1 := fixityRecord(t, db, b.ID, 1, false)
	r2 := fixityRecord(t, db, b.ID, 2, false)

	due, err := db.DueObjects(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].Key != r1.Original || due[1].Key != r2.Original || due[0].SHA256 != r1.SHA256 {
		t.Fatalf("due before any check: %+v", due)
	}
	// The archive stage: the PDF is stored, its sha256 recorded, the
	// record updated.
	if err := db.SetArchiveSHA256(ctx, r2.ID, "AB"+fmt.Sprintf("%062x", 9)); err != nil {
		t.Fatal(err)
	}
	r2.Archive = "archives/sha256/" + r2.SHA256 + ".pdf"
	if err := db.UpdateRecord(ctx, r2); err != nil {
		t.Fatal(err)
	}
	arch, err := db.StoredObject(ctx, r2.Archive)
	if err != nil || arch.Kind != catalog.ObjectArchive || arch.SHA256 != "ab"+fmt.Sprintf("%062x", 9) || !slices.Equal(arch.Records, []int64{r2.ID}) {
		t.Fatalf("archive object: %+v, %v", arch, err)
	}
	if _, err := db.StoredObject(ctx, "originals/sha256/none"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("object no record points at: %v, want ErrNotFound", err)
	}

	// Checked one by one, oldest check first afterwards.
	for _, key := range []string{r2.Original, r1.Original, r2.Archive} {
		clk.Advance(time.Minute)
		if err := db.SaveCheck(ctx, catalog.FixityCheck{Key: key, Kind: kindOfKey(key), Result: catalog.FixityOK}); err != nil {
			t.Fatal(err)
		}
	}
	due, err = db.DueObjects(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].Key != r2.Original || due[1].Key != r1.Original || due[0].Last.Result != catalog.FixityOK {
		t.Errorf("due after checks: %+v", due)
	}

	// A rebuilt archive (another sha256) has not been checked yet.
	if err := db.SetArchiveSHA256(ctx, r2.ID, fmt.Sprintf("%064x", 10)); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueObjects(ctx, 1)
	if len(due) != 1 || due[0].Key != r2.Archive || !due[0].Last.At.IsZero() {
		t.Errorf("due after the archive was rebuilt: %+v", due)
	}

	// A key no record points at any more is dropped on the way.
	r1.Original = "originals/sha256/elsewhere"
	if err := db.UpdateRecord(ctx, r1); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueObjects(ctx, 10)
	var keys []string
	for _, o := range due {
		keys = append(keys, o.Key)
	}
	if slices.Contains(keys, "originals/sha256/"+r1.SHA256) || !slices.Contains(keys, r1.Original) {
		t.Errorf("due after record 1 moved: %v", keys)
	}

	// Make one altered and one missing, then the counts the dashboard
	// reads must equal a count of the objects themselves.
	clk.Advance(time.Minute)
	if err := db.SaveCheck(ctx, catalog.FixityCheck{Key: r2.Original, Kind: catalog.ObjectOriginal, Result: catalog.FixityAltered}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheck(ctx, catalog.FixityCheck{Key: r1.Original, Kind: catalog.ObjectOriginal, Result: catalog.FixityMissing}); err != nil {
		t.Fatal(err)
	}
	checkFixityCounts(t, db)
	sum, err := db.FixitySummary(ctx, 0)
	if err != nil || sum.Objects[catalog.FixityAltered] != 1 || sum.Objects[catalog.FixityMissing] != 1 {
		t.Errorf("summary: %+v, %v", sum.Objects, err)
	}

	if err := db.SaveCheck(ctx, catalog.FixityCheck{Key: "x", Kind: catalog.ObjectOriginal, Result: catalog.FixityOrphaned}); err == nil {
		t.Error("SaveCheck kept an orphan as an object's check")
	}
	if err := db.SetArchiveSHA256(ctx, 999, fmt.Sprintf("%064x", 1)); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("SetArchiveSHA256 of no record: %v", err)
	}
}

func TestStoredObjectsPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "pages")
	for i := range 7 {
		fixityRecord(t, db, b.ID, i, i%2 == 0)
	}
	var got []string
	q := catalog.ObjectQuery{Kind: catalog.ObjectOriginal, Limit: 3}
	for {
		objs, err := db.StoredObjects(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			got = append(got, o.Key)
		}
		if len(objs) < q.Limit {
			break
		}
		q.After = objs[len(objs)-1].Key
	}
	if len(got) != 7 || !slices.IsSorted(got) {
		t.Errorf("originals paged: %v", got)
	}
	n, err := db.CountStoredObjects(ctx, catalog.ObjectQuery{Kind: catalog.ObjectArchive})
	if err != nil || n != 4 {
		t.Errorf("archives: %d, %v; want 4", n, err)
	}
	n, err = db.CountStoredObjects(ctx, catalog.ObjectQuery{Kind: catalog.ObjectOriginal, Records: []int64{1, 2}, Unit: "21181"})
	if err != nil || n != 2 {
		t.Errorf("originals of records 1 and 2: %d, %v", n, err)
	}
}

// BenchmarkFixityPick measures what the continuous pass and the dashboard
// ask of the catalog over many records: the next object due, a page of a
// full pass, the summary.
//
//	go test -tags sqlite_fts5 -run '^$' -bench BenchmarkFixityPick -benchtime 200x ./storage/catalog/sqlite/
func BenchmarkFixityPick(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	const n = 200_000
	now := formatTime(time.Now())
	if _, err := db.write.ExecContext(ctx, `INSERT INTO batches (id, created_at) VALUES (1, ?)`, now); err != nil {
		b.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO records (batch_id, source, sha256, original, archive, archive_sha256, created_at, updated_at)
		SELECT 1, 'r' || i, printf('%064x', i), 'originals/sha256/' || printf('%064x', i),
			'archives/sha256/' || printf('%064x', i) || '.pdf', printf('%064x', i + 1), ?, ? FROM seq`, n, now, now); err != nil {
		b.Fatal(err)
	}
	// Half checked already.
	if _, err := db.write.ExecContext(ctx, `UPDATE fixity_objects SET checked_at = ?, result = 'ok' WHERE kind = 'original'`, now); err != nil {
		b.Fatal(err)
	}
	b.Run("DueObjects", func(b *testing.B) {
		for range b.N {
			if due, err := db.DueObjects(ctx, 1); err != nil || len(due) != 1 {
				b.Fatal(len(due), err)
			}
		}
	})
	b.Run("StoredObjectsPage", func(b *testing.B) {
		for i := range b.N {
			q := catalog.ObjectQuery{Kind: catalog.ObjectOriginal, Limit: 256, After: fmt.Sprintf("originals/sha256/%064x", i*500)}
			if objs, err := db.StoredObjects(ctx, q); err != nil || len(objs) != 256 {
				b.Fatal(len(objs), err)
			}
		}
	})
	b.Run("FixitySummary", func(b *testing.B) {
		for range b.N {
			if _, err := db.FixitySummary(ctx, 50); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// checkFixityCounts compares the counts kept by triggers with a count of
// fixity_objects.
func checkFixityCounts(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.read.QueryContext(ctx, `SELECT o.result, o.n, coalesce(c.n, 0)
		FROM (SELECT result, count(*) AS n FROM fixity_objects GROUP BY result) o
		LEFT JOIN fixity_counts c ON c.result = o.result
		UNION ALL
		SELECT c.result, 0, c.n FROM fixity_counts c
		WHERE c.n <> 0 AND NOT EXISTS (SELECT 1 FROM fixity_objects WHERE result = c.result)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			result string
			real   int
			kept   int
		)
		if err := rows.Scan(&result, &real, &kept); err != nil {
			t.Fatal(err)
		}
		if real != kept {
			t.Errorf("fixity_counts[%q] = %d, but %d objects have that result", result, kept, real)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
