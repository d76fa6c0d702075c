package dashboard

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
)

// presignExpiry is how long a presigned link to an original works: long
// enough to click, short enough that a link passed on is soon useless.
const presignExpiry = 5 * time.Minute

// sha256Header carries the hex sha256 of what a download sends, for the
// auditor's own check; Repr-Digest (RFC 9530) says the same for tools.
const sha256Header = "X-Sohoa-Sha256"

// errNoStore is the answer of a download when serve has no object store.
var errNoStore = errors.New("sohoa serve chạy không có kho lưu trữ (serve has no object store): start it with --data")

// serveOriginal sends the untouched original of /records/{id}/original
// as an attachment under the clerk's file name, streamed from the store,
// with its sha256 in X-Sohoa-Sha256 and Repr-Digest. With ?presign=1 and
// a store that has them, it redirects to a short-lived URL of the store
// instead. Either way the download is logged first.
func (d *Dashboard) serveOriginal(w http.ResponseWriter, r *http.Request) {
	rec, err := d.loadRecord(r)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	if rec.Original == "" {
		d.writeProblem(w, r, fmt.Errorf("hồ sơ %d chưa có bản gốc trong kho (record %d has no stored original yet): %w", rec.ID, rec.ID, catalog.ErrNotFound))
		return
	}
	if d.objects == nil {
		d.writeProblem(w, r, errNoStore)
		return
	}
	name := downloadName(rec.Source, rec.ID, "")
	if p, ok := d.objects.(storage.Presigner); ok && r.URL.Query().Get("presign") == "1" {
		u, err := p.PresignGet(r.Context(), rec.Original, presignExpiry, storage.PresignOptions{Filename: name, ContentType: rec.ContentType})
		if err != nil {
			d.writeProblem(w, r, objectError(rec, "bản gốc / original", err))
			return
		}
		if err := d.logAccess(r, actionDownload, rec.ID, map[string]any{
			"what": "original", "key": rec.Original, "sha256": rec.SHA256, "presigned": true,
			"expires": d.now().UTC().Add(presignExpiry).Format(time.RFC3339),
		}); err != nil {
			d.writeProblem(w, r, err)
			return
		}
		setDigest(w.Header(), rec.SHA256)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	d.stream(w, r, rec, rec.Original, rec.SHA256, "original", "attachment", name)
}

// serveArchive sends the archival PDF of /records/{id}/archive.pdf for
// the browser to open (inline), logging the download first.
func (d *Dashboard) serveArchive(w http.ResponseWriter, r *http.Request) {
	rec, err := d.loadRecord(r)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	if rec.Archive == "" {
		d.writeProblem(w, r, fmt.Errorf("hồ sơ %d chưa có bản lưu trữ PDF (record %d has no archival PDF yet): %w", rec.ID, rec.ID, catalog.ErrNotFound))
		return
	}
	if d.objects == nil {
		d.writeProblem(w, r, errNoStore)
		return
	}
	d.stream(w, r, rec, rec.Archive, "", "archive", "inline", downloadName(rec.Source, rec.ID, ".pdf"))
}

// stream sends the object under key. want is the sha256 the catalog holds
// for it ("" when the catalog keeps none): a stored object recorded with
// another one is refused before a byte is sent. The store's reader checks
// the bytes against the recorded sha256 as they go and withholds the last
// of them when they do not match; the connection is then cut, so the
// browser never keeps an altered file as a complete download.
func (d *Dashboard) stream(w http.ResponseWriter, r *http.Request, rec catalog.Record, key, want, what, disposition, name string) {
	ctx := r.Context()
	label := map[string]string{"original": "bản gốc / original", "archive": "bản lưu trữ / archival PDF"}[what]
	body, info, err := d.objects.Get(ctx, key)
	if err != nil {
		d.writeProblem(w, r, objectError(rec, label, err))
		return
	}
	defer body.Close()
	if want != "" && info.SHA256 != "" && info.SHA256 != want {
		d.writeProblem(w, r, fmt.Errorf("%s của hồ sơ %d trong kho có sha256 %s, danh mục ghi %s: đã bị thay đổi, chạy sohoa verify %d (the stored %s of record %d does not match the catalog's sha256)",
			label, rec.ID, info.SHA256, want, rec.ID, what, rec.ID))
		return
	}
	sum := want
	if sum == "" {
		sum = info.SHA256
	}
	if err := d.logAccess(r, actionDownload, rec.ID, map[string]any{"what": what, "key": key, "sha256": sum, "size": info.Size}); err != nil {
		d.writeProblem(w, r, err)
		return
	}
	h := w.Header()
	ct := info.ContentType
	if what == "original" && rec.ContentType != "" {
		ct = rec.ContentType
	}
	if what == "archive" {
		ct = "application/pdf"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("Content-Disposition", contentDisposition(disposition, name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	setDigest(h, sum)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, body); err != nil {
		if ctx.Err() == nil {
			d.log.Error("send object", "record", rec.ID, "key", key, "err", err)
		}
		// The status is sent: only cutting the connection tells the
		// browser the file is not whole.
		panic(http.ErrAbortHandler)
	}
}

// objectError says what a failed Get of a record's object means for the
// auditor.
func objectError(rec catalog.Record, label string, err error) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%s của hồ sơ %d không còn trong kho: chạy sohoa verify %d (the %s of record %d is missing from the store): %w",
			label, rec.ID, rec.ID, label, rec.ID, catalog.ErrNotFound)
	case errors.Is(err, storage.ErrUnavailable):
		return fmt.Errorf("không kết nối được kho lưu trữ, thử lại sau (the object store cannot be reached, try again later): %w", err)
	}
	return fmt.Errorf("open %s of record %d: %w", label, rec.ID, err)
}

// downloadName is the file name a download is saved under: the base name
// the clerk gave the file (with ext when it lacks it), or
// "ho-so-<id><ext>" when there is none.
func downloadName(source string, id int64, ext string) string {
	name := filepath.Base(strings.ReplaceAll(source, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		name = fmt.Sprintf("ho-so-%d", id)
	}
	if ext != "" && !strings.EqualFold(filepath.Ext(name), ext) {
		name += ext
	}
	return name
}

// contentDisposition formats the header with the name in UTF-8 (RFC
// 6266), falling back to the bare disposition for a name that cannot be
// encoded.
func contentDisposition(disposition, name string) string {
	if v := mime.FormatMediaType(disposition, map[string]string{"filename": name}); v != "" {
		return v
	}
	return disposition
}

// setDigest puts the hex sha256 in X-Sohoa-Sha256 and Repr-Digest.
func setDigest(h http.Header, sum string) {
	if sum == "" {
		return
	}
	h.Set(sha256Header, sum)
	if raw, err := hex.DecodeString(sum); err == nil {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(raw)+":")
	}
}
