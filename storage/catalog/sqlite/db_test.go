package sqlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

func TestOpenSetsPragmas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	for _, c := range []struct {
		conn   string
		pragma string
		want   string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "foreign_keys", "1"},
		{"write", "busy_timeout", "10000"},
		{"write", "synchronous", "1"},
		{"read", "foreign_keys", "1"},
		{"read", "busy_timeout", "10000"},
		{"read", "query_only", "1"},
	} {
		conn := db.write
		if c.conn == "read" {
			conn = db.read
		}
		var got string
		if err := conn.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", c.pragma, err)
		}
		if got != c.want {
			t.Errorf("%s connection: PRAGMA %s = %s, want %s", c.conn, c.pragma, got, c.want)
		}
	}
}

func TestOpenPathWithOddCharacters(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "Xã Tịnh Kỳ #1 ?x=y&z 100%")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sổ.db")
	db := openAt(t, path)
	mustBatch(t, db, "k")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("catalog not at %s: %v", path, err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	last := ms[len(ms)-1].version

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b := mustBatch(t, db, "k")
	mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "a.pdf", Subject: catalog.Field{Value: "giao đất"}}, true)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		db, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil || v != last {
			t.Errorf("SchemaVersion = %d, %v; want %d", v, err, last)
		}
		var applied int
		if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != len(ms) {
			t.Errorf("schema_migrations has %d rows, %v; want %d", applied, err, len(ms))
		}
		if hits, err := db.Search(ctx, "giao dat", 5); err != nil || len(hits) != 1 {
			t.Errorf("Search after reopen = %v, %v", hits, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// A file from a newer program is refused, not silently misread.
	db = openAt(t, path)
	if _, err := db.write.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 'future.sql', '')`, last+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema = %v, want a refusal", err)
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), testPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestReopenWithoutClose leaves a handle open (as a killed process would)
// and opens the file again.
func TestReopenWithoutClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	first, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b := mustBatch(t, first, "k")
	r := mustRecord(t, first, catalog.Record{BatchID: b.ID, Source: "a.pdf"}, true)
	mustPage(t, first, r.ID, 1, "Quyết định giao đất")

	second := openAt(t, path)
	if err := second.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	if hits, err := second.Search(ctx, "giao dat", 5); err != nil || len(hits) != 1 {
		t.Errorf("Search = %v, %v", hits, err)
	}
	first.Close()
}

// crashWriterEnv makes the test binary a writer that the crash test kills.
const crashWriterEnv = "SOHOA_CATALOG_CRASH_WRITER"

// TestCrashSafety kills a process writing to the catalog (SIGKILL, no
// Close, no checkpoint) and checks that the file opens, passes the
// integrity check, and holds every transaction that was committed.
func TestCrashSafety(t *testing.T) {
	if path := os.Getenv(crashWriterEnv); path != "" {
		crashWriter(path)
		return
	}
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The writer prints the number of records committed after each
	// commit; kill it in full flight.
	committed := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil {
			continue
		}
		committed = n
		if committed >= 150 {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if committed < 150 {
		t.Fatalf("writer stopped after %d records", committed)
	}

	db := openAt(t, path)
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatalf("after a crash: %v", err)
	}
	rs, err := db.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < committed {
		t.Errorf("%d records after the crash, want at least the %d committed", len(rs), committed)
	}
	// Every record kept its job and its index entry: they were written in
	// the same transaction.
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Jobs[catalog.JobQueued]; got != len(rs) {
		t.Errorf("%d queued jobs for %d records", got, len(rs))
	}
	hits, err := db.Search(ctx, "giao dat", 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != len(rs) {
		t.Errorf("search finds %d of %d records", len(hits), len(rs))
	}
}

func crashWriter(path string) {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Key: "crash"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := 1; ; i++ {
		r := catalog.Record{BatchID: b.ID, Source: fmt.Sprintf("%06d.pdf", i)}
		r.Subject.Value = "Quyết định giao đất số " + strconv.Itoa(i)
		if _, err := db.AddRecord(ctx, r, true); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// TestConcurrentWriters hammers one file from 8 goroutines over two
// handles (as two processes would), mixing every kind of write with
// searches, and expects no "database is locked" or any other error.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	dbs := []*DB{openAt(t, path), openAt(t, path)}
	const workers, perWorker = 8, 60

	var (
		wg   sync.WaitGroup
		errs = make(chan error, workers*2)
	)
	for w := range workers {
		db := dbs[w%2]
		wg.Go(func() {
			b, err := db.OpenBatch(ctx, catalog.Batch{Key: fmt.Sprint("w", w)})
			if err != nil {
				errs <- err
				return
			}
			for i := range perWorker {
				r := catalog.Record{BatchID: b.ID, Source: fmt.Sprintf("%d-%d.pdf", w, i)}
				r.Subject.Value = "Quyết định về việc giao đất"
				r, err := db.AddRecord(ctx, r, true)
				if err == nil {
					p := catalog.Page{RecordID: r.ID, N: 1, Source: "ocr"}
					p.Text = fmt.Sprintf("Điều %d. Giao đất cho hộ ông Nguyễn Văn %d", i, w)
					err = db.PutPage(ctx, p)
				}
				if err == nil {
					r.Status = catalog.StatusDigitized
					err = db.UpdateRecord(ctx, r)
				}
				if err == nil {
					err = db.AppendEvent(ctx, catalog.Event{Actor: "sohoa", Action: "ocr", RecordID: r.ID})
				}
				if err == nil {
					_, err = db.Search(ctx, "giao dat", 5)
				}
				if err == nil {
					var j catalog.Job
					// Another worker may have taken every ready job.
					j, err = db.Claim(ctx, fmt.Sprint("w", w), time.Minute)
					if err == nil {
						err = db.Finish(ctx, j.ID, fmt.Sprint("w", w))
					} else if errors.Is(err, catalog.ErrNoJob) {
						err = nil
					}
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d, step %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := dbs[0].Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Records[catalog.StatusDigitized]; got != workers*perWorker {
		t.Errorf("%d records digitized, want %d", got, workers*perWorker)
	}
	if got := st.Jobs[catalog.JobDone] + st.Jobs[catalog.JobQueued]; got != workers*perWorker {
		t.Errorf("%d jobs done or queued, want %d", got, workers*perWorker)
	}
	if err := dbs[0].IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

func TestIntegrityCheckFindsDamage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	db := openAt(t, path)
	b := mustBatch(t, db, "k")
	for i := range 50 {
		r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: fmt.Sprint(i)}, true)
		mustPage(t, db, r.ID, 1, strings.Repeat("Quyết định giao đất ", 50))
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatalf("healthy catalog: %v", err)
	}
	// A row pointing nowhere, as a buggy tool with foreign keys off would
	// leave it.
	conn, err := db.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`PRAGMA foreign_keys = OFF`,
		`INSERT INTO events (id, at, actor, action, record_id, prev_hash, hash)
			SELECT coalesce(max(id), 0) + 1, '', 'x', 'x', 9999,
				coalesce((SELECT hash FROM events ORDER BY id DESC LIMIT 1), '` + catalog.GenesisHash + `'), 'x'
			FROM events`,
		`PRAGMA foreign_keys = ON`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	err = db.IntegrityCheck(ctx)
	if err == nil || !strings.Contains(err.Error(), "events") {
		t.Errorf("IntegrityCheck = %v, want the dangling event reported", err)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Batches != 0 || len(st.Records) != 0 || len(st.Jobs) != 0 {
		t.Errorf("empty catalog: %+v", st)
	}
	b := mustBatch(t, db, "k")
	for i, s := range []catalog.Status{catalog.StatusQueued, catalog.StatusQueued, catalog.StatusFailed} {
		mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: fmt.Sprint(i), Status: s}, true)
	}
	mustClaim(t, db, "w", time.Minute)
	st, err = db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		Batches: 1,
		Records: map[catalog.Status]int{catalog.StatusQueued: 2, catalog.StatusFailed: 1},
		Jobs:    map[catalog.JobState]int{catalog.JobQueued: 2, catalog.JobRunning: 1},
	}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.OpenBatch(ctx, catalog.Batch{Key: "k"}); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenBatch with a canceled context = %v, want context.Canceled", err)
	}
	// The writer connection is still usable afterwards.
	mustBatch(t, db, "k")
}

// TestSearchSeesOtherHandlesWrites checks that a reader connection that
// searched before sees what another handle (another process) committed
// since, and that the integrity check does not mistake its cached index
// structure for damage.
func TestSearchSeesOtherHandlesWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	writer, reader := openAt(t, path), openAt(t, path)
	b := mustBatch(t, writer, "k")
	r := mustRecord(t, writer, catalog.Record{BatchID: b.ID, Source: "a.pdf"}, false)

	word := func(i int) string { return fmt.Sprintf("mã%05d", i) }
	for i := range 100 {
		r.Subject.Value = "Quyết định " + word(i)
		if err := writer.UpdateRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
		hits, err := reader.Search(ctx, word(i), 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].Subject != r.Subject.Value {
			t.Fatalf("step %d: Search(%s) = %+v, want the record just written", i, word(i), hits)
		}
		if i > 0 {
			if hits, err := reader.Search(ctx, word(i-1), 5); err != nil || len(hits) != 0 {
				t.Fatalf("step %d: Search(%s) = %+v, %v; want the old subject gone", i, word(i-1), hits, err)
			}
		}
	}
	mustPage(t, writer, r.ID, 1, "trang một")
	if err := reader.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck from a handle that searched before the last write: %v", err)
	}
}
