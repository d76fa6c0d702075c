package handwriting

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"reflect"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/ocr/tesseract"
)

// crop copies the part r of img (clipped to it) into an image of its own
// whose Bounds are that part.
func crop(img image.Image, r image.Rectangle) image.Image {
	r = r.Intersect(img.Bounds())
	out := image.NewRGBA(r)
	draw.Draw(out, r, img, r.Min, draw.Src)
	return out
}

// spy is a page image that notes which pixels are read.
type spy struct {
	image.Image
	read image.Rectangle
}

func (s *spy) At(x, y int) color.Color {
	s.read = s.read.Union(image.Rect(x, y, x+1, y+1))
	return s.Image.At(x, y)
}

func TestAreaIsAllRefineReads(t *testing.T) {
	t.Parallel()
	img, words := form(t, "115", "22")
	p := page(words, "Số: \\ỗ /TB-UBND\n\nTân Châu, ngày 2 tháng 7 năm 2023")
	a := Area(p, true)
	if a.Empty() || !Wants(p, true) {
		t.Fatalf("Area = %v, Wants = %v on a form with handwriting", a, Wants(p, true))
	}
	if a.Dy() > img.Bounds().Dy()/2 {
		t.Errorf("Area %v takes more than half of a %v page for two header lines", a, img.Bounds())
	}
	whole := Refine(p, img, true)
	s := &spy{Image: img}
	if got := Refine(p, s, true); !reflect.DeepEqual(got, whole) {
		t.Fatal("Refine read a page through At differently from its pixels")
	}
	if !s.read.In(a) {
		t.Fatalf("Refine read pixels %v, beyond Area %v", s.read, a)
	}
	if part := Refine(p, crop(img, a), true); !reflect.DeepEqual(part, whole) {
		t.Fatalf("Refine on Area %v:\n%+v\nwant, as on the whole page:\n%+v", a, part, whole)
	}
	if whole.Text == p.Text {
		t.Fatal("Refine read nothing: the comparison proves nothing")
	}
	if a := Area(page(nil, ""), true); !a.Empty() {
		t.Errorf("Area of an empty page = %v", a)
	}
}

// TestRefineOnEnginePixels runs Refine as the pipeline does on lossless
// pages: on the pixels of Area that the OCR engine kept from its own
// decode, instead of a second decode of the whole page in Go, and checks
// the result is the same, word for word.
func TestRefineOnEnginePixels(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and OCRs 6 pages")
	}
	docs := fixtures.TrainingSet(evalSeed+77, 6)
	e, err := tesseract.New(tesseract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	refined := 0
	for i, d := range docs {
		pages, err := fixtures.Render(d, fixtures.Options{DPI: 200, Degrade: i%2 == 0, Format: "png"})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, pages[0]); err != nil {
			t.Fatal(err)
		}
		decoded, err := png.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		b := decoded.Bounds()
		p, err := e.Recognize(context.Background(), ocr.Image{Data: buf.Bytes(), Format: "png", Width: b.Dx(), Height: b.Dy(), DPI: 200})
		if err != nil {
			t.Fatal(err)
		}
		a := Area(p, true)
		if a.Empty() {
			continue
		}
		part, ok := e.ReadRegion(a)
		if !ok {
			t.Fatalf("%s: the engine kept no pixels of a PNG page", d.DocType)
		}
		whole := Refine(p, decoded, true)
		if got := Refine(p, part, true); !reflect.DeepEqual(got, whole) {
			t.Errorf("%s: Refine on the engine's pixels of %v:\n%q\nwant, as on Go's decode of the page:\n%q", d.DocType, a, got.Text, whole.Text)
		}
		if whole.Text != p.Text {
			refined++
		}
	}
	if refined == 0 {
		t.Fatal("Refine changed no page: the comparison proves nothing")
	}
}
