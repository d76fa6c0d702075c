package pages

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// realSamples is where the real signed scans live in the repository
// (fixtures/real, copied from the shared samples with their labels).
func realSamples(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "fixtures", "real")
	if _, err := os.Stat(filepath.Join(dir, "labels.tsv")); err != nil {
		t.Fatalf("real samples missing from the repository: %v", err)
	}
	return dir
}

// TestSplitRealSamples splits the real signed scans: every page must come
// back as the embedded JPEG, byte for byte, at 300 dpi, with no text layer
// (page 1's signature stamp is real PDF text but must not stop the page
// from being OCR'd).
func TestSplitRealSamples(t *testing.T) {
	t.Parallel()
	dir := realSamples(t)
	f, err := os.Open(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 2 {
			continue
		}
		name := fields[0]
		want, err := strconv.Atoi(fields[1])
		if err != nil {
			t.Fatalf("labels.tsv: %v", err)
		}
		n++
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, name)
			if got, err := Count(t.Context(), path, Options{}); err != nil || got != want {
				t.Fatalf("Count = %d, %v; want %d", got, err, want)
			}
			file, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			pages, err := collect(t, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != want {
				t.Fatalf("got %d pages, want %d", len(pages), want)
			}
			for i, p := range pages {
				img := p.Image
				if p.N != i+1 || img.Format != "jpeg" || p.TextLayer != nil {
					t.Errorf("page %d: N=%d format=%s text layer=%v", i+1, p.N, img.Format, p.TextLayer != nil)
				}
				if img.DPI < 299 || img.DPI > 301 || img.Height != 3508 || img.Width < 2450 {
					t.Errorf("page %d: %d×%d at %v dpi, want about 2464×3508 at 300", i+1, img.Width, img.Height, img.DPI)
				}
				// Unencrypted PDFs store DCT streams verbatim: the page
				// image is a byte range of the file if it was not
				// re-encoded.
				if !bytes.HasPrefix(img.Data, []byte{0xff, 0xd8}) || !bytes.Contains(file, img.Data) {
					t.Errorf("page %d: image bytes are not the embedded JPEG", i+1)
				}
			}
			// Were page 1 not a scan, its only text would be the
			// signature stamp's, in annotations: the text-layer rule
			// must still say OCR.
			fh, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			opts := Options{}.withDefaults()
			doc, err := openPDF(t.Context(), fh, fileError{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			pp, err := doc.inspect(1)
			if err != nil {
				t.Fatal(err)
			}
			if tl, err := extractText(t.Context(), path, 1, 100, 100, nil, opts); err != nil || tl == nil {
				t.Fatalf("page 1: pdftotext found no stamp text (%v): the check below would prove nothing", err)
			}
			tl, err := extractText(t.Context(), path, 1, pages[0].Image.Width, pages[0].Image.Height, pp.annots, opts)
			if err != nil || tl != nil {
				t.Errorf("page 1 stamp text: text layer %v, %v; want none", tl != nil, err)
			}
		})
	}
	if n != 7 {
		t.Errorf("labels.tsv lists %d files, want 7", n)
	}
}
