package pages

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
)

// sealedDoc is a generated document whose last page carries a seal.
func sealedDoc(t *testing.T, seed int64) fixtures.Doc {
	t.Helper()
	for s := seed; s < seed+50; s++ {
		if d := fixtures.NewDoc(s); fixtures.HasSeal(d) {
			return d
		}
	}
	t.Fatalf("no sealed document among seeds %d..%d", seed, seed+50)
	return fixtures.Doc{}
}

// asJPEG passes a page through the JPEG a scanner writes and back into the
// form Split hands over, as InspectInk sees it in the pipeline.
func asJPEG(t *testing.T, img image.Image, dpi int) ocr.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	return ocr.Image{Data: buf.Bytes(), Format: "jpeg", Width: b.Dx(), Height: b.Dy(), DPI: float64(dpi)}
}

// TestBlankDetector sorts generated pages whose kind is known: separator
// sheets (clean, with noise and dust, degraded) must be Blank; a sheet with
// only a faint seal bleeding through must be NearBlank (it ends its
// document and stays with it); every page of real documents, at 200 and
// 300 dpi, clean and degraded, must not be Blank.
func TestBlankDetector(t *testing.T) {
	t.Parallel()
	type page struct {
		name string
		img  image.Image
		dpi  int
		want func(Blankness) bool
	}
	isBlank := func(b Blankness) bool { return b == Blank }
	isNear := func(b Blankness) bool { return b == NearBlank }
	notBlank := func(b Blankness) bool { return b != Blank }
	var cases []page
	for _, dpi := range []int{200, 300} {
		for seed := int64(1); seed <= 3; seed++ {
			cases = append(cases,
				page{fmt.Sprintf("blank clean %d dpi #%d", dpi, seed), fixtures.BlankSheet(dpi, false, seed), dpi, isBlank},
				page{fmt.Sprintf("blank degraded %d dpi #%d", dpi, seed), fixtures.BlankSheet(dpi, true, seed), dpi, isBlank})
		}
		d := sealedDoc(t, 4100)
		for _, strength := range []float64{0.12, 0.2, 0.3} {
			for _, deg := range []bool{false, true} {
				cases = append(cases, page{fmt.Sprintf("seal bleed %.2f degraded=%v %d dpi", strength, deg, dpi),
					fixtures.SealBleedSheet(d, dpi, deg, strength, int64(dpi)), dpi, isNear})
			}
		}
		for seed := int64(4200); seed < 4204; seed++ {
			for _, deg := range []bool{false, true} {
				imgs, err := fixtures.Render(fixtures.NewDoc(seed), fixtures.Options{DPI: dpi, Degrade: deg, Format: "pdf"})
				if err != nil {
					t.Fatal(err)
				}
				for i, img := range imgs {
					cases = append(cases, page{fmt.Sprintf("text doc %d page %d degraded=%v %d dpi", seed, i+1, deg, dpi), img, dpi, notBlank})
				}
			}
		}
	}
	// Dust far beyond what a scanner leaves (a thousand specks) is still
	// not a mark; a single line of print is.
	dusty := fixtures.BlankSheet(300, true, 9)
	speck(dusty, 1000, 9)
	cases = append(cases, page{"blank with 1000 extra specks", dusty, 300, isBlank})

	for _, c := range cases {
		ink, err := InspectInk(asJPEG(t, c.img, c.dpi))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !c.want(ink.Class()) {
			t.Errorf("%s: %v", c.name, ink)
		} else {
			t.Logf("%s: %v", c.name, ink)
		}
	}
}

// speck scatters n dark dots of one to two pixels, from seed.
func speck(img *image.RGBA, n int, seed uint32) {
	b := img.Bounds()
	x := seed
	next := func(m int) int { x = x*1664525 + 1013904223; return int(x>>8) % m }
	for range n {
		px, py, r := next(b.Dx()-2), next(b.Dy()-2), 1+next(2)
		for dy := 0; dy < r; dy++ {
			for dx := 0; dx < r; dx++ {
				o := img.PixOffset(px+dx, py+dy)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 60, 60, 60
			}
		}
	}
}

func TestBlanknessString(t *testing.T) {
	for b, want := range map[Blankness]string{Blank: "blank", NearBlank: "near-blank", Content: "content"} {
		if b.String() != want {
			t.Errorf("%d: %q, want %q", b, b.String(), want)
		}
	}
}
