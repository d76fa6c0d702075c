package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"sohoa/ocr"
	"sohoa/pipeline/archive"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// rotatedScan is scanImage turned half a turn: the block in the
// bottom-right quarter, as a clerk's "rotate 180" on the review page
// leaves the page in the rebuilt archive.
func rotatedScan(t *testing.T) []byte {
	t.Helper()
	src, err := png.Decode(bytes.NewReader(scanImage(t)))
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	dst := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(b.Max.X-1-x, b.Max.Y-1-y, color.GrayModel.Convert(src.At(x, y)))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// archiveOf is a one-page archival PDF of the PNG scan.
func archiveOf(t *testing.T, scan []byte) []byte {
	t.Helper()
	var pdf bytes.Buffer
	aw, err := archive.NewWriter(&pdf, archive.Meta{Title: "86/QĐ-UBND"})
	if err != nil {
		t.Fatal(err)
	}
	if err := aw.AddPage(archive.Page{Image: ocr.Image{Data: scan, Format: "png", Width: 413, Height: 583, DPI: 100}}); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	return pdf.Bytes()
}

// conditionalGet asks for url with If-None-Match etag (none when empty).
func conditionalGet(t *testing.T, url, etag string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp, body.Bytes()
}

// darkCorner says which quarter of a drawn page is dark: "top-left",
// "bottom-right" or "" for neither alone.
func darkCorner(t *testing.T, body []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the page is not a PNG: %v", err)
	}
	b := img.Bounds()
	dark := func(fx, fy float64) bool {
		r, g, bl, _ := img.At(b.Min.X+int(fx*float64(b.Dx())), b.Min.Y+int(fy*float64(b.Dy()))).RGBA()
		return (r+g+bl)/3>>8 < 60
	}
	switch tl, br := dark(0.25, 0.25), dark(0.75, 0.75); {
	case tl && !br:
		return "top-left"
	case br && !tl:
		return "bottom-right"
	}
	return ""
}

// update writes rec to the catalog, which stamps its UpdatedAt, and
// returns it as read back.
func update(t *testing.T, e evidence, rec catalog.Record) catalog.Record {
	t.Helper()
	ctx := context.Background()
	if err := e.db.UpdateRecord(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := e.db.Record(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.UpdatedAt.Equal(rec.UpdatedAt) {
		t.Fatalf("record %d: UpdatedAt %s did not change on update", rec.ID, got.UpdatedAt)
	}
	return got
}

// TestPageImageAfterReprocess: a page image is revalidated each time it
// is shown; while the record's archive is the same a conditional GET is a
// 304 (also after a correction of its fields), and once the record is
// processed again and its archive rewritten under the same key it is a
// 200 with the new picture. With the archive's sha256 in the catalog that
// is what tells; without it (an archive built before the catalog kept
// it), the record's last change.
func TestPageImageAfterReprocess(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pdftoppm is missing (make setup installs poppler-utils): %v", err)
		}
		t.Skip("pdftoppm is missing (make setup installs poppler-utils)")
	}
	for name, keepsSum := range map[string]bool{"archive sha256 in the catalog": true, "no archive sha256 in the catalog": false} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := seedEvidence(t, nil)
			if keepsSum {
				if err := e.db.SetArchiveSHA256(ctx, e.done.ID, hexSHA(e.archive)); err != nil {
					t.Fatal(err)
				}
			}
			url := fmt.Sprintf("%s/records/%d/pages/1.png", e.srv.URL, e.done.ID)

			resp, body := conditionalGet(t, url, "")
			first := resp.Header.Get("ETag")
			if resp.StatusCode != http.StatusOK || first == "" || darkCorner(t, body) != "top-left" {
				t.Fatalf("page 1: %d, ETag %q, dark %q; want 200 with an ETag, dark top-left", resp.StatusCode, first, darkCorner(t, body))
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
				t.Errorf("Cache-Control %q: the browser would show the page unasked after it changed; want no-cache", cc)
			}
			if resp, _ := conditionalGet(t, url, first); resp.StatusCode != http.StatusNotModified || resp.Header.Get("ETag") != first {
				t.Errorf("unchanged page, If-None-Match %s: %d (ETag %q), want 304", first, resp.StatusCode, resp.Header.Get("ETag"))
			}

			// A correction of the fields changes the record, not its pages.
			rec, err := e.db.Record(ctx, e.done.ID)
			if err != nil {
				t.Fatal(err)
			}
			rec.Subject.Value += " (đã sửa)"
			after := update(t, e, rec)
			if resp, _ := conditionalGet(t, url, first); keepsSum && resp.StatusCode != http.StatusNotModified {
				t.Errorf("after a correction of the subject: %d, want 304 (the archive is the same)", resp.StatusCode)
			}

			// Re-processed with page 1 turned half a turn: the archive is
			// rewritten under the same key, as the pipeline does.
			rotated := archiveOf(t, rotatedScan(t))
			put(t, e.store, e.done.Archive, rotated, "application/pdf")
			if keepsSum {
				if err := e.db.SetArchiveSHA256(ctx, e.done.ID, hexSHA(rotated)); err != nil {
					t.Fatal(err)
				}
			}
			after.Archive = storage.ArchiveKey(e.done.SHA256)
			update(t, e, after)
			resp, body = conditionalGet(t, url, first)
			second := resp.Header.Get("ETag")
			if resp.StatusCode != http.StatusOK || second == first || darkCorner(t, body) != "bottom-right" {
				t.Fatalf("after the archive was rebuilt, If-None-Match the old ETag: %d, ETag %q (was %q); want 200 with a new ETag and the new picture (dark bottom-right)",
					resp.StatusCode, second, first)
			}
			if resp, _ := conditionalGet(t, url, second); resp.StatusCode != http.StatusNotModified {
				t.Errorf("rebuilt page, If-None-Match %s: %d, want 304", second, resp.StatusCode)
			}
		})
	}
}
