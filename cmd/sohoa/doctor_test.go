package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
)

// doctorData is a data folder built the way ingest leaves it, on the real
// catalog and local store, without running OCR.
type doctorData struct {
	t       *testing.T
	dir     string
	db      *sqlite.DB
	objects *local.Store
	batch   catalog.Batch
	n       int
}

func newDoctorData(t *testing.T) *doctorData {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objects, err := local.Open(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Clerk: "Lan", Key: "doctor-test"})
	if err != nil {
		t.Fatal(err)
	}
	return &doctorData{t: t, dir: dir, db: db, objects: objects, batch: b}
}

// put stores content under key and returns its sha256.
func (d *doctorData) put(key string, content []byte) string {
	d.t.Helper()
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	if _, err := d.objects.Put(context.Background(), key, bytes.NewReader(content), int64(len(content)),
		storage.PutOptions{ContentType: "image/png", SHA256: hexSum}); err != nil {
		d.t.Fatal(err)
	}
	return hexSum
}

// digitized adds a finished record with its original and archive stored
// and its job done, as the pipeline ends one.
func (d *doctorData) digitized() catalog.Record {
	d.t.Helper()
	ctx := context.Background()
	r := d.queued()
	r.Archive = storage.ArchiveKey(r.SHA256)
	d.put(r.Archive, []byte("%PDF-1.7 archive of "+r.Source))
	r.Status, r.Stage, r.Pages = catalog.StatusDigitized, "done", 1
	job, err := d.db.Claim(ctx, "test:1:done", time.Minute)
	if err != nil {
		d.t.Fatal(err)
	}
	if job.RecordID != r.ID {
		d.t.Fatalf("claimed job of record %d, want %d", job.RecordID, r.ID)
	}
	if err := d.db.UpdateRecord(ctx, r); err != nil {
		d.t.Fatal(err)
	}
	if err := d.db.Finish(ctx, job.ID, "test:1:done"); err != nil {
		d.t.Fatal(err)
	}
	return r
}

// queued adds a record with its original stored and its job queued, as
// ingest leaves it.
func (d *doctorData) queued() catalog.Record {
	d.t.Helper()
	d.n++
	content := []byte(fmt.Sprintf("scan %d of the doctor test", d.n))
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	d.put(storage.OriginalKey(hexSum), content)
	r, err := d.db.AddRecord(context.Background(), catalog.Record{
		BatchID: d.batch.ID, Unit: "21181", Source: fmt.Sprintf("lo-1/scan-%02d.png", d.n), SHA256: hexSum,
		Size: int64(len(content)), ContentType: "image/png", Original: storage.OriginalKey(hexSum),
		Status: catalog.StatusQueued, Stage: "stored",
	}, true)
	if err != nil {
		d.t.Fatal(err)
	}
	return r
}

// doctor runs `sohoa doctor --json` with args and decodes its report.
func (d *doctorData) doctor(args ...string) (doctorReport, int) {
	d.t.Helper()
	out, stderr, code := sohoa(d.t, append([]string{"doctor", "--data", d.dir, "--json"}, args...)...)
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		d.t.Fatalf("doctor %v: exit %d, output is not JSON: %v\n%s\n%s", args, code, err, out, stderr)
	}
	return rep, code
}

func (d *doctorData) events(recordID int64, action string) int {
	d.t.Helper()
	evs, err := d.db.Events(context.Background(), recordID)
	if err != nil {
		d.t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == action {
			n++
		}
	}
	return n
}

func TestDoctorCleanStore(t *testing.T) {
	d := newDoctorData(t)
	d.digitized()
	d.digitized()
	d.queued() // waiting for a worker is not a problem
	rep, code := d.doctor("--grace", "0")
	if code != exitOK || rep.Problems != 0 || rep.Catalog != "ok" {
		t.Errorf("clean store: exit %d, %d problems, catalog %q; want exit 0 and nothing: %+v", code, rep.Problems, rep.Catalog, rep)
	}
	out, _, code := sohoa(t, "doctor", "--data", d.dir)
	if code != exitOK || !strings.Contains(out, "nothing to repair") {
		t.Errorf("clean store, text: exit %d:\n%s", code, out)
	}
}

func TestDoctorOrphanObject(t *testing.T) {
	d := newDoctorData(t)
	d.digitized()
	scan := []byte("a scan stored just before the power went")
	sum := d.put(storage.OriginalKey(hexOf(scan)), scan)
	archive := storage.ArchiveKey(strings.Repeat("ab", 32))
	d.put(archive, []byte("%PDF-1.7 archive whose record never came"))

	// Within the grace period an ingest may be about to record it.
	rep, code := d.doctor()
	if code != exitOK || len(rep.Orphans) != 0 || len(rep.Recent) != 2 {
		t.Fatalf("fresh orphans with the default grace: exit %d, %d orphans, %d recent; want them left alone", code, len(rep.Orphans), len(rep.Recent))
	}

	rep, code = d.doctor("--grace", "0")
	if code != exitFailure || len(rep.Orphans) != 2 || rep.Remaining != 2 {
		t.Fatalf("orphans past the grace: exit %d, %+v; want both found, exit 1", code, rep.Orphans)
	}

	rep, code = d.doctor("--grace", "0", "--repair")
	if code != exitOK || rep.Remaining != 0 {
		t.Fatalf("repair: exit %d, %+v", code, rep)
	}
	ctx := context.Background()
	if _, err := d.objects.Stat(ctx, storage.OriginalKey(sum)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the unrecorded original is still under originals/: %v", err)
	}
	if _, err := d.objects.Stat(ctx, archive); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the unrecorded archive is still there: %v", err)
	}
	q := orphanPrefix + storage.OriginalKey(sum)
	if info, err := d.objects.Stat(ctx, q); err != nil || info.SHA256 != sum {
		t.Fatalf("the unrecorded original was not kept under %s: %v %+v", q, err, info)
	}
	if n := countEvents(t, d.dir, "doctor_quarantine"); n != 1 {
		t.Errorf("%d doctor_quarantine events, want 1", n)
	}
	if n := countEvents(t, d.dir, "doctor_delete"); n != 1 {
		t.Errorf("%d doctor_delete events, want 1", n)
	}

	// Quarantined is not a problem, and the clerk can take it out to ingest again.
	out := filepath.Join(t.TempDir(), "tra-lai")
	rep, code = d.doctor("--grace", "0", "--export-orphans", out)
	if code != exitOK || rep.Problems != 0 || len(rep.Quarantined) != 1 || len(rep.Exported) != 1 {
		t.Fatalf("after repair: exit %d, %+v", code, rep)
	}
	got, err := os.ReadFile(rep.Exported[0])
	if err != nil || !bytes.Equal(got, scan) {
		t.Errorf("exported orphan %s: %v, bytes equal %v", rep.Exported[0], err, bytes.Equal(got, scan))
	}
	if filepath.Ext(rep.Exported[0]) != ".png" {
		t.Errorf("exported orphan %s lacks the extension of its type", rep.Exported[0])
	}
}

func hexOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// countEvents counts the events with the action in the catalog of dir,
// those about no record included.
func countEvents(t *testing.T, dir, action string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "catalog.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE action = ?`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDoctorStuckJob(t *testing.T) {
	d := newDoctorData(t)
	d.digitized()
	ctx := context.Background()
	// A record left queued whose job has ended: nothing would finish it.
	ended := d.queued()
	j2, err := d.db.Claim(ctx, "test:1:x", time.Minute)
	if err != nil || j2.RecordID != ended.ID {
		t.Fatalf("claim: %v (record %d, want %d)", err, j2.RecordID, ended.ID)
	}
	if err := d.db.Finish(ctx, j2.ID, "test:1:x"); err != nil {
		t.Fatal(err)
	}
	// A worker on this machine was killed a moment ago: its lease runs
	// for minutes yet.
	killed := d.queued()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	owner := fmt.Sprintf("%s:%d:0badf00d", host, gone.Process.Pid)
	if j, err := d.db.Claim(ctx, owner, time.Hour); err != nil || j.RecordID != killed.ID {
		t.Fatalf("claim: %v (record %d, want %d)", err, j.RecordID, killed.ID)
	}
	// And one whose worker is alive (the process that started this test) is
	// working, not stuck.
	working := d.queued()
	if j, err := d.db.Claim(ctx, fmt.Sprintf("%s:%d:0badf00d", host, os.Getppid()), time.Hour); err != nil || j.RecordID != working.ID {
		t.Fatalf("claim: %v", err)
	}

	// A worker on another machine took the job and died: its lease ran out.
	r := d.queued()
	job, err := d.db.Claim(ctx, "other-host:4242:deadbeef", time.Nanosecond)
	if err != nil || job.RecordID != r.ID {
		t.Fatalf("claim: %v (record %d, want %d)", err, job.RecordID, r.ID)
	}
	r.Status = catalog.StatusProcessing
	if err := d.db.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}

	rep, code := d.doctor()
	if code != exitFailure || len(rep.Jobs) != 3 {
		t.Fatalf("exit %d, stuck jobs %+v; want three found, exit 1", code, rep.Jobs)
	}
	kinds := map[int64]string{}
	for _, j := range rep.Jobs {
		kinds[j.Record] = j.Kind
	}
	if kinds[r.ID] != sqlite.JobLeaseExpired || kinds[ended.ID] != sqlite.JobEnded || kinds[killed.ID] != jobOwnerStopped {
		t.Errorf("kinds %v; want record %d lease_expired, %d job_ended, %d owner_stopped", kinds, r.ID, ended.ID, killed.ID)
	}

	rep, code = d.doctor("--repair")
	if code != exitOK || rep.Remaining != 0 {
		t.Fatalf("repair: exit %d, %+v", code, rep)
	}
	for _, id := range []int64{r.ID, ended.ID, killed.ID} {
		j, err := d.db.Job(ctx, jobOf(t, d.db, id))
		if err != nil || j.State != catalog.JobQueued {
			t.Errorf("job of record %d after repair: %v %+v; want queued", id, err, j)
		}
	}
	if j, _ := d.db.Job(ctx, jobOf(t, d.db, working.ID)); j.State != catalog.JobRunning {
		t.Errorf("the live worker's job was taken from it: %s", j.State)
	}
	if d.events(r.ID, "doctor_requeue") != 1 || d.events(ended.ID, "doctor_reprocess") != 1 || d.events(killed.ID, "doctor_requeue") != 1 {
		t.Errorf("repairs are not in the event log")
	}
	if rep, code := d.doctor(); code != exitOK || rep.Problems != 0 {
		t.Errorf("after repair: exit %d, %+v", code, rep)
	}
}

func jobOf(t *testing.T, db *sqlite.DB, recordID int64) int64 {
	t.Helper()
	j, err := db.JobOfRecord(context.Background(), recordID)
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

func TestDoctorMissingObjects(t *testing.T) {
	d := newDoctorData(t)
	ctx := context.Background()
	lost := d.digitized()   // its original deleted: only a backup brings it back
	noPDF := d.digitized()  // its archive deleted: rebuilt
	parked := d.digitized() // its original sits in orphans/: put back
	pending := d.queued()   // deleted before any worker read it: failed
	for _, key := range []string{lost.Original, noPDF.Archive, pending.Original} {
		if err := d.objects.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	rc, info, err := d.objects.Get(ctx, parked.Original)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.objects.Put(ctx, orphanPrefix+parked.Original, rc, info.Size, storage.PutOptions{SHA256: info.SHA256}); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := d.objects.Delete(ctx, parked.Original); err != nil {
		t.Fatal(err)
	}

	rep, code := d.doctor()
	if code != exitFailure || len(rep.Missing) != 4 {
		t.Fatalf("exit %d, missing %+v; want 4, exit 1", code, rep.Missing)
	}

	rep, code = d.doctor("--repair")
	if code != exitFailure {
		t.Errorf("repair: exit %d; want 1, a lost original remains", code)
	}
	got := map[int64]doctorMissing{}
	for _, m := range rep.Missing {
		got[m.Record] = m
	}
	if m := got[lost.ID]; !m.Remains || m.Repair != "" || !strings.Contains(m.Advice, lost.Source) {
		t.Errorf("lost original: %+v; want it to remain, with advice naming %s", m, lost.Source)
	}
	if m := got[noPDF.ID]; m.Remains || m.What != "archive" {
		t.Errorf("missing archive: %+v; want queued for rebuilding", m)
	}
	if j, _ := d.db.Job(ctx, jobOf(t, d.db, noPDF.ID)); j.State != catalog.JobQueued {
		t.Errorf("job of the record without its archive: %s, want queued", j.State)
	}
	if m := got[parked.ID]; m.Remains {
		t.Errorf("original in orphans/: %+v; want restored", m)
	}
	if _, err := d.objects.Stat(ctx, parked.Original); err != nil {
		t.Errorf("original not put back: %v", err)
	}
	if _, err := d.objects.Stat(ctx, orphanPrefix+parked.Original); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("restored original still in orphans/: %v", err)
	}
	p, err := d.db.Record(ctx, pending.ID)
	if err != nil || p.Status != catalog.StatusFailed || !strings.Contains(p.Error, "ingest the file again") {
		t.Errorf("unprocessed record without its original: %v, %s %q; want failed, telling to ingest again", err, p.Status, p.Error)
	}
	if j, _ := d.db.Job(ctx, jobOf(t, d.db, pending.ID)); j.State != catalog.JobFailed {
		t.Errorf("its job: %s, want failed", j.State)
	}
	if d.events(pending.ID, "doctor_fail") != 1 || d.events(parked.ID, "doctor_restore") != 1 || d.events(noPDF.ID, "doctor_reprocess") != 1 {
		t.Errorf("repairs are not in the event log")
	}
	out, _, _ := sohoa(t, "doctor", "--data", d.dir)
	if !strings.Contains(out, lost.Source) || !strings.Contains(out, "backup") {
		t.Errorf("text report does not name the lost original and what to do:\n%s", out)
	}
}

func TestDoctorStaleTempFiles(t *testing.T) {
	d := newDoctorData(t)
	tmp := tempDir(d.dir)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(tmp, "original-123")
	if err := os.WriteFile(left, []byte("left by a killed worker"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, code := d.doctor(); code != exitOK || len(rep.TempFiles) != 0 {
		t.Errorf("a fresh temp file with the default grace: exit %d, %+v; want it left alone", code, rep.TempFiles)
	}
	if rep, code := d.doctor("--grace", "0", "--repair"); code != exitOK || len(rep.TempFiles) != 1 || rep.TempFiles[0].Remains {
		t.Errorf("repair: exit %d, %+v", code, rep.TempFiles)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("stale temp file still there: %v", err)
	}
}
