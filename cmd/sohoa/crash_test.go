package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sohoa/fixtures"
	"sohoa/ocr/tesseract"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
)

var crashRunsFlag = flag.Int("crash.runs", 0, "seeds TestCrashSafety kills sohoa with (default 20, or $SOHOA_CRASH_RUNS)")

// crashRuns is how many seeds TestCrashSafety runs: the flag, else
// $SOHOA_CRASH_RUNS, else 20 (what CI runs).
func crashRuns(t *testing.T) int {
	if *crashRunsFlag > 0 {
		return *crashRunsFlag
	}
	if v := os.Getenv("SOHOA_CRASH_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SOHOA_CRASH_RUNS=%q is not a positive number", v)
		}
		return n
	}
	return 20
}

// crashInput is one file of the batch the harness ingests, and what the
// pipeline must make of it whatever happens to the process.
type crashInput struct {
	source string // as ingest records it: relative to the folder given
	path   string
	sha256 string
	want   string // "done" (digitized or needs_review), "failed" or "duplicate"
	dupOf  string // for a duplicate: the source holding the same bytes
}

// TestCrashSafety runs the real sohoa binary on a small batch and kills it
// with SIGKILL (the whole process group: a power cut, not a Ctrl-C) at
// seeded random moments — from the first milliseconds, while originals are
// stored, to the last, while archives are written and the catalog
// indexed — then runs the same command again, possibly kills it again, and
// lets it finish. A third of the seeds ingest with --no-wait and drain the
// queue with `sohoa worker`, killing either; after a third of the kills
// `sohoa doctor --repair` runs before the restart, as an operator would.
// After each seed: every input file has exactly one record, in a final
// status (a good scan is never failed by a crash), with its one ingest
// event in the log; every stored object's sha256 matches its record and
// the input; no record points at a missing object and no object is
// unrecorded; SQLite's integrity check passes; and `sohoa doctor --grace 0`
// finds nothing to repair.
//
// 20 seeds by default; -crash.runs N or SOHOA_CRASH_RUNS=N for more.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sohoa many times with real OCR: not in -short")
	}
	if _, err := tesseract.New(tesseract.Options{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	runs := crashRuns(t)
	dir := t.TempDir()
	h := &crashHarness{t: t, bin: filepath.Join(dir, "sohoa"), tm: &crashTimings{}}
	if out, err := exec.Command("go", "build", "-o", h.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build sohoa: %v\n%s", err, out)
	}
	h.env = crashEnv(filepath.Join(dir, "cache"))
	h.scans = filepath.Join(dir, "scans")
	h.inputs = writeCrashBatch(t, h.scans)
	h.timeout = 3 * time.Minute

	// The first start of a new build trains the built-in classifier and
	// caches it; a run without kills then measures the two phases, which
	// the kill moments are drawn over.
	if _, code, _, stderr := h.run(filepath.Join(dir, "warm"), 0, h.ingestArgs(true)...); code != 0 {
		t.Fatalf("warm-up ingest --no-wait: exit %d\n%s", code, stderr)
	}
	base := filepath.Join(dir, "baseline")
	start := time.Now()
	if _, code, _, stderr := h.run(base, 0, h.ingestArgs(true)...); code != 0 {
		t.Fatalf("baseline ingest --no-wait: exit %d\n%s", code, stderr)
	}
	h.tm.store = time.Since(start)
	start = time.Now()
	if _, code, _, stderr := h.run(base, 0, "worker", "--data", base, "--workers", "2"); code != 0 {
		t.Fatalf("baseline worker: exit %d\n%s", code, stderr)
	}
	h.tm.work = time.Since(start)
	h.timeout = max(h.timeout, 10*(h.tm.store+h.tm.work))
	t.Logf("baseline: ingest --no-wait %v, worker %v (%d files)", h.tm.store.Round(time.Millisecond), h.tm.work.Round(time.Millisecond), len(h.inputs))
	h.check(base)

	phases := map[string]int{}
	seedsKilled := 0
	for seed := 1; seed <= runs; seed++ {
		// Stop cleanly, naming how far it got, rather than be killed by
		// go test's own timeout with sohoa processes still running.
		if dl, ok := t.Deadline(); ok && time.Until(dl) < 30*time.Second+5*(h.tm.store+h.tm.work) {
			t.Errorf("out of time after %d of %d seeds (go test -timeout): run fewer with -crash.runs, or give it longer", seed-1, runs)
			break
		}
		var landed []string
		ok := t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			hs := *h
			hs.t = t
			landed = hs.crashRun(filepath.Join(dir, fmt.Sprintf("seed-%d", seed)), uint64(seed))
		})
		if !ok {
			break // the data folder of the failed seed is the evidence; stop there
		}
		if len(landed) > 0 {
			seedsKilled++
		}
		for _, p := range landed {
			phases[p]++
		}
	}
	t.Logf("kills landed, by phase: %v (%d of %d seeds killed at least once); last estimates: ingest --no-wait %v, worker %v",
		phases, seedsKilled, runs, h.tm.store.Round(time.Millisecond), h.tm.work.Round(time.Millisecond))
	if t.Failed() {
		return
	}
	// A harness whose kills never land proves nothing.
	if seedsKilled < (runs+1)/2 {
		t.Errorf("only %d of %d seeds were killed at all: the kill moments miss the run", seedsKilled, runs)
	}
	if runs >= 20 && (phases["store"] == 0 || phases["ocr"]+phases["finishing"] == 0) {
		t.Errorf("kills landed in phases %v: want some while storing and some while processing", phases)
	}
}

type crashHarness struct {
	t       *testing.T
	bin     string
	env     []string
	scans   string
	inputs  []crashInput
	timeout time.Duration
	tm      *crashTimings
}

// crashTimings are how long the commands take uninterrupted, measured by
// the baseline and kept up to date by every run no kill cut short (the
// machine's load changes), so the kill moments keep spanning the work.
type crashTimings struct {
	store time.Duration // ingest --no-wait
	work  time.Duration // worker
}

// observe blends a fresh measure into an estimate.
func observe(est *time.Duration, sample time.Duration) { *est = (3**est + sample) / 4 }

// crashEnv is the environment of the sohoa processes: the local store (no
// S3 from the caller's environment), a classifier cache of the test's own.
func crashEnv(cache string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SOHOA_") || strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "XDG_CACHE_HOME="+cache, "OMP_THREAD_LIMIT=1")
}

func (h *crashHarness) ingestArgs(noWait bool) []string {
	args := []string{"ingest", "--unit", "21181", "--clerk", "Nguyễn Thị Lan", "--workers", "2"}
	if noWait {
		args = append(args, "--no-wait")
	}
	return append(args, h.scans)
}

// run starts sohoa on the data folder and, after killAfter (if not 0),
// kills its process group with SIGKILL. It reports whether the kill
// landed (the process died of it) and the exit code otherwise.
func (h *crashHarness) run(data string, killAfter time.Duration, args ...string) (killed bool, code int, stdout, stderr string) {
	h.t.Helper()
	args = append(append([]string(nil), args...), "--data", data)
	ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = h.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start sohoa %v: %v", args, err)
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		h.t.Fatalf("sohoa %v did not finish within %v\n%s", args, h.timeout, errb.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, -1, out.String(), errb.String()
		}
		return false, ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		h.t.Fatalf("sohoa %v: %v", args, err)
	}
	return false, 0, out.String(), errb.String()
}

// killPlan is when to kill which command of a seed's run: at a moment
// within the time ingest takes to store the batch (early), or at a fraction of the work the
// command still has (a restart resumes, so it has less each time).
type killPlan struct {
	worker bool // kill the worker, not the ingest (--no-wait seeds)
	early  time.Duration
	frac   float64
}

// crashRun ingests the batch into a fresh data folder, killing and
// restarting as the seed says, checks the result, and returns the phase
// each landed kill hit.
func (h *crashHarness) crashRun(data string, seed uint64) []string {
	t := h.t
	rng := rand.New(rand.NewPCG(seed, 0x5eed_c2a5))
	noWait := seed%3 == 0
	// A third of the moments fall within the time ingest takes to store
	// the batch, so the first milliseconds are well covered; the rest
	// anywhere over the work left, and a little past it.
	draw := func(worker bool) killPlan {
		if rng.IntN(3) == 0 {
			return killPlan{worker: worker, early: time.Duration(rng.Int64N(int64(h.tm.store) + 1))}
		}
		return killPlan{worker: worker, frac: rng.Float64() * 1.1}
	}
	var plan []killPlan
	for range 1 + rng.IntN(2) {
		plan = append(plan, draw(noWait && rng.IntN(2) == 0))
	}
	// Kills of the ingest come before those of the worker.
	sort.SliceStable(plan, func(i, j int) bool { return !plan[i].worker && plan[j].worker })

	type step struct {
		worker bool
		args   []string
		expect time.Duration // uninterrupted
	}
	steps := []step{{false, h.ingestArgs(noWait), h.tm.store + h.tm.work}}
	if noWait {
		steps = []step{{false, h.ingestArgs(true), h.tm.store}, {true, []string{"worker", "--workers", "2"}, h.tm.work}}
	}
	var landed, log []string
	for _, s := range steps {
		var worked time.Duration // before the kills of this step
		for attempt := 1; ; attempt++ {
			if attempt > 6 {
				t.Fatalf("%v never finished: %v", s.args, log)
			}
			var after time.Duration
			if len(plan) > 0 && plan[0].worker == s.worker {
				k := plan[0]
				plan = plan[1:]
				after = k.early
				if k.early == 0 {
					left := max(s.expect-worked, h.tm.store)
					after = max(time.Duration(k.frac*float64(left)), time.Millisecond)
				}
			}
			began := time.Now()
			killed, code, _, stderr := h.run(data, after, s.args...)
			if !killed && attempt == 1 {
				switch took := time.Since(began); {
				case s.worker:
					observe(&h.tm.work, took)
				case noWait:
					observe(&h.tm.store, took)
				default:
					observe(&h.tm.work, max(took-h.tm.store, time.Millisecond))
				}
			}
			if killed {
				phase := h.phase(data, s.worker, s.args)
				landed = append(landed, phase)
				worked += after
				log = append(log, fmt.Sprintf("%s killed after %v (%s)", s.args[0], after.Round(time.Millisecond), phase))
				if rng.IntN(3) == 0 {
					// An operator's first move after a crash: doctor's
					// repairs must leave nothing it cannot mend, and must
					// not stand in the way of the restart.
					log = append(log, "doctor --repair: "+h.doctorAfterKill(data))
				}
				continue
			}
			if after > 0 {
				log = append(log, fmt.Sprintf("%s ended before the kill at %v", s.args[0], after.Round(time.Millisecond)))
			}
			// ingest exits 1 when a record failed (the batch's bad file):
			// it says so per record, never with an error of its own.
			if code != 0 && !(code == exitFailure && s.args[0] == "ingest" && !noWait && !strings.Contains(stderr, "sohoa ingest:")) {
				t.Fatalf("%v: exit %d after %v\n%s", s.args, code, log, stderr)
			}
			break
		}
	}
	t.Logf("no-wait=%v: %s", noWait, strings.Join(log, "; "))
	h.check(data)
	return landed
}

// doctorAfterKill runs `sohoa doctor --repair` on the data folder a kill
// left, and says what it repaired.
func (h *crashHarness) doctorAfterKill(data string) string {
	h.t.Helper()
	_, code, out, stderr := h.run(data, 0, "doctor", "--repair", "--json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Remaining != 0 {
		h.t.Fatalf("sohoa doctor --repair after a kill: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	var did []string
	for _, j := range rep.Jobs {
		did = append(did, fmt.Sprintf("#%d %s %s", j.Record, j.Kind, j.Repair))
	}
	if len(did) == 0 {
		return "nothing to repair"
	}
	return strings.Join(did, ", ")
}

// phase says what the killed run was doing, from what it left behind.
func (h *crashHarness) phase(data string, worker bool, args []string) string {
	h.t.Helper()
	path := filepath.Join(data, "catalog.db")
	if _, err := os.Stat(path); err != nil {
		return "start"
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	var records, ended int
	row := db.QueryRow(`SELECT (SELECT count(*) FROM records),
		(SELECT count(*) FROM jobs WHERE state IN ('done', 'failed'))`)
	if err := row.Scan(&records, &ended); err != nil {
		return "start" // killed before the schema was made
	}
	jobs := 0
	for _, in := range h.inputs {
		if in.want != "duplicate" {
			jobs++
		}
	}
	switch {
	case records < len(h.inputs):
		return "store"
	case !worker && slicesContains(args, "--no-wait"):
		return "seal"
	case ended == 0:
		return "ocr"
	case ended < jobs:
		// Some documents archived, indexed and done, others not.
		return "finishing"
	}
	return "after"
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// check verifies that nothing was lost or duplicated in the data folder.
func (h *crashHarness) check(data string) {
	t := h.t
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	objects, err := local.Open(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}

	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("catalog integrity: %v", err)
	}
	records, err := db.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string][]catalog.Record{}
	for _, r := range records {
		bySource[r.Source] = append(bySource[r.Source], r)
	}
	if len(records) != len(h.inputs) {
		t.Errorf("%d records for %d input files", len(records), len(h.inputs))
	}
	referenced := map[string]bool{}
	for _, in := range h.inputs {
		rs := bySource[in.source]
		if len(rs) != 1 {
			t.Errorf("%s has %d records, want exactly one", in.source, len(rs))
			continue
		}
		r := rs[0]
		if !r.Status.Final() {
			t.Errorf("record #%d %s ended %s, not in a final status", r.ID, in.source, r.Status)
		}
		switch in.want {
		case "done":
			if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
				t.Errorf("record #%d %s (a good scan) is %s: %s", r.ID, in.source, r.Status, r.Error)
			}
			if r.Archive == "" || r.Pages != 1 {
				t.Errorf("record #%d %s: archive %q, %d pages; want an archive of 1 page", r.ID, in.source, r.Archive, r.Pages)
			}
			pgs, err := db.Pages(ctx, r.ID)
			if err != nil || len(pgs) != 1 || strings.TrimSpace(pgs[0].Text) == "" {
				t.Errorf("record #%d %s: pages %d (%v); want 1 with text", r.ID, in.source, len(pgs), err)
			}
		case "failed":
			if r.Status != catalog.StatusFailed || r.Error == "" {
				t.Errorf("record #%d %s (bad input) is %s %q; want failed with a message", r.ID, in.source, r.Status, r.Error)
			}
		case "duplicate":
			of := bySource[in.dupOf]
			if r.Status != catalog.StatusDuplicate || len(of) != 1 || r.DuplicateOf != of[0].ID {
				t.Errorf("record #%d %s is %s of #%d; want a duplicate of %s", r.ID, in.source, r.Status, r.DuplicateOf, in.dupOf)
			}
		}
		// The log says who handed each file over, once, whenever the kill came.
		evs, err := db.Events(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		ingested := 0
		for _, e := range evs {
			if e.Action == "ingest" {
				ingested++
			}
		}
		if ingested != 1 {
			t.Errorf("record #%d %s has %d ingest events in the log, want 1", r.ID, in.source, ingested)
		}
		if r.SHA256 != in.sha256 {
			t.Errorf("record #%d %s has sha256 %s, the file %s", r.ID, in.source, r.SHA256, in.sha256)
		}
		// Every stored object read back whole and hashed.
		if got, err := hashObject(ctx, objects, r.Original); err != nil || got != r.SHA256 {
			t.Errorf("record #%d %s: original %s: sha256 %s, %v; want %s", r.ID, in.source, r.Original, got, err, r.SHA256)
		}
		referenced[r.Original] = true
		if r.Archive != "" {
			rc, info, err := objects.Get(ctx, r.Archive)
			if err != nil {
				t.Errorf("record #%d %s: archive %s: %v", r.ID, in.source, r.Archive, err)
				continue
			}
			b, err := io.ReadAll(rc) // the store's reader fails on a checksum mismatch
			rc.Close()
			sum := sha256.Sum256(b)
			if err != nil || hex.EncodeToString(sum[:]) != info.SHA256 || !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Errorf("record #%d %s: archive %s unreadable or altered: %v", r.ID, in.source, r.Archive, err)
			}
			referenced[r.Archive] = true
		}
	}
	for _, prefix := range []string{"originals/", "archives/", orphanPrefix} {
		err := objects.List(ctx, prefix, func(info storage.ObjectInfo) error {
			if !referenced[info.Key] {
				t.Errorf("object %s is in the store but no record points at it", info.Key)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.Jobs[catalog.JobQueued] + st.Jobs[catalog.JobRunning]; n != 0 {
		t.Errorf("%d jobs still queued or running: %v", n, st.Jobs)
	}
	if st.Batches != 1 {
		t.Errorf("%d batches, want the one batch resumed", st.Batches)
	}
	db.Close()

	_, code, out, stderr := h.run(data, 0, "doctor", "--json", "--grace", "0")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Problems != 0 {
		t.Errorf("sohoa doctor --grace 0: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
}

func hashObject(ctx context.Context, objects storage.Objects, key string) (string, error) {
	rc, _, err := objects.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeCrashBatch writes the batch every seed ingests: a one-page document
// at 200 dpi in each format, a second copy of the first under another
// name, and an empty file (a scanner that wrote nothing).
func writeCrashBatch(t *testing.T, dir string) []crashInput {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Base(dir)
	var inputs []crashInput
	add := func(name string, content []byte, want, dupOf string) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		inputs = append(inputs, crashInput{source: folder + "/" + name, path: path, sha256: hex.EncodeToString(sum[:]), want: want, dupOf: dupOf})
	}
	formats := []string{"png", "jpeg", "pdf", "tiff", "tiff-g4"}
	var first []byte
	for i := range len(formats) {
		d := fixtures.NewDocOfType(20251202+int64(i), fixtures.DocTypes[i%len(fixtures.DocTypes)])
		// The top of the first page (header, number, date, title,
		// subject): what extraction needs, at a fraction of the OCR time.
		d.Pages = d.Pages[:1]
		d.Pages[0] = d.Pages[0][:min(len(d.Pages[0]), 14)]
		format := formats[i%len(formats)]
		var b bytes.Buffer
		if err := fixtures.WriteDoc(&b, d, fixtures.Options{DPI: 200, Format: format}); err != nil {
			t.Fatal(err)
		}
		add(fmt.Sprintf("scan-%02d%s", i+1, fixtures.Ext(format)), b.Bytes(), "done", "")
		if i == 0 {
			first = b.Bytes()
		}
	}
	add("scan-09-ban-sao-cua-01.png", first, "duplicate", folder+"/scan-01.png")
	add("trong.pdf", nil, "failed", "")
	return inputs
}

// TestIngestAgainAfterSeal is the one moment the random kills of
// TestCrashSafety rarely hit: ingest has sealed its batch and is killed
// before it exits. The clerk runs the same command again; nothing may be
// recorded twice. A file rescanned since makes the run a new batch, as a
// new ingest.
func TestIngestAgainAfterSeal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the built-in classifier on first use: not in -short")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	scans := filepath.Join(dir, "scans")
	inputs := writeCrashBatch(t, scans)
	ingest := []string{"ingest", "--data", data, "--unit", "21181", "--clerk", "Lan", "--no-wait", scans}
	for run := 1; run <= 2; run++ {
		if _, stderr, code := sohoa(t, ingest...); code != exitOK {
			t.Fatalf("run %d: exit %d: %s", run, code, stderr)
		}
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() (batches, records, dups int) {
		st, err := db.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range st.Records {
			records += n
		}
		return st.Batches, records, st.Records[catalog.StatusDuplicate]
	}
	if b, r, d := count(); b != 1 || r != len(inputs) || d != 1 {
		t.Errorf("the same command after a sealed run: %d batches, %d records (%d duplicates); want 1, %d (1, the copy in the batch)", b, r, d, len(inputs))
	}

	// Rescanned: the clerk hands the folder over again, changed.
	if err := os.WriteFile(inputs[1].path, []byte("rescanned"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := sohoa(t, ingest...); code != exitOK {
		t.Fatalf("after a rescan: exit %d: %s", code, stderr)
	}
	if b, r, _ := count(); b != 2 || r != 2*len(inputs) {
		t.Errorf("after a rescan: %d batches, %d records; want a new batch of %d", b, r, len(inputs))
	}
}
