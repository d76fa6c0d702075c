package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"sohoa/pipeline"
	"sohoa/storage/catalog"
)

// The upload page (/upload) lets a clerk send scans from the browser: a
// file goes up in chunks to a file of its own in the data folder
// (fsynced after every chunk, so the offset the server answers is bytes
// that survive a crash), and once whole it is handed to pipeline.Take,
// which stores and records it. An upload is named by who sends which file
// for which unit, split how (uploadID): the same file sent again — after
// a dropped connection, a closed tab, a restarted serve — finds its
// partial file and goes on from where it stopped, and a file already
// taken answers with its records. Take itself knows a file by name and
// bytes, so even a second upload of the same file from scratch makes no
// second record.

// DefaultUploadMax is the largest file the upload page takes unless
// configured otherwise.
const DefaultUploadMax = 2 << 30

// uploadChunk is the size of the pieces the page sends.
const uploadChunk = 4 << 20

// UploadConfig turns on the upload page (upload*.go).
type UploadConfig struct {
	// Dir keeps the uploads in progress and what became of them; it is
	// inside the data folder, so a finished upload is never copied
	// across filesystems.
	Dir string
	// MaxSize is the largest file taken, in bytes; DefaultUploadMax if 0.
	MaxSize int64
	// Take stores and records a file uploaded whole: pipeline.Take.
	Take func(ctx context.Context, req pipeline.TakeRequest) (pipeline.Taken, error)
	// Progress carries the pipeline's progress to the event streams of
	// the uploads; nil when nothing reports it.
	Progress *Progress
	// Processing says the pipeline runs in serve: without it uploads are
	// stored and queued for `sohoa worker`.
	Processing bool
}

// uploads is the upload page's state.
type uploads struct {
	cfg  UploadConfig
	page *template.Template
	// stopping is closed when serve stops: chunks being received end
	// early (what arrived is kept) and event streams close.
	stopping <-chan struct{}

	mu     sync.Mutex
	active map[string]*sync.Mutex // by upload id: one chunk at a time
}

// uploadMeta is what is kept of an upload beside its bytes, as
// DIR/ID.json.
type uploadMeta struct {
	ID           string    `json:"id"`
	User         string    `json:"user"`
	Unit         string    `json:"unit"`
	Name         string    `json:"name"`
	Size         int64     `json:"size"`
	LastModified int64     `json:"last_modified"`
	Split        string    `json:"split"`
	Started      time.Time `json:"started"`
	// Taken is set once the file is recorded: its bytes are then gone
	// from DIR and live in the object store.
	Taken *uploadTaken `json:"taken,omitempty"`
}

type uploadTaken struct {
	Record int64     `json:"record"`
	Batch  int64     `json:"batch"`
	Before bool      `json:"recorded_before"`
	At     time.Time `json:"at"`
}

// addUploads routes the upload page and its API. Without cfg (or its
// Take) the routes answer that uploads are off, so every server has the
// same routes and policy.
func (d *Dashboard) addUploads(cfg *UploadConfig) error {
	u := &uploads{active: map[string]*sync.Mutex{}}
	if cfg != nil && cfg.Take != nil {
		u.cfg = *cfg
		if u.cfg.MaxSize <= 0 {
			u.cfg.MaxSize = DefaultUploadMax
		}
		if u.cfg.Dir == "" {
			return errors.New("dashboard: uploads need a folder (UploadConfig.Dir)")
		}
		if err := os.MkdirAll(u.cfg.Dir, 0o755); err != nil {
			return fmt.Errorf("make upload folder %s: %w", u.cfg.Dir, err)
		}
		u.sweep(d.now().Add(-uploadKeep), d.log)
	}
	if u.cfg.Progress == nil {
		u.cfg.Progress = NewProgress()
	}
	u.stopping = u.cfg.Progress.Done()
	t, err := template.New("upload.html").Funcs(evidenceFuncs).Funcs(template.FuncMap{"size": sizeText}).ParseFS(assets, "assets/record.html", "assets/upload.html")
	if err != nil {
		return fmt.Errorf("parse upload page template: %w", err)
	}
	u.page = t.Lookup("upload.html")
	d.uploads = u
	d.mux.HandleFunc("GET /upload", d.serveUploadPage)
	d.mux.HandleFunc("POST /api/uploads", d.serveUploadStart)
	d.mux.HandleFunc("PATCH /api/uploads/{id}", d.serveUploadChunk)
	d.mux.HandleFunc("GET /api/uploads/{id}/events", d.serveUploadEvents)
	return nil
}

// on reports whether uploads are taken at all.
func (u *uploads) on() bool { return u.cfg.Take != nil }

// uploadUnit is one unit the page offers.
type uploadUnit struct {
	Code, Label string
}

// uploadUnitGroup is a province and its units, for an optgroup.
type uploadUnitGroup struct {
	Label string
	Units []uploadUnit
}

// uploadPageData is what upload.html shows.
type uploadPageData struct {
	User       string
	CSRF       string
	Groups     []uploadUnitGroup
	Units      int
	Scheme     catalog.Scheme
	On         bool
	Processing bool
	MaxSize    int64
	Chunk      int
}

func (d *Dashboard) serveUploadPage(w http.ResponseWriter, r *http.Request) {
	groups, n, err := d.uploadUnits(r.Context())
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	v := viewerFrom(r.Context())
	data := uploadPageData{CSRF: CSRFToken(r), Groups: groups, Units: n, Scheme: catalog.SchemeOn(d.now()),
		On: d.uploads.on(), Processing: d.uploads.cfg.Processing, MaxSize: d.uploads.cfg.MaxSize, Chunk: uploadChunk}
	if v != nil {
		data.User = v.Name
	}
	d.render(w, r, d.uploads.page, http.StatusOK, data)
}

// uploadUnits lists the units in force the user may act for, grouped by
// province, and how many there are.
func (d *Dashboard) uploadUnits(ctx context.Context) ([]uploadUnitGroup, int, error) {
	units, err := d.src.Units(ctx, catalog.SchemeOn(d.now()))
	if err != nil {
		return nil, 0, fmt.Errorf("read the units in force: %w", err)
	}
	names := map[string]string{}
	for _, u := range units {
		names[u.Code] = u.Name
	}
	byProvince := map[string]*uploadUnitGroup{}
	var order []string
	n := 0
	for _, u := range units {
		ok, err := d.mayActFor(ctx, u.Code)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			continue
		}
		province := u.Code
		if u.Parent != "" {
			province = u.Parent
		}
		g := byProvince[province]
		if g == nil {
			g = &uploadUnitGroup{Label: province + " · " + names[province]}
			byProvince[province] = g
			order = append(order, province)
		}
		label := u.Code + " · " + u.Name
		if u.Parent != "" {
			label += ", " + names[u.Parent]
		}
		g.Units = append(g.Units, uploadUnit{Code: u.Code, Label: label})
		n++
	}
	sort.Strings(order)
	out := make([]uploadUnitGroup, 0, len(order))
	for _, p := range order {
		g := byProvince[p]
		sort.Slice(g.Units, func(i, j int) bool {
			// The province itself first, then its units by code.
			if (g.Units[i].Code == p) != (g.Units[j].Code == p) {
				return g.Units[i].Code == p
			}
			return g.Units[i].Code < g.Units[j].Code
		})
		out = append(out, *g)
	}
	return out, n, nil
}

// uploadID names the upload of one file by one user for one unit, split
// one way: the same again is the same upload, to resume.
func uploadID(user, unit, name string, size, lastModified int64, split string) string {
	h := sha256.New()
	fmt.Fprintf(h, "upload\x00user=%s\x00unit=%s\x00name=%s\x00size=%d\x00mtime=%d\x00split=%s", user, unit, name, size, lastModified, split)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// validUploadID reports whether id is one uploadID makes, so it can name
// files.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// cleanUploadName makes the name the browser gives (a file's name, or
// its path within a folder picked) the record's source: slashes only,
// no leading or parent parts, no control characters.
func cleanUploadName(name string) (string, error) {
	name = strings.ReplaceAll(strings.TrimSpace(name), `\`, "/")
	var parts []string
	for _, p := range strings.Split(name, "/") {
		if p == "" || p == "." || p == ".." {
			continue
		}
		parts = append(parts, p)
	}
	name = path.Join(parts...)
	switch {
	case name == "" || name == ".":
		return "", badRequestf("tệp không có tên (the file has no name)")
	case !utf8.ValidString(name) || len(name) > 400:
		return "", badRequestf("tên tệp quá dài hoặc không đọc được (the file name is too long or not text): đổi tên tệp rồi tải lại (rename the file and upload it again)")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", badRequestf("tên tệp có ký tự điều khiển (the file name has control characters): đổi tên tệp (rename it)")
	}
	return name, nil
}

func (u *uploads) partPath(id string) string { return filepath.Join(u.cfg.Dir, id+".part") }
func (u *uploads) metaPath(id string) string { return filepath.Join(u.cfg.Dir, id+".json") }

// lock returns the lock of one upload's bytes.
func (u *uploads) lock(id string) *sync.Mutex {
	u.mu.Lock()
	defer u.mu.Unlock()
	m := u.active[id]
	if m == nil {
		m = &sync.Mutex{}
		u.active[id] = m
	}
	return m
}

// readMeta reads an upload's record; fs.ErrNotExist if there is none.
func (u *uploads) readMeta(id string) (uploadMeta, error) {
	var m uploadMeta
	b, err := os.ReadFile(u.metaPath(id))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read upload %s: %w", id, err)
	}
	return m, nil
}

// writeMeta writes an upload's record whole or not at all.
func (u *uploads) writeMeta(m uploadMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := u.metaPath(m.ID)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write upload %s: %w", m.ID, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write upload %s: %w", m.ID, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write upload %s: %w", m.ID, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write upload %s: %w", m.ID, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write upload %s: %w", m.ID, err)
	}
	return syncDir(u.cfg.Dir)
}

// offset is how many bytes of the upload are kept.
func (u *uploads) offset(id string) (int64, error) {
	info, err := os.Stat(u.partPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read upload %s: %w", id, err)
	}
	return info.Size(), nil
}

// uploadKeep is how long an upload left unfinished is kept for the
// browser to come back to, and what became of a finished one remembered.
// A file sent again after that is still recorded once: Take knows it by
// name and bytes.
const uploadKeep = 30 * 24 * time.Hour

// sweep removes the uploads untouched since before.
func (u *uploads) sweep(before time.Time, log *slog.Logger) {
	entries, err := os.ReadDir(u.cfg.Dir)
	if err != nil {
		log.Warn("sweep old uploads", "dir", u.cfg.Dir, "err", err)
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || !info.ModTime().Before(before) {
			continue
		}
		path := filepath.Join(u.cfg.Dir, e.Name())
		if err := os.Remove(path); err != nil {
			log.Warn("remove old upload", "path", path, "err", err)
			continue
		}
		log.Info("removed old upload", "path", path, "modified", info.ModTime())
	}
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
