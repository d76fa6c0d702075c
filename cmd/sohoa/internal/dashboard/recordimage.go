package dashboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // page images of JPEG scans
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/image/draw"

	_ "sohoa/pipeline/netpbm" // page images the pages package decoded to PNM
	"sohoa/pipeline/pages"
	"sohoa/storage/catalog"
)

// Page images are drawn for reading on screen, not for OCR: the longer
// side is at most pageImageSide pixels.
const (
	pageImageSide = 1400
	// maxPageImageBytes bounds what one rendered page may take.
	maxPageImageBytes = 32 << 20
	// pageImageTimeout bounds one render.
	pageImageTimeout = 30 * time.Second
	// maxPageImagePixels refuses a scan image larger than this before it
	// is decoded: A4 at 600 dpi is 35 million.
	maxPageImagePixels = 60_000_000
)

// renderSlots bounds how many page images are drawn at once, so a record
// of 200 pages opened by three auditors does not take the machine.
var renderSlots = make(chan struct{}, 2)

// servePageImage draws page n of /records/{id}/pages/{n}.png as PNG:
// from the archival PDF (rendered by poppler's pdftoppm, like the
// pipeline's PDF pages), else from the original. Page images are part of
// the record page's view, logged there, not one event each.
func (d *Dashboard) servePageImage(w http.ResponseWriter, r *http.Request) {
	rec, err := d.loadRecord(r)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	file := r.PathValue("file")
	n, err := strconv.Atoi(strings.TrimSuffix(file, ".png"))
	if !strings.HasSuffix(file, ".png") || err != nil || n < 1 || (rec.Pages > 0 && n > rec.Pages) {
		d.writeProblem(w, r, fmt.Errorf("hồ sơ %d không có trang %q (record %d has no page %q): %w", rec.ID, file, rec.ID, file, catalog.ErrNotFound))
		return
	}
	key, isPDF := rec.Archive, true
	if key == "" {
		key, isPDF = rec.Original, rec.ContentType == "application/pdf"
	}
	if key == "" {
		d.writeProblem(w, r, fmt.Errorf("hồ sơ %d chưa có tệp trong kho (record %d has nothing stored yet): %w", rec.ID, rec.ID, catalog.ErrNotFound))
		return
	}
	if d.objects == nil {
		d.writeProblem(w, r, errNoStore)
		return
	}
	version, err := d.pageImageVersion(r.Context(), rec, key)
	if err != nil {
		d.writeProblem(w, r, fmt.Errorf("draw page %d of record %d: %w", n, rec.ID, err))
		return
	}
	etag := fmt.Sprintf(`"%s-%s-%d-%d"`, path.Base(key), version, n, pageImageSide)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		setPageImageCache(w, etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), pageImageTimeout)
	defer cancel()
	select {
	case renderSlots <- struct{}{}:
		defer func() { <-renderSlots }()
	case <-ctx.Done():
		d.writeProblem(w, r, fmt.Errorf("draw page %d of record %d: %w", n, rec.ID, ctx.Err()))
		return
	}
	img, err := d.drawPage(ctx, rec, key, isPDF, n)
	var bad *pages.InputError
	if errors.As(err, &bad) {
		d.render(w, r, d.evidence.problem, http.StatusUnprocessableEntity, problemData{Status: http.StatusUnprocessableEntity,
			Problem: fmt.Sprintf("không vẽ được trang %d của hồ sơ %d (page %d of record %d cannot be drawn): %s", n, rec.ID, n, rec.ID, bad.Message())})
		return
	}
	if err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			d.writeProblem(w, r, err)
			return
		}
		d.writeProblem(w, r, fmt.Errorf("draw page %d of record %d: %w", n, rec.ID, err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(img)))
	setPageImageCache(w, etag)
	_, _ = w.Write(img)
}

// setPageImageCache lets the browser keep a page image but ask again
// each time it shows it (a 304 while the file is the same): the evidence
// view links a page by one address whatever the file behind it.
func setPageImageCache(w http.ResponseWriter, etag string) {
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Set("ETag", etag)
}

// objectSums finds the sha256 the catalog keeps of a stored object
// (catalog.Fixity's StoredObject).
type objectSums interface {
	StoredObject(ctx context.Context, key string) (catalog.StoredObject, error)
}

// pageImageVersion names the bytes a page image is drawn from. An
// archival PDF is rewritten under the same key when its record is
// processed again (pages rotated, removed or re-ordered on the review
// page), so its key alone would name a stale picture: the version is the
// archive's sha256 the catalog keeps, else (an archive built before the
// catalog kept it, or a catalog that keeps none) the record's last
// change. An original is never rewritten: its key is its sha256.
func (d *Dashboard) pageImageVersion(ctx context.Context, rec catalog.Record, key string) (string, error) {
	if key == "" || key != rec.Archive {
		return rec.SHA256, nil
	}
	var sums objectSums
	if s, ok := d.src.(scopedSource); ok {
		sums, _ = s.Source.(objectSums)
	}
	if sums != nil {
		o, err := sums.StoredObject(ctx, key)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return "", fmt.Errorf("read the sha256 of %s: %w", key, err)
		}
		if o.SHA256 != "" {
			return o.SHA256, nil
		}
	}
	return "t" + strconv.FormatInt(rec.UpdatedAt.UnixNano(), 36), nil
}

// etagMatches reports whether an If-None-Match header names etag (or is
// "*"), weak or strong.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// drawPage copies the object to a temporary file (the renderers read
// files, and the store's reader checks the sha256 on the way) and draws
// page n of it.
func (d *Dashboard) drawPage(ctx context.Context, rec catalog.Record, key string, isPDF bool, n int) ([]byte, error) {
	body, _, err := d.objects.Get(ctx, key)
	if err != nil {
		return nil, objectError(rec, "tệp / file", err)
	}
	defer body.Close()
	f, err := os.CreateTemp("", "sohoa-page-*")
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", key, err)
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", key, err)
	}
	if isPDF {
		return renderPDFPage(ctx, f.Name(), n)
	}
	return drawScanPage(ctx, f.Name(), rec.Source, n)
}

// renderPDFPage renders page n of the PDF at path with pdftoppm, scaled
// to pageImageSide, as PNG.
func renderPDFPage(ctx context.Context, path string, n int) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "pdftoppm", "-png", "-cropbox", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n),
		"-scale-to", strconv.Itoa(pageImageSide), path)
	cmd.WaitDelay = 5 * time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &out, n: maxPageImageBytes}
	cmd.Stderr = &limitedBuffer{buf: &stderr, n: 4 << 10}
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("run pdftoppm: poppler-utils is not installed: run make setup: %w", err)
		}
		return nil, fmt.Errorf("pdftoppm page %d: %w: %s", n, err, strings.TrimSpace(stderr.String()))
	}
	if out.Len() >= maxPageImageBytes {
		return nil, fmt.Errorf("pdftoppm page %d: image exceeds %d bytes", n, maxPageImageBytes)
	}
	return out.Bytes(), nil
}

// limitedBuffer keeps the first n bytes written and drops the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	n   int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if k := min(len(p), l.n-l.buf.Len()); k > 0 {
		l.buf.Write(p[:k])
	}
	return len(p), nil
}

// errPageFound stops pages.Split once the page wanted is drawn.
var errPageFound = errors.New("page found")

// drawScanPage draws page n of a TIFF, JPEG or PNG scan, scaled down to
// pageImageSide, as PNG.
func drawScanPage(ctx context.Context, path, name string, n int) ([]byte, error) {
	var out []byte
	err := pages.Split(ctx, path, pages.Options{Name: name, MaxPixels: maxPageImagePixels}, func(p pages.Page) error {
		if p.N < n {
			return nil
		}
		src, _, err := image.Decode(bytes.NewReader(p.Image.Data))
		if err != nil {
			return fmt.Errorf("decode %s image: %w", p.Image.Format, err)
		}
		b := src.Bounds()
		scale := min(1, float64(pageImageSide)/float64(max(b.Dx(), b.Dy())))
		dst := src
		if scale < 1 {
			small := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale))))
			draw.ApproxBiLinear.Scale(small, small.Bounds(), src, b, draw.Src, nil)
			dst = small
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, dst); err != nil {
			return fmt.Errorf("encode page %d: %w", n, err)
		}
		out = buf.Bytes()
		return errPageFound
	})
	if errors.Is(err, errPageFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("the file has no page %d: %w", n, catalog.ErrNotFound)
}
