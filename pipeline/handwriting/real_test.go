package handwriting

import (
	"bufio"
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sohoa/ocr"
	"sohoa/pipeline/pages"
)

// TestRealScans reports how many handwritten numbers and days of the seven
// real scans in fixtures/real come out right, before and after Refine.
// Seven pages say little, so the test only asks that Refine never turns a
// right reading wrong; the thresholds live in TestGeneratedDegradedScans.
func TestRealScans(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and OCRs seven real pages")
	}
	dir := filepath.Join("..", "..", "fixtures", "real")
	f, err := os.Open(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var scans []scan
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 {
			continue
		}
		number, _, _ := strings.Cut(cols[3], "/")
		day := cols[4][len(cols[4])-2:]
		s := scan{name: cols[0], number: number, day: day}
		err := pages.Split(context.Background(), filepath.Join(dir, cols[0]), pages.Options{TempDir: t.TempDir()}, func(p pages.Page) error {
			if p.N != 1 {
				return nil
			}
			s.enc = ocr.Image{Data: bytes.Clone(p.Image.Data), Format: p.Image.Format, Width: p.Image.Width, Height: p.Image.Height, DPI: p.Image.DPI}
			img, _, err := image.Decode(bytes.NewReader(s.enc.Data))
			s.img = img
			return err
		})
		if err != nil {
			t.Fatalf("page 1 of %s: %v", cols[0], err)
		}
		scans = append(scans, s)
	}
	pgs := ocrPages(t, scans)
	var numBefore, numAfter, dayBefore, dayAfter int
	for i, s := range scans {
		refined := Refine(pgs[i], s.img, true)
		bn, bd := readFields(pgs[i].Text)
		an, ad := readFields(refined.Text)
		numBefore += b2i(bn == s.number)
		numAfter += b2i(an == s.number)
		dayBefore += b2i(sameDay(bd, s.day))
		dayAfter += b2i(sameDay(ad, s.day))
		t.Logf("%s: number %s read %q (ocr %q), day %s read %q (ocr %q)", s.name, s.number, an, bn, s.day, ad, bd)
		if bn == s.number && an != s.number {
			t.Errorf("%s: Refine turned the right number %q into %q", s.name, bn, an)
		}
		if sameDay(bd, s.day) && !sameDay(ad, s.day) {
			t.Errorf("%s: Refine turned the right day %q into %q", s.name, bd, ad)
		}
		if d := os.Getenv("HANDWRITING_DEBUG_DIR"); d != "" {
			dumpPage(t, d, "real-"+strings.SplitN(s.name, ".", 2)[0], s.img, pgs[i])
		}
	}
	t.Logf("real scans: number %d/%d right after Refine (%d before); day %d/%d (%d before)",
		numAfter, len(scans), numBefore, dayAfter, len(scans), dayBefore)
}
