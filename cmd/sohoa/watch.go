package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sohoa/pipeline"
	"sohoa/storage/catalog"
)

// A watched folder and what happens to a file in it.
//
// A file stays in the folder until its record is final, then moves to
// done/ (digitized, needs review, or a duplicate of such) or to failed/
// with a .txt saying why. Where the file is, is then the whole state: in
// the folder means not finished, in done/ or failed/ means finished and
// never looked at again. A watcher killed at any moment restarts with
// nothing to repair: each file in the folder is hashed again and
// pipeline.Take finds the record it made of that name and those bytes (or
// makes it, if the kill came first), the pipeline resumes the record's
// job, and the file moves once the record is final. Moving a file
// into done/ as soon as it is recorded would leave, after a kill, failed
// records whose files sit in done/ and must be found again among
// thousands; this way the one step after recording is a rename.
const (
	doneFolder   = "done"
	failedFolder = "failed"
	lockName     = ".sohoa-watch.lock"
	// handGrace is how long Ctrl-C lets the file in hand finish storing.
	handGrace = 30 * time.Second
)

func runWatch(ctx context.Context, e *env, args []string) (err error) {
	fs := newFlags(e, "watch", "THƯ_MỤC --unit MÃ [tùy chọn]", `
Theo dõi thư mục mà máy quét lưu vào (thường là thư mục chia sẻ trên mạng).
Tệp mới chỉ được nhận khi đã ghi xong (kích thước và giờ sửa không đổi trong
--settle, và mở được); tệp được lưu nguyên vẹn vào kho, ghi vào danh mục và
xử lý như "sohoa ingest". Xử lý xong, tệp chuyển vào THƯ_MỤC/done/, hoặc vào
THƯ_MỤC/failed/ kèm tệp .txt ghi lý do. Không tệp nào bị xóa; trùng tên thì
thêm " (2)". Bỏ qua tệp ẩn (.*), *.part, *.tmp, ~$*, Thumbs.db, desktop.ini và
thư mục con. Ctrl-C dừng sau tệp đang làm; chạy lại để tiếp tục. Máy bị tắt
ngang cũng không mất tệp nào, không tệp nào bị nhập hai lần.

Watch a folder scanners save to (often a network share). A file is taken
once it has stopped growing (size and modification time unchanged for
--settle, and it opens); it is stored untouched, recorded and processed as
by "sohoa ingest". When its record is final it moves to DIR/done/, or to
DIR/failed/ with a .txt saying why. Nothing is deleted; a name already
taken gets " (2)". Hidden files, *.part, *.tmp, ~$*, Thumbs.db, desktop.ini
and subfolders are left alone. Ctrl-C stops after the file in hand; run it
again to go on. Even a crash loses no file and records none twice.

Ví dụ / examples:
  sohoa watch /mnt/may-quet --unit 21199 --clerk "Nguyễn Thị Lan"
  sohoa watch /mnt/may-quet --unit 21199 --once     # một lượt, cho cron / one pass, for cron`)
	unit := fs.String("unit", "", "mã đơn vị hành chính của thư mục (bắt buộc) / unit code the folder belongs to (required)")
	clerk := fs.String("clerk", os.Getenv("USER"), "người nhập / who is ingesting")
	workers := fs.Int("workers", runtime.NumCPU(), "số luồng OCR / OCR workers")
	interval := fs.Duration("interval", 2*time.Second, "bao lâu xem thư mục một lần / how often to look at the folder")
	settle := fs.Duration("settle", 5*time.Second, "tệp phải đứng yên bao lâu mới nhận / how long a file must stay unchanged")
	asJSON := fs.Bool("json", false, "in mỗi tệp xong thành một dòng JSON / one JSON object per finished file")
	once := fs.Bool("once", false, "xử lý những gì đang có rồi thoát / process what is there, then exit")
	data := fs.String("data", "", "thư mục dữ liệu / data folder (default $SOHOA_DATA or ./sohoa-data)")
	verbose := fs.Bool("v", false, "ghi nhật ký chi tiết / verbose log")
	defer func() { err = explainDiskFull(err, dataDirOf(*data)) }()
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("hãy chỉ ra đúng một thư mục để theo dõi (name exactly one folder to watch)")
	case *unit == "":
		return usagef("thiếu --unit: thư mục theo dõi thuộc đơn vị nào? (--unit is required: the unit the folder's scans belong to)")
	case !unitCode.MatchString(*unit):
		return usagef("--unit %q không phải mã đơn vị (2, 3 hoặc 5 chữ số) (not a unit code: 2, 3 or 5 digits)", *unit)
	case *workers < 1:
		return usagef("--workers must be at least 1")
	case *interval <= 0:
		return usagef("--interval phải lớn hơn 0 (must be more than 0), e.g. 2s")
	case *settle < 0:
		return usagef("--settle không được âm (must not be negative), e.g. 5s")
	}
	dir, err := filepath.Abs(pos[0])
	if err != nil {
		return fmt.Errorf("watch %s: %w", pos[0], err)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("không mở được thư mục theo dõi %s — kiểm tra đường dẫn và ổ mạng đã kết nối (cannot open the folder to watch: check the path and that the share is mounted): %v", dir, errOrNotDir(err))
	}
	st, err := e.openData(ctx, *data, *verbose)
	if err != nil {
		return err
	}
	defer st.Close()
	defer checkpointAtEnd(ctx, e, st)
	if err := checkUnitInForce(ctx, st.catalog, *unit, time.Now()); err != nil {
		return err
	}
	unlock, err := lockFolder(e, dir)
	if err != nil {
		return err
	}
	defer unlock()
	for _, sub := range []string{doneFolder, failedFolder} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("tạo thư mục %s — kiểm tra quyền ghi vào thư mục theo dõi (make %s: check the watched folder is writable): %w", sub, sub, err)
		}
	}

	out := newOutput(e, *asJSON)
	out.quiet = true // the watcher prints its own line per file
	p, err := st.pipeline(*workers, *clerk, out)
	if err != nil {
		return err
	}
	w := &watcher{e: e, out: out, json: *asJSON, dir: dir, unit: *unit, clerk: *clerk,
		settle: *settle, interval: *interval, p: p, cat: st.catalog, files: map[string]*watchedFile{}}
	defer out.bar.finish()
	if *once {
		return w.runOnce(ctx)
	}
	// A watcher runs for weeks: anchor the audit log as it grows, as
	// serve does, not only when it stops.
	stopCheckpoints := startCheckpoints(ctx, st, time.Hour, st.logger)
	defer stopCheckpoints()
	return w.follow(ctx)
}

func errOrNotDir(err error) error {
	if err != nil {
		return err
	}
	return syscall.ENOTDIR
}

// watcher follows one folder. Its methods run on one goroutine; the
// pipeline works alongside.
type watcher struct {
	e     *env
	out   *output
	json  bool
	dir   string
	unit  string
	clerk string

	settle, interval time.Duration
	p                *pipeline.Pipeline
	cat              catalog.Catalog

	files          map[string]*watchedFile // by name, files in the folder
	done, failed   int                     // files moved this run
	troubles       int                     // problems a person must look at
	lastFolderProb string
}

// watchedFile is a file of the folder as last seen.
type watchedFile struct {
	size  int64
	mtime time.Time
	since time.Time // when size or mtime last changed (or the file appeared)

	announced bool           // the "taken" line printed
	taken     bool           // recorded: rec is its record
	before    bool           // recorded by an earlier run
	rec       catalog.Record // as Take returned it
	problem   string         // the last problem reported, so each is said once
}

// follow watches until ctx ends (Ctrl-C), with the pipeline working in the
// same process.
func (w *watcher) follow(ctx context.Context) error {
	fmt.Fprintf(w.e.stderr, "Đang theo dõi %s cho đơn vị %s — Ctrl-C để dừng.\nWatching %s for unit %s: Ctrl-C to stop.\n", w.dir, w.unit, w.dir, w.unit)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	ran := make(chan error, 1)
	go func() { ran <- w.p.Run(runCtx, pipeline.RunOptions{Follow: true}) }()
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for ctx.Err() == nil {
		w.scan(ctx)
		select {
		case <-ctx.Done():
		case err := <-ran:
			if ctx.Err() == nil {
				return fmt.Errorf("the pipeline stopped: %w", err)
			}
			ran <- err
		case <-tick.C:
		}
	}
	stopRun()
	if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
		w.out.bar.println(fmt.Sprintf("cảnh báo / warning: %v", err))
	}
	w.summary(true)
	return nil
}

// runOnce takes what has settled within one --settle, processes it, moves
// what is final and returns: for tests and cron. Files still being
// written are left for the next run.
func (w *watcher) runOnce(ctx context.Context) error {
	start := time.Now()
	for {
		w.scan(ctx)
		if ctx.Err() != nil {
			w.summary(true)
			return nil
		}
		if time.Since(start) >= w.settle {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(w.interval, w.settle-time.Since(start)+time.Millisecond)):
		}
	}
	if err := w.p.Run(ctx, pipeline.RunOptions{}); err != nil {
		if errors.Is(err, context.Canceled) {
			w.summary(true)
			return nil
		}
		return err
	}
	w.finishAll(ctx)
	for _, f := range w.files {
		if f.taken {
			w.troubles++ // recorded, yet not final once the queue is drained
		}
	}
	w.summary(false)
	if w.failed > 0 || w.troubles > 0 {
		return errReported
	}
	return nil
}

// scan looks at the folder once: notes what changed, takes the files
// that have settled, and moves those whose records are final.
func (w *watcher) scan(ctx context.Context) {
	now := time.Now()
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		// A network share that dropped: say so once, keep trying.
		msg := fmt.Sprintf("⚠ không đọc được thư mục theo dõi %s — sẽ thử lại; kiểm tra ổ mạng (cannot read the watched folder: retrying; check the share): %v", w.dir, err)
		if msg != w.lastFolderProb {
			w.out.bar.println(msg)
			w.lastFolderProb = msg
		}
		return
	}
	w.lastFolderProb = ""
	present := make(map[string]bool, len(entries))
	for _, de := range entries {
		name := de.Name()
		if ignoredName(name) || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // gone since the listing
		}
		present[name] = true
		f := w.files[name]
		if f == nil {
			w.files[name] = &watchedFile{size: info.Size(), mtime: info.ModTime(), since: now}
			continue
		}
		if info.Size() == f.size && info.ModTime().Equal(f.mtime) {
			continue
		}
		if f.taken {
			// Overwritten after it was recorded: those bytes are safe in
			// the store; the new ones are a new scan.
			w.out.bar.println(fmt.Sprintf("⚠ %s: tệp bị ghi đè sau khi đã nhập (hồ sơ #%d vẫn giữ bản cũ) — sẽ nhận như bản quét mới (overwritten after it was recorded as #%d: taking it as a new scan)",
				name, f.rec.ID, f.rec.ID))
		}
		*f = watchedFile{size: info.Size(), mtime: info.ModTime(), since: now}
	}
	names := make([]string, 0, len(w.files))
	for name, f := range w.files {
		if !present[name] {
			if f.taken {
				w.out.bar.println(fmt.Sprintf("⚠ %s: tệp đã bị lấy khỏi thư mục trước khi xử lý xong; hồ sơ #%d vẫn được xử lý (removed from the folder before it was finished; record #%d is still processed)",
					name, f.rec.ID, f.rec.ID))
			}
			delete(w.files, name)
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if ctx.Err() != nil {
			return // stop after the file in hand
		}
		if f := w.files[name]; !f.taken && now.Sub(f.since) >= w.settle {
			w.take(ctx, name, f)
		}
	}
	w.finishAll(ctx)
}

// take stores and records one settled file.
func (w *watcher) take(ctx context.Context, name string, f *watchedFile) {
	if !f.announced && !w.json {
		w.out.bar.printlnTo(w.e.stdout, fmt.Sprintf("↓ %s: đã ghi xong, đang lưu (stopped growing at %s: storing)", name, humanBytes(f.size)))
	}
	f.announced = true
	hctx, done := inHand(ctx)
	defer done()
	t, err := w.p.Take(hctx, pipeline.TakeRequest{Path: filepath.Join(w.dir, name), Name: name, Unit: w.unit, Clerk: w.clerk, Folder: w.dir})
	if err != nil {
		f.since = time.Now() // wait another --settle before trying again
		if !errors.Is(err, pipeline.ErrStillWriting) {
			w.problem(f, fmt.Sprintf("✗ %s: %v — sẽ thử lại (will try again)", name, err))
		}
		return
	}
	// The file as Take read it: a later change is a new scan.
	f.taken, f.before, f.rec, f.problem = true, t.Before, t.Record, ""
	f.size, f.mtime = t.Record.Size, t.ModTime
	if w.json {
		return
	}
	r := t.Record
	var line string
	switch {
	case t.Before:
		line = fmt.Sprintf("↺ %s → hồ sơ #%d: đã ghi sổ từ lần chạy trước, không lưu lại (recorded by an earlier run: not stored again)", name, r.ID)
	case r.Status == catalog.StatusDuplicate:
		line = fmt.Sprintf("= %s → hồ sơ #%d: trùng nội dung với hồ sơ #%d, không lưu lại (same bytes as record #%d: not stored again)", name, r.ID, r.DuplicateOf, r.DuplicateOf)
	default:
		line = fmt.Sprintf("✓ %s → hồ sơ #%d: đã lưu bản gốc và ghi sổ, sha256 %s… (stored and recorded)", name, r.ID, r.SHA256[:12])
	}
	w.out.bar.printlnTo(w.e.stdout, line)
}

// inHand is the context for the file in hand: Ctrl-C lets it finish
// storing, for handGrace at most.
func inHand(ctx context.Context) (context.Context, context.CancelFunc) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(handGrace, cancel) })
	return hctx, func() { stop(); cancel() }
}

// problem reports a problem with a file once, until it changes.
func (w *watcher) problem(f *watchedFile, msg string) {
	if f.problem == msg {
		return
	}
	if f.problem == "" {
		w.troubles++
	}
	f.problem = msg
	w.out.bar.println(msg)
}

// finishAll moves every recorded file whose record is final.
func (w *watcher) finishAll(ctx context.Context) {
	names := make([]string, 0, len(w.files))
	for name, f := range w.files {
		if f.taken {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		w.finish(ctx, name, w.files[name])
	}
}

// finish moves a recorded file to done/ or failed/ once its record is
// final.
func (w *watcher) finish(ctx context.Context, name string, f *watchedFile) {
	r, err := w.cat.Record(ctx, f.rec.ID)
	if err != nil {
		if ctx.Err() == nil {
			w.problem(f, fmt.Sprintf("✗ %s: đọc hồ sơ #%d (read record #%d): %v", name, f.rec.ID, f.rec.ID, err))
		}
		return
	}
	failed, why, final, err := w.outcome(ctx, r)
	if err != nil || !final {
		return
	}
	path := filepath.Join(w.dir, name)
	// Still the bytes recorded? A file overwritten since is a new scan
	// (the next scan sees it), never moved under the old record.
	info, err := os.Lstat(path)
	if err != nil || info.Size() != f.size || !info.ModTime().Equal(f.mtime) {
		return
	}
	var moved, note string
	if failed {
		moved, note, err = moveFailed(w.dir, name, r, why)
	} else {
		moved, err = moveInto(w.dir, doneFolder, name, nil)
	}
	if err != nil {
		w.problem(f, fmt.Sprintf("✗ %s: không chuyển được tệp — kiểm tra quyền ghi (cannot move the file: check permissions): %v", name, err))
		return
	}
	delete(w.files, name)
	if failed {
		w.failed++
	} else {
		w.done++
	}
	w.report(name, moved, note, f.before, r, why)
}

// outcome says whether r is final and whether its file goes to failed/
// (and why): a duplicate follows the record holding its bytes.
func (w *watcher) outcome(ctx context.Context, r catalog.Record) (failed bool, why string, final bool, err error) {
	if !r.Status.Final() {
		return false, "", false, nil
	}
	if r.Status == catalog.StatusFailed {
		return true, r.Error, true, nil
	}
	if r.Status == catalog.StatusDuplicate && r.DuplicateOf != 0 {
		o, err := w.cat.Record(ctx, r.DuplicateOf)
		if err != nil {
			return false, "", false, err
		}
		if !o.Status.Final() {
			return false, "", false, nil
		}
		if o.Status == catalog.StatusFailed {
			return true, fmt.Sprintf("cùng nội dung với hồ sơ #%d (%s), hồ sơ đó bị lỗi (same bytes as record #%d, which failed):\n%s", o.ID, o.Source, o.ID, o.Error), true, nil
		}
	}
	return false, "", true, nil
}

// watchJSON is the --json line of a finished file.
type watchJSON struct {
	File           string     `json:"file"`
	Outcome        string     `json:"outcome"`        // "done" or "failed"
	MovedTo        string     `json:"moved_to"`       // relative to the watched folder
	Note           string     `json:"note,omitempty"` // failed: the .txt saying why
	RecordedBefore bool       `json:"recorded_before"`
	Record         recordJSON `json:"record"`
}

func (w *watcher) report(name, moved, note string, before bool, r catalog.Record, why string) {
	outcome := doneFolder
	if note != "" {
		outcome = failedFolder
	}
	if w.json {
		b, _ := json.Marshal(watchJSON{File: name, Outcome: outcome, MovedTo: moved, Note: note, RecordedBefore: before, Record: toJSON(r, "")})
		w.out.bar.printlnTo(w.e.stdout, string(b))
		return
	}
	line := fmt.Sprintf("→ %s: %s", filepath.ToSlash(moved), recordLine(r))
	if note != "" {
		if r.Status == catalog.StatusDuplicate {
			line += "\n    " + strings.ReplaceAll(why, "\n", "\n    ")
		}
		line += fmt.Sprintf("\n    lý do ghi trong / why: %s", filepath.ToSlash(note))
	}
	w.out.bar.printlnTo(w.e.stdout, line)
}

// summary says what this run did and what is left in the folder.
func (w *watcher) summary(stopped bool) {
	left := make([]string, 0, len(w.files))
	for name := range w.files {
		left = append(left, name)
	}
	sort.Strings(left)
	var b strings.Builder
	if stopped {
		b.WriteString("\nĐã dừng theo dõi; chạy lại lệnh để tiếp tục (stopped watching; run the command again to go on).\n")
	}
	fmt.Fprintf(&b, "%d tệp vào done/, %d tệp vào failed/, %d tệp còn trong thư mục.\n", w.done, w.failed, len(left))
	fmt.Fprintf(&b, "%d files to done/, %d to failed/, %d left in the folder.", w.done, w.failed, len(left))
	for _, name := range left {
		f := w.files[name]
		state := "đang ghi hoặc chưa đủ --settle (still being written, or not settled yet)"
		if f.taken {
			state = fmt.Sprintf("hồ sơ #%d chưa xử lý xong (record #%d not finished)", f.rec.ID, f.rec.ID)
		} else if f.problem != "" {
			state = "lỗi ở trên (see the error above)"
		}
		fmt.Fprintf(&b, "\n  %s: %s", name, state)
	}
	w.out.bar.println(b.String())
}

// ignoredName reports the files a watcher leaves alone: hidden files,
// those still being downloaded or saved (*.part, *.tmp), Office lock files
// (~$*), the files Windows keeps in shared folders, and its own folders.
func ignoredName(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") ||
		strings.HasSuffix(lower, ".part") || strings.HasSuffix(lower, ".tmp") ||
		lower == "thumbs.db" || lower == "desktop.ini" || name == doneFolder || name == failedFolder
}

// moveInto renames dir/name into dir/sub under the first name there that
// is free (name, "name (2).ext", …): nothing there is overwritten. Before
// the rename, prepare (if not nil) is called with the chosen name. A
// rename within one folder tree is atomic: a crash leaves the file either
// in dir or in sub, never in both or neither. It returns the new path
// relative to dir.
func moveInto(dir, sub, name string, prepare func(dst string) error) (string, error) {
	for i := 1; i < 10000; i++ {
		cand := name
		if i > 1 {
			ext := filepath.Ext(name)
			cand = fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(name, ext), i, ext)
		}
		dst := filepath.Join(dir, sub, cand)
		if _, err := os.Lstat(dst); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if prepare != nil {
			if err := prepare(dst); errors.Is(err, errNameTaken) {
				continue
			} else if err != nil {
				return "", err
			}
		}
		if err := os.Rename(filepath.Join(dir, name), dst); err != nil {
			return "", err
		}
		return filepath.Join(sub, cand), nil
	}
	return "", fmt.Errorf("%s: no free name in %s", name, sub)
}

// errNameTaken makes moveInto try the next name.
var errNameTaken = errors.New("name taken")

// noteHeader starts every note, so a note is told from a file of the
// same name.
const noteHeader = "sohoa watch — "

// moveFailed moves the file of a failed record into failed/ with a .txt
// beside it saying why. The note is written first, under the name the file
// will take: a crash before the file follows leaves the file in the
// folder, and the next run writes the same note again (over its own,
// never over another file) and moves it.
func moveFailed(dir, name string, r catalog.Record, why string) (moved, note string, err error) {
	moved, err = moveInto(dir, failedFolder, name, func(dst string) error {
		path := dst + ".txt"
		if ours, err := isNote(path); err != nil {
			return err
		} else if !ours {
			return errNameTaken // a failed file named so, not a note
		}
		return writeNote(path, failureNote(name, dir, r, why))
	})
	if err != nil {
		return "", "", err
	}
	return moved, moved + ".txt", nil
}

// isNote reports whether path is free for a note: absent, or a note.
func isNote(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, len(noteHeader))
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == noteHeader, nil
}

// failureNote is the .txt beside a failed file, for the clerk who opens
// failed/.
func failureNote(name, dir string, r catalog.Record, why string) string {
	if strings.TrimSpace(why) == "" {
		why = "không rõ (unknown)"
	}
	return fmt.Sprintf(noteHeader+`tệp không số hóa được (the file could not be digitized)

Tệp / file:          %s
Thư mục / folder:    %s
Hồ sơ / record:      #%d  (xem / see: sohoa show %d)
SHA-256:             %s
Kích thước / size:   %d bytes
Lúc / at:            %s

Lý do / why:
%s

Cách làm / what to do:
Sửa hoặc quét lại tài liệu rồi lưu bản mới vào thư mục theo dõi; tệp này được
giữ nguyên ở đây, bản gốc cũng đã lưu trong kho.
Fix or rescan the document and save the new file into the watched folder; this
file is kept here as it was, and its bytes are kept in the store.
`, name, dir, r.ID, r.ID, r.SHA256, r.Size, time.Now().UTC().Format(time.RFC3339), why)
}

// writeNote writes path whole or not at all (a temporary file renamed
// over it).
func writeNote(path, text string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lockFolder keeps a second watcher (a cron run overlapping a long one)
// off the folder: two would race to move the same files. A filesystem
// without locks (some network shares) is watched without one.
func lockFolder(e *env, dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("không ghi được vào thư mục theo dõi %s — kiểm tra quyền ghi (cannot write in the watched folder: check permissions): %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			f.Close()
			pid := strings.TrimSpace(string(b[:n]))
			return nil, fmt.Errorf("thư mục %s đang được một \"sohoa watch\" khác theo dõi (pid %s) — dừng nó trước, hoặc bỏ qua lần chạy này (another sohoa watch, pid %s, is watching the folder: stop it first, or skip this run)", dir, pid, pid)
		}
		fmt.Fprintf(e.stderr, "cảnh báo / warning: ổ này không khóa được tệp, đừng chạy hai \"sohoa watch\" cùng lúc trên %s (the filesystem has no locks: do not run two watchers on it): %v\n", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
