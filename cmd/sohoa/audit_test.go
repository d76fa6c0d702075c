package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

// auditEvent is what the test reads of audit log --json.
type auditEvent struct {
	ID       int64           `json:"id"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	RecordID int64           `json:"record_id"`
	Details  json.RawMessage `json:"details"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// auditVerdict is what the test reads of audit verify --json.
type auditVerdict struct {
	OK          bool `json:"ok"`
	Events      int  `json:"events"`
	Checkpoints int  `json:"checkpoints"`
	Break       *struct {
		EventID int64  `json:"event_id"`
		Kind    string `json:"kind"`
		Detail  string `json:"detail"`
	} `json:"break"`
}

// ingestQueued stores two generated scans without OCR and returns the
// data folder.
func ingestQueued(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	scans, data := filepath.Join(dir, "scans"), filepath.Join(dir, "data")
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "2", "--seed", "7", "--clean"); code != 0 {
		t.Fatalf("fixtures: exit %d: %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(scans, "scan-*.tiff"))
	if len(files) != 2 {
		t.Fatalf("fixtures wrote %v, want 2 scans", files)
	}
	args := append([]string{"ingest", "--data", data, "--unit", "21181", "--clerk", "Nguyễn Thị Lan", "--no-wait"}, files...)
	if out, stderr, code := sohoa(t, args...); code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
	}
	return data
}

func auditLog(t *testing.T, data string, args ...string) []auditEvent {
	t.Helper()
	out, stderr, code := sohoa(t, append([]string{"audit", "log", "--data", data, "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("audit log %v: exit %d: %s", args, code, stderr)
	}
	var evs []auditEvent
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("audit log %v: %v\n%s", args, err, out)
	}
	return evs
}

func auditVerify(t *testing.T, data string) (auditVerdict, int) {
	t.Helper()
	out, stderr, code := sohoa(t, "audit", "verify", "--data", data, "--json")
	var v auditVerdict
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("audit verify: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	return v, code
}

func actions(evs []auditEvent) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Action)
	}
	return strings.Join(s, " ")
}

// tamperCatalog runs stmts on the catalog file with the append-only
// triggers dropped, as someone with the file would.
func tamperCatalog(t *testing.T, data string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range append([]string{`DROP TRIGGER IF EXISTS events_no_update`, `DROP TRIGGER IF EXISTS events_no_delete`}, stmts...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditCLI(t *testing.T) {
	data := ingestQueued(t)

	// Views and downloads are events, by the actor given.
	if _, stderr, code := sohoa(t, "show", "1", "--data", data, "--actor", "Kiểm toán viên"); code != 0 {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "ban-goc.tiff")
	if _, stderr, code := sohoa(t, "get", "1", "-o", out, "--data", data, "--actor", "Kiểm toán viên"); code != 0 {
		t.Fatalf("get: exit %d: %s", code, stderr)
	}
	// A download refused before any byte is read is not one.
	if _, _, code := sohoa(t, "get", "1", "--archive", "-o", out, "--data", data); code != exitFailure {
		t.Fatalf("get --archive of a queued record: exit %d, want %d", code, exitFailure)
	}

	all := auditLog(t, data, "--limit", "0")
	if got := actions(all); got != "store ingest store ingest view download" {
		t.Fatalf("audit log = %q", got)
	}
	prev := catalog.GenesisHash
	for _, e := range all {
		if e.PrevHash != prev || len(e.Hash) != 64 {
			t.Fatalf("event %d: prev_hash %s, want %s", e.ID, e.PrevHash, prev)
		}
		prev = e.Hash
	}
	dl := all[5]
	var details map[string]string
	if err := json.Unmarshal(dl.Details, &details); err != nil {
		t.Fatal(err)
	}
	if dl.Actor != "Kiểm toán viên" || dl.RecordID != 1 || details["what"] != "original" || details["out"] != out {
		t.Errorf("download event = %+v, details %v", dl, details)
	}
	tomorrow := time.Now().Add(24 * time.Hour).Format(time.DateOnly)
	yesterday := time.Now().Add(-24 * time.Hour).Format(time.DateOnly)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--record", "1"}, "ingest view download"},
		{[]string{"--record", "#2"}, "ingest"},
		{[]string{"--actor", "Kiểm toán viên"}, "view download"},
		{[]string{"--actor", "Nguyễn Thị Lan", "--record", "1"}, "ingest"},
		{[]string{"--since", tomorrow}, ""},
		{[]string{"--since", yesterday, "--limit", "2"}, "view download"},
		{[]string{"--since", time.Now().Add(-time.Hour).Format(time.RFC3339), "--actor", "nobody"}, ""},
	} {
		if got := actions(auditLog(t, data, tt.args...)); got != tt.want {
			t.Errorf("audit log %v = %q, want %q", tt.args, got, tt.want)
		}
	}
	if _, _, code := sohoa(t, "audit", "log", "--data", data, "--since", "16/01/2025"); code != exitUsage {
		t.Errorf("audit log --since 16/01/2025: exit %d, want %d", code, exitUsage)
	}
	text, _, code := sohoa(t, "audit", "log", "--data", data, "--record", "1")
	if code != 0 || !strings.Contains(text, "Kiểm toán viên") || !strings.Contains(text, "hồ sơ #1") {
		t.Errorf("audit log --record 1: exit %d\n%s", code, text)
	}

	// Ingest checkpointed event 4; verify is whole.
	v, code := auditVerify(t, data)
	if code != exitOK || !v.OK || v.Events != 6 || v.Checkpoints != 1 || v.Break != nil {
		t.Fatalf("audit verify: exit %d, %+v", code, v)
	}
	cpOut, stderr, code := sohoa(t, "audit", "checkpoint", "--data", data)
	if code != 0 || !strings.Contains(cpOut, "#6") {
		t.Fatalf("audit checkpoint: exit %d\n%s%s", code, cpOut, stderr)
	}

	// Cutting the last event is caught through the checkpoint.
	tamperCatalog(t, data, `DELETE FROM events WHERE id = 6`)
	v, code = auditVerify(t, data)
	if code != exitFailure || v.OK || v.Break == nil || v.Break.EventID != 6 || v.Break.Kind != string(catalog.BreakMissing) {
		t.Fatalf("audit verify after deleting event 6: exit %d, %+v", code, v)
	}
	// An earlier edit is the first break.
	tamperCatalog(t, data, `UPDATE events SET details = '{"source":"khac.tiff"}' WHERE id = 2`)
	v, code = auditVerify(t, data)
	if code != exitFailure || v.Break == nil || v.Break.EventID != 2 || v.Break.Kind != string(catalog.BreakAltered) {
		t.Fatalf("audit verify after editing event 2: exit %d, %+v", code, v)
	}
	text, _, code = sohoa(t, "audit", "verify", "--data", data)
	if code != exitFailure || !strings.Contains(text, "sự kiện #2") || !strings.Contains(text, "altered") {
		t.Errorf("audit verify: exit %d\n%s", code, text)
	}
}

func TestAuditCLIUsage(t *testing.T) {
	t.Parallel()
	if out, _, code := sohoa(t, "audit"); code != exitOK || !strings.Contains(out, "audit verify") {
		t.Errorf("audit: exit %d\n%s", code, out)
	}
	if _, _, code := sohoa(t, "audit", "repair"); code != exitUsage {
		t.Errorf("audit repair: exit %d, want %d", code, exitUsage)
	}
	if out, _, code := sohoa(t, "audit", "log", "--help"); code != exitOK || !strings.Contains(out, "--since") {
		t.Errorf("audit log --help: exit %d\n%s", code, out)
	}
	data := t.TempDir()
	// An empty log is whole, and says that nothing anchors it yet.
	out, _, code := sohoa(t, "audit", "verify", "--data", data)
	if code != exitOK || !strings.Contains(out, "audit checkpoint") {
		t.Errorf("audit verify of an empty catalog: exit %d\n%s", code, out)
	}
}

func TestStartCheckpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	st, err := e.openData(ctx, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := func() []catalog.Checkpoint {
		t.Helper()
		cps, err := catalog.LoadCheckpoints(ctx, st.objects)
		if err != nil {
			t.Fatal(err)
		}
		return cps
	}
	waitFor := func(what string, ok func([]catalog.Checkpoint) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(count()) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s after 10s: %+v", what, count())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	stop := startCheckpoints(ctx, st, 10*time.Millisecond, slog.New(slog.DiscardHandler))
	waitFor("first checkpoint", func(cps []catalog.Checkpoint) bool { return len(cps) >= 1 })
	if err := st.catalog.AppendEvent(ctx, catalog.Event{Actor: "Lan", Action: "view"}); err != nil {
		t.Fatal(err)
	}
	waitFor("checkpoint of event 1", func(cps []catalog.Checkpoint) bool { return len(cps) > 0 && cps[len(cps)-1].LastID == 1 })
	// An unchanged head is not written again, however often the timer
	// runs; stopping writes the last one.
	if err := st.catalog.AppendEvent(ctx, catalog.Event{Actor: "Lan", Action: "view"}); err != nil {
		t.Fatal(err)
	}
	stop()
	stop()
	var ids []int64
	for _, cp := range count() {
		ids = append(ids, cp.LastID)
	}
	if fmt.Sprint(ids) != "[0 1 2]" {
		t.Errorf("checkpoints at events %v, want one for each head: [0 1 2]", ids)
	}
}
