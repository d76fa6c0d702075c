package handwriting

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/ocr/tesseract"
)

// evalSeed draws the generated documents of the measurement: far from the
// seeds anything in the repository was tuned or trained on.
const evalSeed = 5_000_000

var (
	numberRe = regexp.MustCompile(`S\S{0,2}\s*(\d+)\s*/`)
	numberNo = regexp.MustCompile(`(?m)S\S{0,2}\s*(\d+)\s*$`)
	dayRe    = regexp.MustCompile(`ngày\s+(\d{1,2})\s+tháng`)
)

// scan is page 1 of one generated degraded document with what was
// handwritten on it.
type scan struct {
	name        string
	img         image.Image
	enc         ocr.Image
	number, day string // handwritten digits; "" when not handwritten
}

// generatedScans renders n degraded documents from seed and keeps page 1
// as the scanner's JPEG would deliver it.
func generatedScans(t *testing.T, seed int64, n int) []scan {
	t.Helper()
	docs := fixtures.TrainingSet(seed, n)
	out := make([]scan, len(docs))
	var wg sync.WaitGroup
	errs := make([]error, len(docs))
	sem := make(chan struct{}, 2)
	for i, d := range docs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dpi := []int{200, 300, 300}[i%3]
			pages, err := fixtures.Render(d, fixtures.Options{DPI: dpi, Degrade: true, Format: "jpeg"})
			if err != nil {
				errs[i] = err
				return
			}
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, pages[0], &jpeg.Options{Quality: 80}); err != nil {
				errs[i] = err
				return
			}
			img, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				errs[i] = err
				return
			}
			s := scan{name: d.DocType + "-" + strconv.Itoa(i), img: img,
				enc: ocr.Image{Data: buf.Bytes(), Format: "jpeg", Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), DPI: float64(dpi)}}
			for _, l := range d.Pages[0] {
				if l.HandTo == 0 {
					continue
				}
				switch l.Role {
				case fixtures.RoleNumber:
					s.number = l.Text[l.HandFrom:l.HandTo]
				case fixtures.RoleDate:
					s.day = l.Text[l.HandFrom:l.HandTo]
				}
			}
			out[i] = s
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// readFields finds the number's digits and the day in a page's text the
// simple way extraction would.
func readFields(text string) (number, day string) {
	if m := numberRe.FindStringSubmatch(text); m != nil {
		number = m[1]
	} else if m := numberNo.FindStringSubmatch(text); m != nil {
		number = m[1]
	}
	if m := dayRe.FindStringSubmatch(text); m != nil {
		day = m[1]
	}
	return number, day
}

func sameDay(a, b string) bool {
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return err1 == nil && err2 == nil && x == y
}

// ocrPages recognises every scan with one Tesseract per core.
func ocrPages(t *testing.T, scans []scan) []ocr.Page {
	t.Helper()
	pages := make([]ocr.Page, len(scans))
	errs := make([]error, len(scans))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 2 {
		// Engines are made one at a time: listing the installed languages
		// is not safe to do concurrently.
		e, err := tesseract.New(tesseract.Options{})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer e.Close()
			for i := range work {
				pages[i], errs[i] = e.Recognize(context.Background(), scans[i].enc)
			}
		})
	}
	for i := range scans {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return pages
}

// TestGeneratedDegradedScans measures Refine on freshly generated degraded
// scans (never used to train or tune the classifier): how often the
// handwritten number and day come out exactly right, before and after.
func TestGeneratedDegradedScans(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and OCRs 20 pages")
	}
	const n = 20
	scans := generatedScans(t, evalSeed, n)
	pages := ocrPages(t, scans)
	debug := os.Getenv("HANDWRITING_DEBUG_DIR")
	var numTotal, numBefore, numAfter, dayTotal, dayBefore, dayAfter int
	var spent time.Duration
	for i, s := range scans {
		start := time.Now()
		refined := Refine(pages[i], s.img, true)
		spent += time.Since(start)
		bn, bd := readFields(pages[i].Text)
		an, ad := readFields(refined.Text)
		if s.number != "" {
			numTotal++
			numBefore += b2i(bn == s.number)
			numAfter += b2i(an == s.number)
			if an != s.number {
				t.Logf("%s: number %q, read %q (ocr %q)", s.name, s.number, an, bn)
				if os.Getenv("HANDWRITING_DEBUG_DIR") != "" {
					for _, w := range pages[i].Words[:min(40, len(pages[i].Words))] {
						t.Logf("   %d %v %.2f %q", w.Line, w.Box, w.Confidence, w.Text)
					}
				}
			}
		}
		if s.day != "" {
			dayTotal++
			dayBefore += b2i(sameDay(bd, s.day))
			dayAfter += b2i(sameDay(ad, s.day))
			if !sameDay(ad, s.day) {
				t.Logf("%s: day %q, read %q (ocr %q)", s.name, s.day, ad, bd)
			}
		}
		if debug != "" {
			dumpPage(t, debug, s.name, s.img, pages[i])
		}
	}
	t.Logf("number: %d/%d right after Refine (%d before); day: %d/%d (%d before); Refine %v per page",
		numAfter, numTotal, numBefore, dayAfter, dayTotal, dayBefore, spent/time.Duration(len(scans)))
	if numTotal == 0 || dayTotal == 0 {
		t.Fatal("no handwritten fields in the generated set")
	}
	// Measured 12/17 numbers and 13/18 days (OCR alone: 0 and 1); the
	// target is 90%: see the package's open issues in the commit log.
	if r := float64(numAfter) / float64(numTotal); r < 0.65 {
		t.Errorf("handwritten number right on %.0f%% of generated scans, want at least 65%%", 100*r)
	}
	if r := float64(dayAfter) / float64(dayTotal); r < 0.65 {
		t.Errorf("handwritten day right on %.0f%% of generated scans, want at least 65%%", 100*r)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dumpPage writes the regions Refine reads on p as PNG files, named after
// what ReadDigits made of them, for a person to look at.
func dumpPage(t *testing.T, dir, name string, img image.Image, p ocr.Page) {
	t.Helper()
	k := 0
	{
		fields := plan(p.Words, p.Height, true)
		for _, f := range fields {
			r := f.region.Inset(-f.region.Dy() / 3).Intersect(img.Bounds())
			res, ok := ReadDigits(img, f.region)
			sub := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
			for y := range r.Dy() {
				for x := range r.Dx() {
					sub.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
				}
			}
			label := "none"
			if ok {
				label = res.Text + "_" + strconv.FormatFloat(res.Confidence, 'f', 2, 64)
			}
			f, err := os.Create(filepath.Join(dir, name+"-"+strconv.Itoa(k)+"-"+label+".png"))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, sub)
			f.Close()
			k++
		}
	}
}
