package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/pipeline/pages"
	"sohoa/storage/catalog"
)

func TestPagePlanApply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		from    PagePlan
		n       int
		ops     []string
		want    string // fmt of the plan, or "error"
		asIsNow bool
	}{
		{"rotate", nil, 3, []string{"rotate=2:90"}, "[{1 0} {2 90} {3 0}]", false},
		{"rotate twice and back", nil, 2, []string{"rotate=1:90,1:-90"}, "[{1 0} {2 0}]", true},
		{"anticlockwise", nil, 1, []string{"rotate=1:-90"}, "[{1 270}]", false},
		{"remove", nil, 4, []string{"remove=3"}, "[{1 0} {2 0} {4 0}]", false},
		{"order", nil, 3, []string{"order=3,1,2"}, "[{3 0} {1 0} {2 0}]", false},
		{"together, numbered as shown before", nil, 4, []string{"rotate=2:180", "remove=3", "order=2,1,4"}, "[{2 180} {1 0} {4 0}]", false},
		{"on a plan: numbers are the pages shown", PagePlan{{3, 0}, {1, 90}}, 3, []string{"remove=1"}, "[{1 90}]", false},
		{"reset", PagePlan{{3, 0}, {1, 90}}, 3, []string{"reset"}, "[{1 0} {2 0} {3 0}]", true},
		{"no such page", nil, 2, []string{"remove=3"}, "error", false},
		{"not a quarter", nil, 2, []string{"rotate=1:45"}, "error", false},
		{"order misses a page", nil, 3, []string{"order=2,1"}, "error", false},
		{"order repeats a page", nil, 3, []string{"order=2,2,1,3"}, "error", false},
		{"no page left", nil, 1, []string{"remove=1"}, "error", false},
		{"unknown op", nil, 1, []string{"flip=1"}, "error", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.from.Apply(tc.n, tc.ops)
			if tc.want == "error" {
				var oe *OpError
				if !errors.As(err, &oe) {
					t.Fatalf("Apply(%v) = %v, %v; want an *OpError", tc.ops, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply(%v): %v", tc.ops, err)
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("Apply(%v) = %v, want %s", tc.ops, got, tc.want)
			}
			if got.IsAsScanned(tc.n) != tc.asIsNow || (got.Pairs(tc.n) == nil) != tc.asIsNow {
				t.Errorf("IsAsScanned = %v, Pairs = %v; want as scanned: %v", got.IsAsScanned(tc.n), got.Pairs(tc.n), tc.asIsNow)
			}
		})
	}
}

// TestTurnPage: a page turned 90° clockwise has its sides swapped and
// its top-left corner at the top right; the text layer is dropped.
func TestTurnPage(t *testing.T) {
	t.Parallel()
	for _, gray := range []bool{true, false} {
		t.Run(fmt.Sprint("gray=", gray), func(t *testing.T) {
			var img image.Image
			if gray {
				g := image.NewGray(image.Rect(0, 0, 4, 2))
				for i := range g.Pix {
					g.Pix[i] = 255
				}
				g.SetGray(0, 0, color.Gray{0})
				img = g
			} else {
				c := image.NewNRGBA(image.Rect(0, 0, 4, 2))
				for i := range c.Pix {
					c.Pix[i] = 255
				}
				c.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})
				img = c
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			pg := pages.Page{N: 1, Image: ocr.Image{Data: buf.Bytes(), Format: "png", Width: 4, Height: 2, DPI: 200}, TextLayer: &ocr.Page{Text: "x"}}
			out, err := turnPage(pg, 90)
			if err != nil {
				t.Fatal(err)
			}
			if out.Image.Width != 2 || out.Image.Height != 4 || out.Image.Format != "pnm" || out.Image.DPI != 200 || out.TextLayer != nil {
				t.Fatalf("turned page: %dx%d %s dpi %v text layer %v", out.Image.Width, out.Image.Height, out.Image.Format, out.Image.DPI, out.TextLayer)
			}
			dec, _, err := image.Decode(bytes.NewReader(out.Image.Data))
			if err != nil {
				t.Fatalf("decode the turned page: %v", err)
			}
			for y := 0; y < 4; y++ {
				for x := 0; x < 2; x++ {
					r, _, _, _ := dec.At(x, y).RGBA()
					dark := r < 0x8000
					if want := x == 1 && y == 0; dark != want {
						t.Errorf("pixel (%d,%d) dark=%v, want %v", x, y, dark, want)
					}
				}
			}
		})
	}
}

// planCatalog is a catalog that knows page plans only.
type planCatalog struct {
	catalog.Catalog
	plan [][2]int
}

func (c planCatalog) PagePlan(context.Context, int64) ([][2]int, error) { return c.plan, nil }

// TestSplitDocThroughPlan: a record's pages come out in the planned
// order, numbered from 1, turned as planned, the pages left out skipped —
// the ones read before their turn held in temporary files, none left.
func TestSplitDocThroughPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var buf bytes.Buffer
	if _, err := fixtures.WriteStack(&buf, fixtures.StackOptions{Docs: 3, Seed: 77, DPI: 200, Format: "tiff", MaxPages: 1}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "stack.tif")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	var scanned []pages.Page
	if err := pages.Split(ctx, path, pages.Options{TempDir: tmp}, func(pg pages.Page) error {
		scanned = append(scanned, pg)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(scanned) != 5 {
		t.Fatalf("the stack has %d pages, want 5", len(scanned))
	}
	rec := catalog.Record{ID: 1, Source: "stack.tif"}
	for _, tc := range []struct {
		name string
		plan [][2]int
	}{
		{"as scanned", nil},
		{"reversed, one turned, two left out", [][2]int{{5, 0}, {3, 90}, {1, 0}}},
		{"last first", [][2]int{{5, 180}, {1, 0}, {2, 0}, {3, 0}, {4, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Pipeline{cfg: Config{Catalog: planCatalog{plan: tc.plan}, TempDir: tmp}}
			plan := PlanFromPairs(tc.plan)
			if plan == nil {
				plan = AsScanned(len(scanned))
			}
			if n, err := p.docPages(ctx, rec, len(scanned)); err != nil || n != len(plan) {
				t.Errorf("docPages = %d, %v; want %d", n, err, len(plan))
			}
			var got []pages.Page
			if err := p.splitDoc(ctx, rec, path, func(pg pages.Page) error {
				got = append(got, pg)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(plan) {
				t.Fatalf("%d pages, want %d", len(got), len(plan))
			}
			for i, pg := range got {
				src := scanned[plan[i].Page-1]
				w, h := src.Image.Width, src.Image.Height
				if plan[i].Rotate == 90 {
					w, h = h, w
				}
				if pg.N != i+1 || pg.Image.Width != w || pg.Image.Height != h {
					t.Errorf("page %d: N %d, %dx%d; want N %d, scanned page %d %dx%d", i+1, pg.N, pg.Image.Width, pg.Image.Height, i+1, plan[i].Page, w, h)
				}
				if plan[i].Rotate == 0 && !bytes.Equal(pg.Image.Data, src.Image.Data) {
					t.Errorf("page %d is not scanned page %d", i+1, plan[i].Page)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "*.page")); len(left) != 0 {
				t.Errorf("held pages left behind: %v", left)
			}
		})
	}
	// A plan naming a page the file lacks is the clerk's to fix.
	p := &Pipeline{cfg: Config{Catalog: planCatalog{plan: [][2]int{{6, 0}}}, TempDir: tmp}}
	var pe *permanentError
	if _, err := p.docPages(ctx, rec, len(scanned)); !errors.As(err, &pe) {
		t.Errorf("docPages with a plan past the file: %v, want a permanent error", err)
	}
}
