package fixity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sohoa/pipeline/fixity"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
	"sohoa/storage/storagetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

// store is an object store under test with the means to tamper with it
// behind its back, as someone with access to the disk or the bucket would.
type store struct {
	storage.Objects
	// rewrite replaces the object's bytes; with forged set it also makes
	// the store's own metadata agree with the new bytes.
	rewrite func(t *testing.T, key string, content []byte, forged bool)
}

func localStore(t *testing.T) store {
	t.Helper()
	s, err := local.Open(filepath.Join(t.TempDir(), "objects"))
	if err != nil {
		t.Fatal(err)
	}
	return store{Objects: s, rewrite: func(t *testing.T, key string, content []byte, forged bool) {
		t.Helper()
		path := filepath.Join(s.Dir(), filepath.FromSlash(key))
		before, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, content, 0o640); err != nil {
			t.Fatal(err)
		}
		if !forged {
			// Keep the file's time, so the store's sidecar still looks
			// like it belongs to it: only the bytes differ.
			if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
				t.Fatal(err)
			}
			return
		}
		// The hidden sidecar, rewritten to describe the new bytes.
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := json.Marshal(map[string]any{"content_type": "application/pdf", "sha256": storagetest.Sum(content),
			"size": fi.Size(), "mtime_ns": fi.ModTime().UnixNano()})
		side := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".meta")
		if err := os.WriteFile(side, meta, 0o640); err != nil {
			t.Fatal(err)
		}
	}}
}

func minioStore(t *testing.T) store {
	t.Helper()
	cfg := s3test.Shared(t).Config(t)
	s, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return store{Objects: s, rewrite: func(t *testing.T, key string, content []byte, forged bool) {
		t.Helper()
		ctx := context.Background()
		info, err := s.Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		sum := info.SHA256 // the store's record of the old bytes
		if forged {
			sum = storagetest.Sum(content)
		}
		if _, err := raw.PutObject(ctx, cfg.Bucket, key, bytes.NewReader(content), int64(len(content)),
			minio.PutObjectOptions{UserMetadata: map[string]string{"sha256": sum}}); err != nil {
			t.Fatal(err)
		}
	}}
}

var stores = []struct {
	name string
	open func(t *testing.T) store
}{
	{"local", localStore},
	{"minio", minioStore},
}

// fixture is a catalog with records whose originals and archival PDFs are
// in the store.
type fixture struct {
	db      *sqlite.DB
	st      store
	records []catalog.Record
}

// newFixture stores n originals with their archives, each its own record
// of unit 21181 (the last of unit 21199), and one duplicate of the first
// record, which shares its original.
func newFixture(t *testing.T, st store, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, st: st}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Clerk: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		orig := storagetest.Content(uint64(100+i), 3000+i)
		arch := append([]byte("%PDF-1.7\n"), storagetest.Content(uint64(200+i), 2000)...)
		sum := storagetest.Sum(orig)
		storagetest.Put(t, st, storage.OriginalKey(sum), orig, "image/png")
		storagetest.Put(t, st, storage.ArchiveKey(sum), arch, "application/pdf")
		unit := "21181"
		if i == n-1 {
			unit = "21199"
		}
		r, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: unit, Source: sum[:8] + ".png", SHA256: sum,
			Size: int64(len(orig)), Original: storage.OriginalKey(sum), Status: catalog.StatusQueued}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetArchiveSHA256(ctx, r.ID, storagetest.Sum(arch)); err != nil {
			t.Fatal(err)
		}
		r.Archive, r.Status = storage.ArchiveKey(sum), catalog.StatusDigitized
		if err := db.UpdateRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
		f.records = append(f.records, r)
	}
	first := f.records[0]
	dup, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21181", Source: "again.png", SHA256: first.SHA256,
		Size: first.Size, Original: first.Original, Status: catalog.StatusDuplicate, DuplicateOf: first.ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	f.records = append(f.records, dup)
	return f
}

func (f *fixture) verifier(t *testing.T) *fixity.Verifier {
	t.Helper()
	v, err := fixity.New(fixity.Config{Catalog: f.db, Objects: f.st, Actor: "thanh tra", OrphanGrace: -1})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// verifyEvents returns the results of the record's verify events, oldest
// first, by object key.
func verifyEvents(t *testing.T, db *sqlite.DB, recordID int64) map[string][]string {
	t.Helper()
	evs, err := db.Events(context.Background(), recordID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range evs {
		if e.Action != fixity.Action {
			continue
		}
		var d struct{ Key, Result string }
		if err := json.Unmarshal([]byte(e.Details), &d); err != nil {
			t.Fatalf("verify event of record %d: %v: %s", recordID, err, e.Details)
		}
		if e.Actor != "thanh tra" {
			t.Errorf("verify event of record %d recorded for %q", recordID, e.Actor)
		}
		out[d.Key] = append(out[d.Key], d.Result)
	}
	return out
}

func TestVerifyCleanStore(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, s.open(t), 3)
			v := f.verifier(t)
			var seen []string
			rep, err := v.Verify(context.Background(), fixity.Selection{All: true}, func(c catalog.FixityCheck, p fixity.Progress) {
				seen = append(seen, c.Key)
				if p.Done > p.Total {
					t.Errorf("progress %d of %d", p.Done, p.Total)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			// 3 originals (the duplicate shares the first) and 3 archives.
			if !rep.Clean() || rep.Checked != 6 || rep.OK != 6 || len(seen) != 6 {
				t.Fatalf("clean store: %+v, saw %v", rep, seen)
			}
			r0, dup := f.records[0], f.records[len(f.records)-1]
			for _, id := range []int64{r0.ID, dup.ID} {
				got := verifyEvents(t, f.db, id)
				if !slices.Equal(got[r0.Original], []string{"ok"}) {
					t.Errorf("record %d: verify events of its original %v, want one ok", id, got[r0.Original])
				}
			}
			if got := verifyEvents(t, f.db, r0.ID); !slices.Equal(got[r0.Archive], []string{"ok"}) {
				t.Errorf("record %d: verify events of its archive %v, want one ok", r0.ID, got[r0.Archive])
			}
			sum, err := f.db.FixitySummary(context.Background(), 10)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Objects[catalog.FixityOK] != 6 || len(sum.Problems) != 0 || sum.LastFullPass.IsZero() || sum.OldestCheck.IsZero() {
				t.Errorf("summary after a clean pass: %+v", sum)
			}
		})
	}
}

func TestVerifyCatchesTampering(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := s.open(t)
			f := newFixture(t, st, 5)
			r := f.records
			// Record 0's original: rewritten together with the store's
			// own metadata, so only the catalog can tell.
			st.rewrite(t, r[0].Original, storagetest.Content(999, 3000), true)
			// Record 1's archive: bytes changed, same length, metadata
			// left alone.
			arch, _ := storagetest.ReadObject(t, st, r[1].Archive)
			arch[len(arch)/2] ^= 0x01
			st.rewrite(t, r[1].Archive, arch, false)
			// Record 2's original deleted.
			if err := st.Delete(ctx, r[2].Original); err != nil {
				t.Fatal(err)
			}
			// An object no record points at.
			orphan := storagetest.Content(777, 500)
			orphanKey := storage.OriginalKey(storagetest.Sum(orphan))
			storagetest.Put(t, st, orphanKey, orphan, "")

			v := f.verifier(t)
			rep, err := v.Verify(ctx, fixity.Selection{All: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Clean() || rep.Altered != 2 || rep.Missing != 1 || rep.Orphaned != 1 || rep.OK != 7 || rep.Checked != 10 {
				t.Errorf("report: %d checked, %d ok, %d altered, %d missing, %d orphaned; want 10, 7, 2, 1, 1",
					rep.Checked, rep.OK, rep.Altered, rep.Missing, rep.Orphaned)
			}
			want := map[string]catalog.FixityResult{
				r[0].Original: catalog.FixityAltered,
				r[1].Archive:  catalog.FixityAltered,
				r[2].Original: catalog.FixityMissing,
				orphanKey:     catalog.FixityOrphaned,
			}
			got := map[string]catalog.FixityResult{}
			for _, p := range rep.Problems {
				got[p.Key] = p.Result
				// The forged original hashes to the forger's bytes, not
				// to the catalog's sha256.
				if p.Key == r[0].Original && (p.Got != storagetest.Sum(storagetest.Content(999, 3000)) || p.Expected != r[0].SHA256) {
					t.Errorf("altered original: read sha256 %s (expected %s), want the forged bytes' against the catalog's", p.Got, p.Expected)
				}
			}
			if len(got) != len(want) {
				t.Errorf("problems %v, want %v", got, want)
			}
			for k, res := range want {
				if got[k] != res {
					t.Errorf("%s: %q, want %q", k, got[k], res)
				}
			}
			// The altered original is the duplicate's too: both records
			// carry the event.
			for _, id := range []int64{r[0].ID, r[len(r)-1].ID} {
				if ev := verifyEvents(t, f.db, id)[r[0].Original]; !slices.Equal(ev, []string{"altered"}) {
					t.Errorf("record %d: verify events of its original %v, want altered", id, ev)
				}
			}
			if ev := verifyEvents(t, f.db, r[2].ID)[r[2].Original]; !slices.Equal(ev, []string{"missing"}) {
				t.Errorf("record %d: verify events %v, want missing", r[2].ID, ev)
			}

			// What the dashboard reads.
			sum, err := f.db.FixitySummary(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Objects[catalog.FixityAltered] != 2 || sum.Objects[catalog.FixityMissing] != 1 ||
				sum.Objects[catalog.FixityOrphaned] != 1 || sum.Objects[catalog.FixityOK] != 7 {
				t.Errorf("summary counts %v", sum.Objects)
			}
			if len(sum.Problems) != 4 {
				t.Errorf("summary problems %+v, want 4", sum.Problems)
			}
			for _, p := range sum.Problems {
				if p.Key == r[0].Original && !slices.Equal(p.Records, []int64{r[0].ID, r[len(r)-1].ID}) {
					t.Errorf("summary: altered original points at records %v", p.Records)
				}
			}

			// Only record 3 asked for: its two objects, both fine.
			one, err := v.Verify(ctx, fixity.Selection{Records: []int64{r[3].ID}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if one.Checked != 2 || !one.Clean() {
				t.Errorf("verify record %d: %+v", r[3].ID, one)
			}
			// Unit 21199 holds the last stored record only.
			unit, err := v.Verify(ctx, fixity.Selection{Unit: "21199"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if unit.Checked != 2 || !unit.Clean() {
				t.Errorf("verify unit 21199: %+v", unit)
			}

			// Put right (the original restored, the orphan removed): the
			// next pass is clean except for what is still wrong.
			storagetest.Put(t, st, r[2].Original, storagetest.Content(102, 3002), "image/png")
			if err := st.Delete(ctx, orphanKey); err != nil {
				t.Fatal(err)
			}
			again, err := v.Verify(ctx, fixity.Selection{All: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if again.Missing != 0 || again.Orphaned != 0 || again.Altered != 2 {
				t.Errorf("after repair: %+v", again)
			}
			if sum, _ := f.db.FixitySummary(ctx, 10); sum.Objects[catalog.FixityOrphaned] != 0 || sum.Objects[catalog.FixityMissing] != 0 {
				t.Errorf("summary after repair: %v", sum.Objects)
			}
		})
	}
}

// TestOrphanGrace: an object just stored and not yet recorded (an ingest
// between its two steps) is not called an orphan.
func TestOrphanGrace(t *testing.T) {
	t.Parallel()
	st := localStore(t)
	f := newFixture(t, st, 1)
	fresh := storagetest.Content(5, 100)
	storagetest.Put(t, st, storage.OriginalKey(storagetest.Sum(fresh)), fresh, "")
	v, err := fixity.New(fixity.Config{Catalog: f.db, Objects: st})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Verify(context.Background(), fixity.Selection{All: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orphaned != 0 || !rep.Clean() {
		t.Errorf("a fresh unrecorded object was reported: %+v", rep)
	}
}

// TestContinuousCatchesAlteration runs the continuous pass as serve does
// and alters an object under it: the next round finds it.
func TestContinuousCatchesAlteration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := localStore(t)
	f := newFixture(t, st, 2)
	v := f.verifier(t)
	c, err := v.Continuous(800 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c.Start(ctx)
	defer c.Stop()
	waitSummary(t, f.db, "every object checked", func(s catalog.FixitySummary) bool {
		return s.Objects[""] == 0 && s.Objects[catalog.FixityOK] == 4
	})
	st.rewrite(t, f.records[1].Archive, []byte("%PDF-1.7 forged"), true)
	if err := st.Delete(ctx, f.records[0].Original); err != nil {
		t.Fatal(err)
	}
	waitSummary(t, f.db, "the alteration and the deletion found", func(s catalog.FixitySummary) bool {
		return s.Objects[catalog.FixityAltered] == 1 && s.Objects[catalog.FixityMissing] == 1
	})
	c.Stop()
	c.Stop() // a second Stop does nothing
}

func waitSummary(t *testing.T, db *sqlite.DB, what string, ok func(catalog.FixitySummary) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var s catalog.FixitySummary
	for time.Now().Before(deadline) {
		var err error
		if s, err = db.FixitySummary(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
		if ok(s) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within 20s; summary %+v", what, s)
}

// TestRateCap: reading is paced at the byte rate asked for.
func TestRateCap(t *testing.T) {
	t.Parallel()
	st := localStore(t)
	f := newFixture(t, st, 1)
	big := storagetest.Content(1, 300<<10)
	if err := st.Delete(context.Background(), f.records[0].Original); err != nil {
		t.Fatal(err)
	}
	storagetest.Put(t, st, f.records[0].Original, big, "")
	v, err := fixity.New(fixity.Config{Catalog: f.db, Objects: st, BytesPerSecond: 1 << 20, OrphanGrace: -1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := v.Verify(context.Background(), fixity.Selection{Records: []int64{f.records[0].ID}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// ~302 KiB at 1 MiB/s: about 0.3 s; the altered original (other
	// bytes than recorded) is found all the same.
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Errorf("read %d bytes in %v at 1 MiB/s", rep.Bytes, el)
	}
	if rep.Altered != 1 || rep.Bytes < 300<<10 {
		t.Errorf("report %+v", rep)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := fixity.New(fixity.Config{}); err == nil || !strings.Contains(err.Error(), "Catalog") {
		t.Errorf("New without a catalog: %v", err)
	}
}
