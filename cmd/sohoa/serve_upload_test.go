package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/fixtures"
	"sohoa/ocr/tesseract"
	"sohoa/storage/local"
)

// uploadServer is a running `sohoa serve` with users of every role, for
// the upload tests: lan is a clerk of commune 21181 (in force), cntt IT,
// kiemtoan an auditor.
type uploadServer struct {
	t      *testing.T
	base   string
	data   string
	tokens map[string]string
}

// uploadUsers are the users startUploadServer adds, with their role and
// units.
var uploadUsers = [][]string{
	{"lan", "--role", "clerk", "--unit", "21181"},
	{"cntt", "--role", "it"},
	{"kiemtoan", "--role", "auditor"},
}

// startUploadServer imports the units, adds the users and runs serve
// with args until the test ends.
func startUploadServer(t *testing.T, data string, args ...string) *uploadServer {
	t.Helper()
	old := auth.PasswordCost
	auth.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { auth.PasswordCost = old })
	if _, errs, code := sohoa(t, "units", "import", "--data", data); code != 0 {
		t.Fatalf("units import: %s", errs)
	}
	s := &uploadServer{t: t, data: data, tokens: map[string]string{}}
	for _, u := range uploadUsers {
		if _, errs, code := withStdin(t, uploadPassword+"\n", append([]string{"users", "add", u[0], "--password-stdin", "--data", data}, u[1:]...)...); code != 0 {
			t.Fatalf("users add %s: %s", u[0], errs)
		}
		out, errs, code := sohoa(t, "users", "token", u[0], "--data", data)
		if code != 0 {
			t.Fatalf("users token %s: %s", u[0], errs)
		}
		s.tokens[u[0]] = strings.TrimSpace(out)
	}
	s.base = "http://" + serveForTest(t, data, args...)
	return s
}

// uploadPassword is the password of the test users.
const uploadPassword = "mat-khau-dai-du"

// uploadJSON is the API's answer about an upload.
type uploadJSON struct {
	ID             string `json:"id"`
	Offset         int64  `json:"offset"`
	Size           int64  `json:"size"`
	Complete       bool   `json:"complete"`
	RecordedBefore bool   `json:"recorded_before"`
	Batch          int64  `json:"batch"`
	Events         string `json:"events"`
	Error          string `json:"error"`
	Documents      []struct {
		ID        int64  `json:"id"`
		Status    string `json:"status"`
		Final     bool   `json:"final"`
		FirstPage int    `json:"first_page"`
		LastPage  int    `json:"last_page"`
	} `json:"documents"`
}

// call sends one API request as user and decodes the answer.
func (s *uploadServer) call(user, method, path string, body io.Reader, header map[string]string) (int, uploadJSON) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var got uploadJSON
	if len(b) > 0 && json.Unmarshal(b, &got) != nil {
		got.Error = string(b)
	}
	return resp.StatusCode, got
}

// start begins (or finds) the upload of a file.
func (s *uploadServer) start(user, name string, size int64, unit, split string, modified int64) (int, uploadJSON) {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{"name": name, "size": size, "unit": unit, "split": split, "last_modified": modified})
	return s.call(user, http.MethodPost, "/api/uploads", bytes.NewReader(b), map[string]string{"Content-Type": "application/json"})
}

// patch sends one chunk at offset.
func (s *uploadServer) patch(user, id string, offset int64, chunk []byte) (int, uploadJSON) {
	s.t.Helper()
	return s.call(user, http.MethodPatch, "/api/uploads/"+id, bytes.NewReader(chunk),
		map[string]string{"Upload-Offset": strconv.FormatInt(offset, 10), "Content-Type": "application/offset+octet-stream"})
}

// send uploads file from the offset the server holds, in chunks of n.
func (s *uploadServer) send(user string, st uploadJSON, file []byte, n int) uploadJSON {
	s.t.Helper()
	for !st.Complete {
		end := min(st.Offset+int64(n), int64(len(file)))
		code, next := s.patch(user, st.ID, st.Offset, file[st.Offset:end])
		if code != http.StatusOK {
			s.t.Fatalf("chunk at %d: %d %s", st.Offset, code, next.Error)
		}
		st = next
	}
	return st
}

// stackFile generates a stack of documents with separator sheets.
func stackFile(t *testing.T, o fixtures.StackOptions) ([]byte, fixtures.StackTruth) {
	t.Helper()
	var buf bytes.Buffer
	truth, err := fixtures.WriteStack(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), truth
}

// roScan reads one value of the catalog in data, read-only, while serve
// may be writing it.
func roScan(t *testing.T, data, query string, dst any) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "catalog.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(query).Scan(dst); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// storedBytes reads an object of the data folder's local store.
func storedBytes(t *testing.T, data, key string) []byte {
	t.Helper()
	objects, err := local.Open(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := objects.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("read stored object %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeUploadResumes uploads a file in chunks to `sohoa serve
// --workers 0` with the connection broken in the middle of a chunk: the
// server keeps what arrived, says where to go on (also to a chunk sent at
// the wrong offset), and once whole stores exactly the file's bytes as
// one queued record. The same file again — the same upload, or a new one
// from scratch — answers with that record and makes none. A clerk may
// not upload for another unit (403, logged) nor for a unit no longer in
// force; an auditor may not upload at all; a file over --upload-max is
// refused before a byte is sent.
func TestServeUploadResumes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := startUploadServer(t, data, "--workers", "0", "--upload-max", "5MB")
	file, _ := stackFile(t, fixtures.StackOptions{Docs: 2, Seed: 7300, DPI: 200, Format: "pdf", MaxPages: 1})
	const chunk = 64 << 10
	if len(file) < 3*chunk {
		t.Fatalf("the generated stack has %d bytes: too small to send in several chunks", len(file))
	}
	size := int64(len(file))
	modified := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC).UnixMilli()

	code, st := s.start("lan", "scans/chong-1.pdf", size, "21181", "", modified)
	if code != http.StatusCreated || st.Offset != 0 || st.Complete || st.ID == "" {
		t.Fatalf("start: %d %+v, want 201 at offset 0", code, st)
	}
	if code, st = s.patch("lan", st.ID, 0, file[:chunk]); code != http.StatusOK || st.Offset != chunk {
		t.Fatalf("first chunk: %d %+v, want offset %d", code, st, chunk)
	}

	// The cable is pulled halfway through the second chunk.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(file[chunk : chunk+chunk/2])
		time.Sleep(100 * time.Millisecond) // let the bytes reach the server before the break
		pw.CloseWithError(errors.New("cable pulled"))
	}()
	req, _ := http.NewRequest(http.MethodPatch, s.base+"/api/uploads/"+st.ID, pr)
	req.Header.Set("Authorization", "Bearer "+s.tokens["lan"])
	req.Header.Set("Upload-Offset", strconv.FormatInt(chunk, 10))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a chunk whose body broke off was answered %d", resp.StatusCode)
	}

	// The browser asks again where the server stands: the same upload,
	// with what arrived before the break kept (the server may still be
	// finishing the broken chunk: then it says so with 409).
	var again uploadJSON
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, again = s.start("lan", "scans/chong-1.pdf", size, "21181", "", modified)
		if code == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != http.StatusOK || again.ID != st.ID || again.Offset < chunk || again.Offset > chunk+chunk/2 {
		t.Fatalf("start again after the break: %d %+v, want 200, upload %s, offset in %d..%d", code, again, st.ID, chunk, chunk+chunk/2)
	}
	t.Logf("the server kept %d bytes of the broken chunk", again.Offset-chunk)
	if code, wrong := s.patch("lan", st.ID, 0, file[:chunk]); code != http.StatusConflict || wrong.Offset != again.Offset {
		t.Errorf("chunk at the wrong offset: %d offset %d, want 409 with offset %d", code, wrong.Offset, again.Offset)
	}
	tooLong := append(append([]byte(nil), file[again.Offset:]...), "and more"...)
	if code, got := s.patch("lan", st.ID, again.Offset, tooLong); code != http.StatusRequestEntityTooLarge || got.Offset != again.Offset {
		t.Errorf("a chunk running past the announced size: %d offset %d, want 413 with offset %d kept", code, got.Offset, again.Offset)
	}
	done := s.send("lan", again, file, chunk)
	if len(done.Documents) != 1 || done.RecordedBefore || done.Documents[0].Status != "queued" {
		t.Fatalf("complete: %+v, want one queued document", done)
	}
	rec := done.Documents[0].ID
	// serve --workers 0 processes nothing: the stream ends once the
	// document is stored and queued.
	var names []string
	for _, e := range s.followEvents("lan", done.Events, 30*time.Second) {
		names = append(names, e.Name)
		if e.Name == "end" && e.Data["processing"] != false {
			t.Errorf("end event %v, want processing false", e.Data)
		}
	}
	if got := strings.Join(names, " "); got != "stored record end" {
		t.Errorf("events of the queued upload: %s, want stored record end", got)
	}
	if code, _ := s.call("cntt", http.MethodGet, done.Events, nil, nil); code != http.StatusNotFound {
		t.Errorf("cntt following lan's upload: %d, want 404", code)
	}
	if n := roCount(data, "SELECT count(*) FROM records"); n != 1 {
		t.Errorf("%d records after the upload, want 1", n)
	}
	var original string
	roScan(t, data, fmt.Sprintf("SELECT original FROM records WHERE id = %d", rec), &original)
	if got := storedBytes(t, data, original); !bytes.Equal(got, file) {
		t.Errorf("stored original %s: %d bytes, sha256 %s; want the file's %d bytes, %s", original, len(got), sum256(got), len(file), sum256(file))
	}
	if parts, _ := filepath.Glob(filepath.Join(uploadsFolder(data), "*.part")); len(parts) != 0 {
		t.Errorf("partial files left after the upload was stored: %v", parts)
	}
	if n := roCount(data, fmt.Sprintf("SELECT count(*) FROM events WHERE action = 'upload' AND actor = 'lan' AND record_id = %d", rec)); n != 1 {
		t.Errorf("%d upload events by lan for record %d, want 1", n, rec)
	}

	// The same file again: the same upload, already complete.
	code, same := s.start("lan", "scans/chong-1.pdf", size, "21181", "", modified)
	if code != http.StatusOK || !same.Complete || len(same.Documents) != 1 || same.Documents[0].ID != rec {
		t.Errorf("the same upload again: %d %+v, want complete with record %d", code, same, rec)
	}
	// Saved again on the clerk's PC (a new modification time): a new
	// upload, sent whole, that finds the record made the first time.
	code, fresh := s.start("lan", "scans/chong-1.pdf", size, "21181", "", modified+60000)
	if code != http.StatusCreated || fresh.ID == st.ID || fresh.Offset != 0 {
		t.Fatalf("the file saved again: %d %+v, want a new upload at 0", code, fresh)
	}
	fresh = s.send("lan", fresh, file, len(file))
	if !fresh.RecordedBefore || len(fresh.Documents) != 1 || fresh.Documents[0].ID != rec {
		t.Errorf("the file sent again from scratch: %+v, want recorded before as record %d", fresh, rec)
	}
	if n := roCount(data, "SELECT count(*) FROM records"); n != 1 {
		t.Errorf("%d records after uploading the same file twice more, want 1", n)
	}

	// Who may upload what.
	for _, c := range []struct {
		what, user, unit string
		size             int64
		want             int
	}{
		{"a clerk for another province's unit", "lan", "01", size, http.StatusForbidden},
		{"a clerk for its old commune, merged since", "lan", "21175", size, http.StatusUnprocessableEntity},
		{"an auditor", "kiemtoan", "21181", size, http.StatusForbidden},
		{"IT for any unit in force", "cntt", "01", size, http.StatusCreated},
		{"a file over --upload-max", "lan", "21181", 6e6, http.StatusRequestEntityTooLarge},
		{"no unit", "lan", "", size, http.StatusBadRequest},
		{"no one", "", "21181", size, http.StatusUnauthorized},
	} {
		t.Run(c.what, func(t *testing.T) {
			code, got := s.start(c.user, "other.pdf", c.size, c.unit, "", modified)
			if code != c.want {
				t.Errorf("%d %s, want %d", code, got.Error, c.want)
			}
			if code >= 400 && code != http.StatusUnauthorized && got.Error == "" {
				t.Errorf("refused with no message saying why")
			}
		})
	}
	if n := roCount(data, `SELECT count(*) FROM events WHERE action = 'denied' AND actor = 'lan' AND details LIKE '%"unit":"01"%'`); n != 1 {
		t.Errorf("%d refusals of lan for unit 01 logged, want 1", n)
	}
	if n := roCount(data, `SELECT count(*) FROM events WHERE action = 'denied' AND actor = 'kiemtoan'`); n != 1 {
		t.Errorf("%d refused uploads of the auditor logged, want 1", n)
	}
	// A browser left following an upload that never finishes does not
	// keep serve from stopping (the cleanup checks serve ends cleanly
	// within its grace period).
	code, open := s.start("cntt", "other.pdf", size, "01", "", modified)
	if code != http.StatusOK || open.Complete {
		t.Fatalf("the unfinished upload: %d %+v", code, open)
	}
	req, _ = http.NewRequest(http.MethodGet, s.base+open.Events, nil)
	req.Header.Set("Authorization", "Bearer "+s.tokens["cntt"])
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first, err := bufio.NewReader(stream.Body).ReadString('w') // ": still here\n\nevent: waiting"
	if err != nil || !strings.Contains(first, "still here") {
		t.Errorf("the stream of an unfinished upload began %q (%v)", first, err)
	}
	go func() { // left open: serve ends it when it stops
		io.Copy(io.Discard, stream.Body)
		stream.Body.Close()
	}()

	// Another user cannot go on with lan's upload, even knowing its id.
	if code, _ := s.patch("cntt", st.ID, 0, file[:10]); code != http.StatusNotFound {
		t.Errorf("cntt sending a chunk of lan's upload: %d, want 404", code)
	}
	if n := roCount(data, "SELECT count(*) FROM records"); n != 1 {
		t.Errorf("%d records at the end, want 1", n)
	}
}

// TestServeUploadNoUsersIsReadOnly: serve with no users yet shows its
// pages read-only, and takes no upload.
func TestServeUploadNoUsersIsReadOnly(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, errs, code := sohoa(t, "units", "import", "--data", data); code != 0 {
		t.Fatalf("units import: %s", errs)
	}
	s := &uploadServer{t: t, data: data, base: "http://" + serveForTest(t, data, "--workers", "0")}
	if code, got := s.start("", "a.pdf", 1000, "21181", "", 1); code != http.StatusForbidden {
		t.Errorf("upload with no users: %d %s, want 403", code, got.Error)
	}
	resp, err := http.Get(s.base + "/upload")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the upload page with no users: %d, want 403", resp.StatusCode)
	}
}

// sseEvent is one server-sent event.
type sseEvent struct {
	Name string
	Data map[string]any
}

// followEvents reads the event stream at path as user until its end
// event, or fails after timeout.
func (s *uploadServer) followEvents(user, path string, timeout time.Duration) []sseEvent {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("open %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		s.t.Fatalf("open %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []sseEvent
	var ev sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data); err != nil {
				s.t.Fatalf("event %s: %v: %s", ev.Name, err, line)
			}
		case line == "" && ev.Name != "":
			events = append(events, ev)
			if ev.Name == "end" {
				return events
			}
			ev = sseEvent{}
		}
	}
	s.t.Fatalf("the event stream ended without an end event (%v); got %d events: %v", sc.Err(), len(events), events)
	return nil
}

// TestServeUploadSplitsStack uploads a stack with blank separator sheets
// through the API of `sohoa serve`, which runs the real pipeline with
// Tesseract: the event stream says it was stored, split into the stack's
// true documents, how their pages go, and ends with every document
// final; the catalog holds exactly those documents, and the same file
// uploaded again answers with them.
func TestServeUploadSplitsStack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OCR: not in -short")
	}
	if _, err := tesseract.New(tesseract.Options{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	s := startUploadServer(t, data, "--workers", "2")
	file, truth := stackFile(t, fixtures.StackOptions{Docs: 3, Seed: 7400, DPI: 200, Format: "pdf", MaxPages: 1, Degrade: true})
	code, st := s.start("lan", "chong.pdf", int64(len(file)), "21181", "blank", 1)
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, st.Error)
	}
	st = s.send("lan", st, file, len(file)/3+1)
	if len(st.Documents) != 1 {
		t.Fatalf("stored: %+v, want the stack's one record until it is split", st)
	}
	events := s.followEvents("lan", st.Events, 4*time.Minute)
	var names []string
	finals := map[int64]string{}
	pages := 0
	var split map[string]any
	for _, e := range events {
		names = append(names, e.Name)
		switch e.Name {
		case "split":
			split = e.Data
		case "pages":
			pages++
		case "record":
			if e.Data["final"] != true && e.Data["pages_done"].(float64) > 0 {
				pages++ // a stream that came in late counts the pages read so far
			}
			if e.Data["final"] == true {
				finals[int64(e.Data["id"].(float64))] = e.Data["status"].(string)
			}
		}
	}
	t.Logf("events: %s", strings.Join(names, " "))
	if names[0] != "stored" {
		t.Errorf("first event %s, want stored", names[0])
	}
	var want [][2]int
	for _, d := range truth.Documents {
		want = append(want, [2]int{d.First, d.Last})
	}
	if split == nil || int(split["documents"].(float64)) != len(truth.Documents) {
		t.Errorf("split event %v, want %d documents", split, len(truth.Documents))
	} else {
		var got [][2]int
		for _, r := range split["ranges"].([]any) {
			rg := r.([]any)
			got = append(got, [2]int{int(rg[0].(float64)), int(rg[1].(float64))})
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("split into pages %v, want %v", got, want)
		}
	}
	if pages == 0 {
		t.Error("no event said how many pages were read: the stream did not follow the OCR")
	}
	if len(finals) != len(truth.Documents) {
		t.Errorf("%d documents reached a final status in the stream (%v), want %d", len(finals), finals, len(truth.Documents))
	}
	for id, status := range finals {
		if status != "digitized" && status != "needs_review" {
			t.Errorf("record %d ended %s", id, status)
		}
	}
	if n := roCount(data, "SELECT count(*) FROM records"); n != len(truth.Documents) {
		t.Errorf("%d records, want %d", n, len(truth.Documents))
	}

	// Uploaded again from scratch: the same documents, none new.
	code, again := s.start("lan", "chong.pdf", int64(len(file)), "21181", "blank", 2)
	if code != http.StatusCreated {
		t.Fatalf("start again: %d %s", code, again.Error)
	}
	again = s.send("lan", again, file, len(file))
	var ids []int64
	for _, d := range again.Documents {
		ids = append(ids, d.ID)
		if _, ok := finals[d.ID]; !ok || !d.Final {
			t.Errorf("uploaded again: document %d (final %v) is not one of the first upload's %v", d.ID, d.Final, finals)
		}
	}
	if !again.RecordedBefore || len(ids) != len(truth.Documents) {
		t.Errorf("uploaded again: recorded before %v, documents %v; want the %d documents of the first upload", again.RecordedBefore, ids, len(truth.Documents))
	}
	if n := roCount(data, "SELECT count(*) FROM records"); n != len(truth.Documents) {
		t.Errorf("%d records after uploading again, want %d", n, len(truth.Documents))
	}
}
