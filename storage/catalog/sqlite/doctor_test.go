package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

func doctorRecord(t *testing.T, db *DB, b catalog.Batch, source string, status catalog.Status, enqueue bool) catalog.Record {
	t.Helper()
	return mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: source, SHA256: strings.Repeat("a", 63) + string(rune('0'+len(source)%10)),
		Original: "originals/sha256/" + source, Status: status}, enqueue)
}

func TestJobProblems(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	b := mustBatch(t, db, "k")

	expired := doctorRecord(t, db, b, "expired.png", catalog.StatusQueued, true)
	if _, err := db.Claim(ctx, "far:1:a", time.Minute); err != nil {
		t.Fatal(err)
	}
	live := doctorRecord(t, db, b, "live.png", catalog.StatusQueued, true)
	clk.Advance(30 * time.Second)
	if _, err := db.Claim(ctx, "far:2:b", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	ended := doctorRecord(t, db, b, "ended.png", catalog.StatusQueued, true)
	j, err := db.Claim(ctx, "far:3:c", time.Minute)
	if err != nil || j.RecordID != ended.ID {
		t.Fatalf("claim: %v %+v", err, j)
	}
	if err := db.Finish(ctx, j.ID, "far:3:c"); err != nil {
		t.Fatal(err)
	}
	nojob := doctorRecord(t, db, b, "nojob.png", catalog.StatusProcessing, false)
	doctorRecord(t, db, b, "dup.png", catalog.StatusDuplicate, false)
	doctorRecord(t, db, b, "waiting.png", catalog.StatusQueued, true)
	clk.Advance(31 * time.Second) // expired's lease (1 min from t0) ran out; live's has not

	probs, err := db.JobProblems(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, p := range probs {
		got[p.RecordID] = p.Kind
	}
	want := map[int64]string{expired.ID: JobLeaseExpired, ended.ID: JobEnded, nojob.ID: JobMissing}
	if len(got) != len(want) {
		t.Errorf("problems %v, want %v", got, want)
	}
	for id, k := range want {
		if got[id] != k {
			t.Errorf("record %d: kind %q, want %q (all: %v)", id, got[id], k, got)
		}
	}
	if _, ok := got[live.ID]; ok {
		t.Errorf("a job under a live lease is listed")
	}

	ev := catalog.Event{Actor: "it", Action: "doctor_requeue", RecordID: expired.ID}
	jobOf := func(id int64) catalog.Job {
		t.Helper()
		j, err := db.JobOfRecord(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	if err := db.RequeueExpired(ctx, jobOf(live.ID).ID, clk.Now(), ev); !errors.Is(err, ErrInFlight) {
		t.Errorf("RequeueExpired of a live lease: %v, want ErrInFlight", err)
	}
	if err := db.RequeueExpired(ctx, jobOf(expired.ID).ID, clk.Now(), ev); err != nil {
		t.Fatal(err)
	}
	if j := jobOf(expired.ID); j.State != catalog.JobQueued || j.Owner != "" {
		t.Errorf("after RequeueExpired: %+v", j)
	}
	if err := db.Reprocess(ctx, live.ID, clk.Now(), ev); !errors.Is(err, ErrInFlight) {
		t.Errorf("Reprocess under a live lease: %v, want ErrInFlight", err)
	}
	for _, id := range []int64{ended.ID, nojob.ID} {
		if err := db.Reprocess(ctx, id, clk.Now(), catalog.Event{Actor: "it", Action: "doctor_reprocess", RecordID: id}); err != nil {
			t.Fatalf("Reprocess %d: %v", id, err)
		}
		if j := jobOf(id); j.State != catalog.JobQueued {
			t.Errorf("record %d after Reprocess: job %s", id, j.State)
		}
	}
	if probs, err := db.JobProblems(ctx, clk.Now()); err != nil || len(probs) != 0 {
		t.Errorf("after the repairs: %v %+v", err, probs)
	}
	for id, action := range map[int64]string{expired.ID: "doctor_requeue", ended.ID: "doctor_reprocess", nojob.ID: "doctor_reprocess"} {
		evs, err := db.Events(ctx, id)
		if err != nil || len(evs) != 1 || evs[0].Action != action {
			t.Errorf("events of record %d: %v %+v; want one %s", id, err, evs, action)
		}
	}
}

func TestFailRecord(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	b := mustBatch(t, db, "k")
	r := doctorRecord(t, db, b, "gone.png", catalog.StatusQueued, true)
	if _, err := db.Claim(ctx, "far:1:a", time.Minute); err != nil {
		t.Fatal(err)
	}
	ev := catalog.Event{Actor: "it", Action: "doctor_fail", RecordID: r.ID}
	if err := db.FailRecord(ctx, r.ID, "gone", clk.Now(), ev); !errors.Is(err, ErrInFlight) {
		t.Errorf("FailRecord under a live lease: %v, want ErrInFlight", err)
	}
	clk.Advance(2 * time.Minute)
	if err := db.FailRecord(ctx, r.ID, "gone: ingest the file again", clk.Now(), ev); err != nil {
		t.Fatal(err)
	}
	got, err := db.Record(ctx, r.ID)
	if err != nil || got.Status != catalog.StatusFailed || got.Error != "gone: ingest the file again" {
		t.Errorf("record: %v %s %q", err, got.Status, got.Error)
	}
	if j, err := db.JobOfRecord(ctx, r.ID); err != nil || j.State != catalog.JobFailed {
		t.Errorf("job: %v %s", err, j.State)
	}
	if evs, _ := db.Events(ctx, r.ID); len(evs) != 1 {
		t.Errorf("%d events, want the repair's", len(evs))
	}
	if err := db.FailRecord(ctx, 999, "x", clk.Now(), ev); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("FailRecord of no record: %v, want ErrNotFound", err)
	}
}

func TestEachRecordObjectsAndLastBatch(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.LastBatch(ctx, "k"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("LastBatch of an unknown key: %v", err)
	}
	b := mustBatch(t, db, "k")
	r := doctorRecord(t, db, b, "a.png", catalog.StatusQueued, true)
	r.Archive = "archives/sha256/a.pdf"
	if err := db.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}
	doctorRecord(t, db, b, "b.png", catalog.StatusQueued, true)
	var seen []RecordObjects
	if err := db.EachRecordObjects(ctx, func(o RecordObjects) error { seen = append(seen, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].Archive != r.Archive || seen[0].Original != r.Original || seen[1].Source != "b.png" {
		t.Errorf("EachRecordObjects: %+v", seen)
	}

	if err := db.SealBatch(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := db.LastBatch(ctx, "k"); err != nil || got.ID != b.ID || !got.Sealed {
		t.Errorf("LastBatch after sealing: %v %+v", err, got)
	}
	again := mustBatch(t, db, "k")
	if got, err := db.LastBatch(ctx, "k"); err != nil || got.ID != again.ID || got.Sealed {
		t.Errorf("LastBatch with a newer open batch: %v %+v, want batch %d", err, got, again.ID)
	}
}

func TestRequeueOwned(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	r := doctorRecord(t, db, b, "a.png", catalog.StatusQueued, true)
	j, err := db.Claim(ctx, "here:1:dead", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ev := catalog.Event{Actor: "it", Action: "doctor_requeue", RecordID: r.ID}
	if err := db.RequeueOwned(ctx, j.ID, "here:2:other", db.now(), ev); !errors.Is(err, ErrInFlight) {
		t.Errorf("RequeueOwned naming another owner: %v, want ErrInFlight", err)
	}
	if err := db.RequeueOwned(ctx, j.ID, "here:1:dead", db.now(), ev); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Job(ctx, j.ID); got.State != catalog.JobQueued || got.Owner != "" {
		t.Errorf("after RequeueOwned: %+v", got)
	}
	if err := db.RequeueOwned(ctx, j.ID, "here:1:dead", db.now(), ev); err != nil {
		t.Errorf("RequeueOwned of a queued job: %v, want nil (left alone)", err)
	}
	if evs, _ := db.Events(ctx, r.ID); len(evs) != 1 {
		t.Errorf("%d events, want one: the one requeue", len(evs))
	}
}
