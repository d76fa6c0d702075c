package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

// writerEnv names the catalog the writer process appends to.
const writerEnv = "SOHOA_TEST_BACKUP_WRITER"

// TestBackupWriterProcess is not a test: run by TestBackupWhileWriting as
// another process, it appends records (each with its job, in one
// transaction) and pages to the catalog until it is killed.
func TestBackupWriterProcess(t *testing.T) {
	path := os.Getenv(writerEnv)
	if path == "" {
		t.Skip("the writer of TestBackupWhileWriting, run by it")
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "51", Clerk: "writer", Key: "writer"})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("Ủy ban nhân dân xã Tịnh Phong quyết định cấp giấy phép xây dựng. ", 60)
	for i := 0; ; i++ {
		r, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "51", Source: fmt.Sprintf("w-%06d.pdf", i),
			SHA256: fmt.Sprintf("%064x", i+1), Size: 1, Original: fmt.Sprintf("originals/sha256/%064x", i+1),
			Status: catalog.StatusQueued, Stage: "stored"}, true)
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 2; n++ {
			p := catalog.Page{RecordID: r.ID, N: n, Source: "ocr", DPI: 300}
			p.Text = text
			if err := db.PutPage(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestBackupWhileWriting takes backups while another process writes to
// the catalog as fast as it can. Each copy must pass the integrity check,
// be a single file, and be one committed state: every record with its
// job (written in one transaction), never one without the other. The
// copies must grow, or the writer was not writing during them.
func TestBackupWhileWriting(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a writer process: not in -short")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.db")
	db := openAt(t, path)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBackupWriterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), writerEnv+"="+path)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	count := func() int {
		var n int
		db.read.QueryRowContext(ctx, `SELECT count(*) FROM records`).Scan(&n)
		return n
	}
	for deadline := time.Now().Add(time.Minute); count() < 200; {
		if time.Now().After(deadline) {
			t.Fatalf("the writer wrote %d records in a minute:\n%s", count(), out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	last := 0
	for i := 0; i < 4; i++ {
		dst := filepath.Join(dir, fmt.Sprintf("copy-%d.db", i))
		before := count()
		info, err := db.Backup(ctx, dst)
		if err != nil {
			t.Fatalf("backup %d while writing: %v\nwriter:\n%s", i, err, out.String())
		}
		after := count()
		for _, side := range []string{"-wal", "-shm", "-journal"} {
			if _, err := os.Stat(dst + side); err == nil {
				t.Errorf("backup %d left %s beside the copy", i, filepath.Base(dst+side))
			}
		}
		records, jobs := countIn(t, dst)
		t.Logf("backup %d: %d records, %d jobs, %d bytes (live catalog %d → %d)", i, records, jobs, info.Size, before, after)
		if records != info.Records {
			t.Errorf("backup %d: Backup reported %d records, the copy holds %d", i, info.Records, records)
		}
		if records != jobs {
			t.Errorf("backup %d: %d records but %d jobs: not one committed state", i, records, jobs)
		}
		if records < before || records > after {
			t.Errorf("backup %d: %d records, want between %d and %d", i, records, before, after)
		}
		if records <= last {
			t.Errorf("backup %d: %d records, no more than the last copy's %d: the writer stalled", i, records, last)
		}
		last = records
		if _, err := db.Backup(ctx, dst); err == nil {
			t.Errorf("backup onto the existing %s succeeded, want a refusal", dst)
		}
	}
	if cmd.ProcessState != nil {
		t.Fatalf("the writer stopped during the backups:\n%s", out.String())
	}
	// A copy opens as a catalog and passes its full check.
	copyDB := openAt(t, filepath.Join(dir, "copy-3.db"))
	if err := copyDB.IntegrityCheck(ctx); err != nil {
		t.Errorf("the copy opened as a catalog: %v", err)
	}
}

func countIn(t *testing.T, path string) (records, jobs int) {
	t.Helper()
	v := url.Values{}
	v.Set("mode", "ro")
	c, err := sql.Open("sqlite3", dsn(path, v))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.QueryRow(`SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM jobs)`).Scan(&records, &jobs); err != nil {
		t.Fatalf("count in %s: %v", path, err)
	}
	return records, jobs
}

func TestCheckFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()

	empty := filepath.Join(dir, "other.db")
	o, err := sql.Open("sqlite3", dsn(empty, url.Values{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Exec(`CREATE TABLE notes (x)`); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if _, err := CheckFile(ctx, empty); err == nil || !strings.Contains(err.Error(), ErrNotCatalog.Error()) {
		t.Errorf("CheckFile on a database without records: %v, want ErrNotCatalog", err)
	}

	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 400)), 0o644)
	if _, err := CheckFile(ctx, junk); err == nil {
		t.Error("CheckFile on a file of junk: no error")
	}

	// A catalog whose page was overwritten fails the check.
	path := filepath.Join(dir, "catalog.db")
	db := openAt(t, path)
	b := mustBatch(t, db, "k")
	for i := 0; i < 50; i++ {
		r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Unit: "51", Source: fmt.Sprintf("%d.pdf", i), SHA256: fmt.Sprintf("%064x", i+1),
			Original: "o", Status: catalog.StatusQueued, Stage: "stored"}, true)
		mustPage(t, db, r.ID, 1, strings.Repeat("chữ ", 300))
	}
	good := filepath.Join(dir, "good.db")
	if _, err := db.Backup(ctx, good); err != nil {
		t.Fatal(err)
	}
	if rep, err := CheckFile(ctx, good); err != nil || rep.Records != 50 {
		t.Fatalf("CheckFile on a good copy: %+v, %v; want 50 records", rep, err)
	}
	bad := filepath.Join(dir, "bad.db")
	content, _ := os.ReadFile(good)
	for i := 3 * 4096; i < 4*4096 && i < len(content); i++ {
		content[i] = 0x5a
	}
	os.WriteFile(bad, content, 0o644)
	if _, err := CheckFile(ctx, bad); err == nil {
		t.Error("CheckFile on a copy with a page overwritten: no error")
	} else {
		t.Logf("damaged copy: %v", err)
	}
}
