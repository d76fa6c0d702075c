package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sohoa/ocr/tesseract"
	"sohoa/storage"
	"sohoa/storage/bagit"
	"sohoa/storage/catalog"
	"sohoa/storage/evidence"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

// exportScans writes n clean fixture scans and returns their paths.
func exportScans(t *testing.T, n int, seed string) []string {
	t.Helper()
	scans := filepath.Join(t.TempDir(), "scans")
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "3", "--seed", seed, "--clean", "--format", "png"); code != 0 {
		t.Fatalf("fixtures: exit %d: %s", code, stderr)
	}
	all, _ := filepath.Glob(filepath.Join(scans, "scan-*"))
	var files []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".json") && !strings.HasSuffix(f, ".txt") {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) < n {
		t.Fatalf("fixtures wrote %d scans, want %d", len(files), n)
	}
	return files[:n]
}

func fileSHA256(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// listRecords is `sohoa list --json`.
func listRecords(t *testing.T, data string) []recordJSON {
	t.Helper()
	out, stderr, code := sohoa(t, "list", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	var recs []recordJSON
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("list --json: %v", err)
	}
	return recs
}

// readBag returns every file of a zipped bag by its path inside the bag's
// base directory.
func readBag(t *testing.T, name string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		_, inner, _ := strings.Cut(f.Name, "/")
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s in %s: %v", f.Name, name, err)
		}
		files[inner] = b
	}
	return files
}

// exportEvents reads the export events straight from the catalog file.
func exportEvents(t *testing.T, data string) []map[string]any {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "catalog.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT actor, details FROM events WHERE action = 'export' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var actor, details string
		if err := rows.Scan(&actor, &details); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(details), &m); err != nil {
			t.Fatalf("export event details are not JSON: %v: %s", err, details)
		}
		m["actor"] = actor
		out = append(out, m)
	}
	return out
}

// TestExportBag ingests scans for two communes through the whole pipeline,
// exports one commune's records and checks the bag: it validates, holds
// exactly that commune's records, each original hashes to the record's
// sha256 (and is the very file ingested), the archival PDF, the metadata
// and the history are there, and the export is in the audit log.
func TestExportBag(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OCR: not in -short")
	}
	if _, err := tesseract.New(tesseract.Options{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	files := exportScans(t, 3, "5150")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for _, in := range []struct {
		unit  string
		files []string
	}{{"21181", files[:2]}, {"21199", files[2:]}} {
		args := append([]string{"ingest", "--data", data, "--unit", in.unit, "--clerk", "Nguyễn Thị Lan", "--workers", "2"}, in.files...)
		if out, stderr, code := sohoa(t, args...); code != 0 {
			t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
		}
	}
	recs := listRecords(t, data)
	if len(recs) != 3 {
		t.Fatalf("%d records after ingest, want 3", len(recs))
	}
	ingested := map[string]string{} // sha256 → file
	for _, f := range files {
		ingested[fileSHA256(t, f)] = f
	}

	bagPath := filepath.Join(dir, "chung-cu 21181.zip")
	out, stderr, code := sohoa(t, "export", "--data", data, "--unit", "21181", "--out", bagPath, "--actor", "kiểm toán viên", "--json")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, stderr)
	}
	var sum exportResult
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("export --json: %v: %s", err, out)
	}
	if _, err := os.Stat(bagPath + ".part"); !os.IsNotExist(err) {
		t.Errorf("%s.part left behind: %v", bagPath, err)
	}
	if got := fileSHA256(t, bagPath); sum.SHA256 != got || sum.Records != 2 {
		t.Errorf("summary: %d records, sha256 %s; want 2 records and the file's sha256 %s", sum.Records, sum.SHA256, got)
	}

	if err := bagit.ValidateZip(context.Background(), bagPath); err != nil {
		t.Fatalf("the exported bag does not validate: %v", err)
	}
	checkBagWithCoreutils(t, bagPath)

	bag := readBag(t, bagPath)
	for _, r := range recs {
		prefix := "data/records/" + itoa(r.ID) + "/"
		var original []byte
		inBag := false
		for name, b := range bag {
			if strings.HasPrefix(name, prefix+"original.") {
				original, inBag = b, true
			}
		}
		if r.Unit != "21181" {
			if inBag {
				t.Errorf("record %d of unit %s is in the bag of unit 21181", r.ID, r.Unit)
			}
			continue
		}
		if !inBag {
			t.Errorf("record %d: %soriginal.* missing from the bag", r.ID, prefix)
			continue
		}
		s := sha256.Sum256(original)
		if got := hex.EncodeToString(s[:]); got != r.SHA256 || ingested[got] == "" {
			t.Errorf("record %d: original in the bag hashes to %s; the record says %s; ingested file: %q", r.ID, got, r.SHA256, ingested[got])
		}
		if !strings.HasPrefix(string(bag[prefix+"archive.pdf"]), "%PDF-") {
			t.Errorf("record %d: no archival PDF in the bag", r.ID)
		}
		var meta map[string]any
		if err := json.Unmarshal(bag[prefix+"record.json"], &meta); err != nil {
			t.Errorf("record %d: record.json: %v", r.ID, err)
		}
		checkContract(t, "record.json", meta)
		if meta["sha256"] != r.SHA256 || meta["subject"] != r.Subject || meta["text"] == "" {
			t.Errorf("record %d: record.json has sha256 %v subject %v; want %s %q and the OCR text", r.ID, meta["sha256"], meta["subject"], r.SHA256, r.Subject)
		}
		if _, ok := meta["confidence"].(map[string]any)["subject"]; !ok {
			t.Errorf("record %d: record.json lacks the fields' confidences", r.ID)
		}
		var history []evidence.Event
		if err := json.Unmarshal(bag[prefix+"events.json"], &history); err != nil {
			t.Errorf("record %d: events.json: %v", r.ID, err)
		}
		actions := map[string]bool{}
		for _, ev := range history {
			actions[ev.Action] = true
			if ev.RecordID != r.ID {
				t.Errorf("record %d: events.json holds an event of record %d", r.ID, ev.RecordID)
			}
		}
		if !actions["ingest"] || len(history) < 3 {
			t.Errorf("record %d: events.json has %d events (%v), want its whole history from ingest", r.ID, len(history), actions)
		}
		// The history in the bag is the audit chain's, link for link.
		out, stderr, code := sohoa(t, "audit", "log", "--data", data, "--record", itoa(r.ID), "--limit", "0", "--json")
		if code != 0 {
			t.Fatalf("audit log: exit %d: %s", code, stderr)
		}
		var logged []evidence.Event
		if err := json.Unmarshal([]byte(out), &logged); err != nil {
			t.Fatalf("audit log --json: %v", err)
		}
		if len(logged) != len(history) {
			t.Errorf("record %d: %d events in the bag, %d in the audit log", r.ID, len(history), len(logged))
		}
		for i := range min(len(logged), len(history)) {
			if history[i].Hash == "" || history[i].Hash != logged[i].Hash || history[i].PrevHash != logged[i].PrevHash {
				t.Errorf("record %d: event %d in the bag has hash %q, the chain %q", r.ID, history[i].ID, history[i].Hash, logged[i].Hash)
			}
		}
	}

	info, err := bagit.Tags(strings.NewReader(string(bag["bag-info.txt"])))
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range info {
		tags[tg.Label] = tg.Value
	}
	for _, label := range []string{"Source-Organization", "Bagging-Date", "Payload-Oxum", "Bag-Software-Agent", "External-Description", "Sohoa-Audit-Head"} {
		if tags[label] == "" {
			t.Errorf("bag-info.txt lacks %s:\n%s", label, bag["bag-info.txt"])
		}
	}
	if !strings.Contains(tags["External-Description"], "--unit 21181") || tags["Contact-Name"] != "kiểm toán viên" {
		t.Errorf("bag-info.txt does not say what was exported by whom:\n%s", bag["bag-info.txt"])
	}

	evs := exportEvents(t, data)
	if len(evs) != 1 {
		t.Fatalf("%d export events in the audit log, want 1", len(evs))
	}
	if ev := evs[0]; ev["sha256"] != sum.SHA256 || ev["count"] != float64(2) || ev["actor"] != "kiểm toán viên" ||
		ev["query"].(map[string]any)["unit"] != "21181" {
		t.Errorf("export event %v does not record the query, the count and the bag's sha256 %s", ev, sum.SHA256)
	}

	if _, stderr, code := sohoa(t, "audit", "verify", "--data", data); code != 0 {
		t.Errorf("audit verify after the export: exit %d: %s", code, stderr)
	}

	// An archival PDF altered in the store is caught against the
	// catalog's sha256 of it.
	var victim recordJSON
	for _, r := range recs {
		if r.Unit == "21181" {
			victim = r
		}
	}
	exportStores[0].setup(t)(t, data, victim.Archive)
	second := filepath.Join(dir, "second.zip")
	if _, stderr, code := sohoa(t, "export", "--data", data, "--unit", "21181", "--out", second); code != exitFailure ||
		!strings.Contains(stderr, "#"+itoa(victim.ID)) || !strings.Contains(stderr, victim.Archive) {
		t.Errorf("export with an altered archival PDF: exit %d, %s; want a failure naming record %d and %s", code, stderr, victim.ID, victim.Archive)
	}

	// Never over an existing bag.
	if _, stderr, code := sohoa(t, "export", "--data", data, "--unit", "21181", "--out", bagPath); code == 0 || !strings.Contains(stderr, "already exists") {
		t.Errorf("export over an existing file: exit %d, %s", code, stderr)
	}
}

// exportStore is an object store the export tests run on: setup points
// the environment at it; alter rewrites an object's bytes behind the
// store's back, keeping its recorded sha256, as tampering would.
type exportStore struct {
	name  string
	setup func(t *testing.T) (alter func(t *testing.T, data, key string))
}

var exportStores = []exportStore{
	{"local", func(t *testing.T) func(t *testing.T, data, key string) {
		return func(t *testing.T, data, key string) {
			t.Helper()
			f, err := os.OpenFile(filepath.Join(data, "objects", filepath.FromSlash(key)), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b := make([]byte, 1)
			if _, err := f.ReadAt(b, 100); err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0x20
			if _, err := f.WriteAt(b, 100); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"minio", func(t *testing.T) func(t *testing.T, data, key string) {
		cfg := s3test.Start(t).Config(t)
		t.Setenv(s3.EnvEndpoint, cfg.Endpoint)
		t.Setenv(s3.EnvBucket, cfg.Bucket)
		t.Setenv(s3.EnvAccessKey, cfg.AccessKey)
		t.Setenv(s3.EnvSecretKey, cfg.SecretKey)
		t.Setenv(s3.EnvInsecure, "true")
		return func(t *testing.T, data, key string) {
			t.Helper()
			ctx := context.Background()
			raw, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
			if err != nil {
				t.Fatal(err)
			}
			obj, err := raw.GetObject(ctx, cfg.Bucket, key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st, err := obj.Stat()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(obj)
			obj.Close()
			if err != nil {
				t.Fatal(err)
			}
			sum := st.UserMetadata["Sha256"] // the store's record of the old bytes, kept
			if sum == "" {
				t.Fatalf("%s has no sha256 metadata: %v", key, st.UserMetadata)
			}
			b[100] ^= 0x20
			if _, err := raw.PutObject(ctx, cfg.Bucket, key, bytes.NewReader(b), int64(len(b)),
				minio.PutObjectOptions{ContentType: st.ContentType, UserMetadata: map[string]string{"sha256": sum}}); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

// TestExportFailsWhole exports from each store, then alters one stored
// original and checks the export fails whole: no file under either name,
// no export event, and a message naming the record and what to do. It also
// checks that the originals in the good bag are the bytes ingested.
func TestExportFailsWhole(t *testing.T) {
	for _, store := range exportStores {
		t.Run(store.name, func(t *testing.T) {
			alter := store.setup(t)
			files := exportScans(t, 2, "6160")
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			args := append([]string{"ingest", "--data", data, "--unit", "21181", "--no-wait"}, files...)
			if out, stderr, code := sohoa(t, args...); code != 0 {
				t.Fatalf("ingest --no-wait: exit %d\n%s\n%s", code, out, stderr)
			}

			good := filepath.Join(dir, "queued.zip")
			if out, stderr, code := sohoa(t, "export", "--data", data, "--unit", "21181", "--out", good); code != 0 {
				t.Fatalf("export of queued records: exit %d\n%s\n%s", code, out, stderr)
			}
			if err := bagit.ValidateZip(context.Background(), good); err != nil {
				t.Fatalf("bag of queued records: %v", err)
			}
			recs := listRecords(t, data)
			bag := readBag(t, good)
			want := map[string]bool{}
			for _, f := range files {
				want[fileSHA256(t, f)] = true
			}
			for _, r := range recs {
				found := false
				for name, b := range bag {
					if strings.HasPrefix(name, "data/records/"+itoa(r.ID)+"/original.") {
						s := sha256.Sum256(b)
						found = hex.EncodeToString(s[:]) == r.SHA256 && want[r.SHA256]
					}
				}
				if !found {
					t.Errorf("record %d: no original hashing to %s (an ingested file) in the bag", r.ID, r.SHA256)
				}
			}

			victim := recs[len(recs)-1]
			alter(t, data, victim.Original)
			tests := []struct {
				name string
				args []string
				want []string
			}{
				{"altered original", []string{"--unit", "21181"}, []string{"#" + itoa(victim.ID), "sohoa verify"}},
				{"nothing matches", []string{"--unit", "01001"}, []string{"no record matches"}},
			}
			for _, tt := range tests {
				out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".zip")
				_, stderr, code := sohoa(t, append([]string{"export", "--data", data, "--out", out}, tt.args...)...)
				if code != exitFailure {
					t.Errorf("%s: exit %d, want %d: %s", tt.name, code, exitFailure, stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: stderr %q does not mention %q", tt.name, stderr, w)
					}
				}
				for _, name := range []string{out, out + ".part"} {
					if _, err := os.Stat(name); !os.IsNotExist(err) {
						t.Errorf("%s: %s exists after a failed export", tt.name, name)
					}
				}
			}
			if n := len(exportEvents(t, data)); n != 1 {
				t.Errorf("%d export events, want 1 (only the export that finished)", n)
			}
		})
	}
}

func TestExportUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"export", "--unit", "21181"}, "--out"},
		{"not zip", []string{"export", "--unit", "21181", "--out", "bag.tar"}, ".zip"},
		{"no filter", []string{"export", "--out", "bag.zip"}, "--all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := sohoa(t, append(tt.args, "--data", t.TempDir())...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestBagRootAndRanges(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"out/Chứng cứ đất 21181.zip": "chung-cu-dat-21181", "bag.zip": "bag", "../.zip": "bag", "a.b.ZIP": "a.b", "a.b": "a.b", "x/y z?.zip": "y-z-",
	} {
		if got := evidence.Root(in); got != want || bagit.CheckPath(got) != nil {
			t.Errorf("evidence.Root(%q) = %q, want %q", in, got, want)
		}
	}
	if got := evidence.IDRanges([]int64{1, 2, 3, 5, 7, 8}); got != "1-3,5,7-8" {
		t.Errorf("IDRanges = %q", got)
	}
}

// TestBagMetadataIsTheRecordContract: a bag's record.json is the JSON
// `sohoa show --json` writes of the same record, every field set.
func TestBagMetadataKeepsTheRecordContract(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 16, 8, 30, 0, 0, time.UTC)
	r := catalog.Record{ID: 7, BatchID: 3, Unit: "21181", Source: `lo-3\86.png`, SHA256: strings.Repeat("ab", 32), Size: 1234,
		ContentType: "image/png", Pages: 2, Status: catalog.StatusDigitized, Original: "originals/ab", Archive: "archives/ab",
		Error: "e", DuplicateOf: 2, FirstPage: 1, LastPage: 2, SplitFrom: 5, Split: "s", CreatedAt: at, OCRConfidence: 0.91234,
		DocType: catalog.Field{Value: "quyet-dinh", Confidence: 0.97}, Field: catalog.Field{Value: "dat-dai", Confidence: 0.64},
		Number: catalog.Field{Value: "86/QĐ-UBND", Confidence: 0.88}, Issued: catalog.Field{Value: "2025-01-16", Confidence: 0.93},
		Issuer: catalog.Field{Value: "UBND", Confidence: 0.81}, Subject: catalog.Field{Value: "giao đất", Confidence: 0.86}}
	// toJSON is evidence.NewMetadata, so this holds for show --json too.
	bag, _ := json.Marshal(evidence.NewMetadata(r, "chữ\n\ftrang 2"))
	var m map[string]any
	if err := json.Unmarshal(bag, &m); err != nil {
		t.Fatal(err)
	}
	checkContract(t, "record.json", m)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cancelingObjects cancels the export's context when it opens its
// second object, as ^C in the middle of an export would.
type cancelingObjects struct {
	storage.Objects
	cancel context.CancelFunc
	gets   int
}

func (c *cancelingObjects) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	if c.gets++; c.gets == 2 {
		c.cancel()
	}
	return c.Objects.Get(ctx, key)
}

// TestExportInterrupted stops an export half-way and checks nothing is
// left under the bag's name or the .part name, and no export is logged.
func TestExportInterrupted(t *testing.T) {
	files := exportScans(t, 2, "7170")
	data := filepath.Join(t.TempDir(), "data")
	if _, stderr, code := sohoa(t, append([]string{"ingest", "--data", data, "--unit", "21181", "--no-wait"}, files...)...); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	e := &env{stdout: io.Discard, stderr: io.Discard}
	st, err := e.openData(context.Background(), data, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var progress bytes.Buffer
	x := evidence.New(st.catalog, &cancelingObjects{Objects: st.objects, cancel: cancel})
	out := filepath.Join(t.TempDir(), "bag.zip")
	_, err = exportToFile(ctx, x, catalog.Query{Unit: "21181"}, exportOptions{out: out, org: "test", actor: "test", now: time.Now(),
		progress: &exportProgress{w: &progress, tty: true}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("export = %v, want context.Canceled", err)
	}
	for _, name := range []string{out, out + ".part"} {
		if _, err := os.Stat(name); !os.IsNotExist(err) {
			t.Errorf("%s exists after an interrupted export", name)
		}
	}
	if n := len(exportEvents(t, data)); n != 0 {
		t.Errorf("%d export events after an interrupted export, want 0", n)
	}
	if !strings.Contains(progress.String(), "exporting 1/2") || !strings.HasSuffix(progress.String(), "\r\033[K") {
		t.Errorf("progress line %q: want 1/2 drawn, then cleared", progress.String())
	}
}
