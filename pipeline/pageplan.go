package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"
	"slices"
	"strconv"
	"strings"

	"sohoa/ocr"
	"sohoa/pipeline/pages"
	"sohoa/storage/catalog"
)

// A clerk reviewing a record may find a sheet fed upside down, two pages
// swapped, or a stray sheet (a receipt, a blank back) in the document.
// The original stays as it was stored; the record gets a page plan saying
// which of its pages as scanned comes at each place and how far it is
// turned. Wherever the pipeline takes a record's pages (splitDoc: for OCR
// and for the archival PDF) it takes them through the plan, so after the
// record is processed again its text, word boxes, fields and archival PDF
// all follow the new plan, while what a person set on the record stays
// (keepReview).

// PlannedPage is one page of a document as a clerk arranged it.
type PlannedPage struct {
	// Page is the page of the record's range as scanned, from 1.
	Page int
	// Rotate is how far it is turned clockwise: 0, 90, 180 or 270.
	Rotate int
}

// PagePlan is a document's pages in order. The zero plan (nil) is the
// pages as scanned.
type PagePlan []PlannedPage

// AsScanned is the plan of n pages as scanned.
func AsScanned(n int) PagePlan {
	p := make(PagePlan, n)
	for i := range p {
		p[i].Page = i + 1
	}
	return p
}

// PlanFromPairs reads a plan as the catalog keeps it: [page, degrees]
// pairs; nil for none.
func PlanFromPairs(pairs [][2]int) PagePlan {
	if len(pairs) == 0 {
		return nil
	}
	p := make(PagePlan, len(pairs))
	for i, pr := range pairs {
		p[i] = PlannedPage{Page: pr[0], Rotate: pr[1]}
	}
	return p
}

// Pairs is the plan as the catalog keeps it; nil when it is the n pages
// as scanned, so the catalog keeps no plan.
func (p PagePlan) Pairs(n int) [][2]int {
	if p.IsAsScanned(n) {
		return nil
	}
	out := make([][2]int, len(p))
	for i, pp := range p {
		out[i] = [2]int{pp.Page, pp.Rotate}
	}
	return out
}

// IsAsScanned reports whether the plan is the n pages as scanned.
func (p PagePlan) IsAsScanned(n int) bool {
	return p == nil || slices.Equal(p, AsScanned(n))
}

// Check reports what is wrong with the plan for a record of n pages as
// scanned: a page out of range or twice, a turn that is not a quarter,
// or no page left.
func (p PagePlan) Check(n int) error {
	if p == nil {
		return nil
	}
	if len(p) == 0 {
		return errors.New("không còn trang nào: phải giữ ít nhất một trang (no page left: keep at least one)")
	}
	seen := map[int]bool{}
	for i, pp := range p {
		if pp.Page < 1 || pp.Page > n {
			return fmt.Errorf("trang %d của bản quét không có (there is no scanned page %d): hồ sơ có %d trang / the record has %d", pp.Page, pp.Page, n, n)
		}
		if seen[pp.Page] {
			return fmt.Errorf("trang %d của bản quét có hai lần (scanned page %d is there twice)", pp.Page, pp.Page)
		}
		seen[pp.Page] = true
		if pp.Rotate%90 != 0 || pp.Rotate < 0 || pp.Rotate >= 360 {
			return fmt.Errorf("trang %d: chỉ xoay 90, 180 hoặc 270 độ (page %d: turn by 90, 180 or 270 degrees)", i+1, i+1)
		}
	}
	return nil
}

// PageOpsHelp teaches the page operations Apply takes.
const PageOpsHelp = `  rotate=2:90        xoay trang 2 thêm 90° theo chiều kim đồng hồ (90, 180, 270; -90 ngược lại)
                     turn page 2 a further 90° clockwise (90, 180, 270; -90 the other way)
  remove=3           bỏ trang 3 khỏi hồ sơ (bản gốc vẫn giữ nguyên) / leave page 3 out (the original is kept)
  order=2,1,4        xếp lại: trang 2 trước, rồi 1, rồi 4 (liệt kê mọi trang còn giữ)
                     re-order: page 2 first, then 1, then 4 (list every page kept)
  reset              trở lại như bản quét / back to the pages as scanned
  Số trang là số đang thấy trên trang kiểm tra; nhiều thao tác áp dụng cùng lúc.
  Page numbers are those the review page shows now; the ops apply together.`

// Apply returns the plan after the clerk's ops on a record of n pages as
// scanned. Page numbers in the ops are the pages as the record shows them
// now (through p), all ops of one call counting from that same view:
// rotate=P:DEG (several as rotate=1:90,3:180), remove=P[,P…],
// order=P,P,… (every page not removed, once) and reset. A refused op
// is an *OpError saying what to write.
func (p PagePlan) Apply(n int, ops []string) (PagePlan, error) {
	cur := p
	if cur == nil {
		cur = AsScanned(n)
	}
	cur = slices.Clone(cur)
	removed := map[int]bool{}
	var order []int
	for _, op := range ops {
		name, arg, _ := strings.Cut(strings.TrimSpace(op), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		switch name {
		case "reset", "as_scanned":
			cur = AsScanned(n)
		case "rotate", "xoay":
			for _, one := range strings.Split(arg, ",") {
				pg, deg, ok := strings.Cut(one, ":")
				i, err := pagePos(pg, len(cur))
				if err != nil || !ok {
					return nil, opErrorf(op, "viết rotate=TRANG:ĐỘ, ví dụ rotate=2:90 (write rotate=PAGE:DEGREES, e.g. rotate=2:90)")
				}
				d, err := strconv.Atoi(strings.TrimSpace(deg))
				if err != nil || d%90 != 0 {
					return nil, opErrorf(op, "chỉ xoay 90, 180, 270 hoặc -90 độ (turn by 90, 180, 270 or -90 degrees)")
				}
				cur[i].Rotate = ((cur[i].Rotate+d)%360 + 360) % 360
			}
		case "remove", "bo":
			for _, one := range strings.Split(arg, ",") {
				i, err := pagePos(one, len(cur))
				if err != nil {
					return nil, opErrorf(op, "%v", err)
				}
				removed[i] = true
			}
		case "order", "thu_tu":
			order = order[:0]
			for _, one := range strings.Split(arg, ",") {
				i, err := pagePos(one, len(cur))
				if err != nil {
					return nil, opErrorf(op, "%v", err)
				}
				order = append(order, i)
			}
		default:
			return nil, opErrorf(op, "không có thao tác này; dùng rotate=, remove=, order= hoặc reset (no such op; use rotate=, remove=, order= or reset)")
		}
	}
	if order == nil {
		for i := range cur {
			order = append(order, i)
		}
	} else {
		seen := map[int]bool{}
		for _, i := range order {
			if seen[i] || removed[i] {
				return nil, opErrorf("order", "trang %d có hai lần hoặc đã bỏ (page %d is listed twice or removed)", i+1, i+1)
			}
			seen[i] = true
		}
		for i := range cur {
			if !seen[i] && !removed[i] {
				return nil, opErrorf("order", "thiếu trang %d: liệt kê mọi trang còn giữ, hoặc bỏ nó bằng remove=%d (page %d is missing: list every page kept, or remove=%d)", i+1, i+1, i+1, i+1)
			}
		}
	}
	var out PagePlan
	for _, i := range order {
		if !removed[i] {
			out = append(out, cur[i])
		}
	}
	if out == nil {
		out = PagePlan{}
	}
	if err := out.Check(n); err != nil {
		return nil, &OpError{msg: err.Error()}
	}
	return out, nil
}

func pagePos(s string, n int) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < 1 || v > n {
		return 0, fmt.Errorf("không có trang %q: hồ sơ có %d trang (there is no page %q: the record has %d)", strings.TrimSpace(s), n, strings.TrimSpace(s), n)
	}
	return v - 1, nil
}

// OpError is a page operation refused; Error is what the clerk reads.
type OpError struct{ msg string }

func (e *OpError) Error() string { return e.msg }

func opErrorf(op, format string, a ...any) error {
	return &OpError{msg: fmt.Sprintf("%s: %s", op, fmt.Sprintf(format, a...))}
}

// pagePlanner is the part of a catalog that keeps page plans
// (storage/catalog/sqlite has it).
type pagePlanner interface {
	// PagePlan returns the record's plan as [page, degrees] pairs; nil
	// for the pages as scanned.
	PagePlan(ctx context.Context, recordID int64) ([][2]int, error)
}

// pagePlan returns the record's plan; nil when it has none or the catalog
// keeps none.
func (p *Pipeline) pagePlan(ctx context.Context, r catalog.Record) (PagePlan, error) {
	pp, ok := p.cfg.Catalog.(pagePlanner)
	if !ok {
		return nil, nil
	}
	pairs, err := pp.PagePlan(ctx, r.ID)
	if err != nil {
		return nil, fmt.Errorf("read page plan of record %d: %w", r.ID, err)
	}
	return PlanFromPairs(pairs), nil
}

// docPages is how many pages the record has, of its original's total:
// its range, through its page plan.
func (p *Pipeline) docPages(ctx context.Context, r catalog.Record, total int) (int, error) {
	n, err := rangePages(r, total)
	if err != nil {
		return 0, err
	}
	plan, err := p.pagePlan(ctx, r)
	if err != nil || plan == nil {
		return n, err
	}
	if err := plan.Check(n); err != nil {
		return 0, &permanentError{msg: fmt.Sprintf("%s: cách sắp trang không hợp lệ (the page plan does not fit the file): %v — sắp lại trên trang kiểm tra (arrange the pages again on the review page)", r.Source, err)}
	}
	return len(plan), nil
}

// splitDoc calls fn with each page of the record in document order, the
// pages numbered from 1: those of its range (splitRange), through its
// page plan: turned as planned, in the planned order, the pages left out
// skipped. A page that comes before its turn waits in a temporary file,
// so memory holds one page at a time.
func (p *Pipeline) splitDoc(ctx context.Context, r catalog.Record, path string, fn func(pages.Page) error) error {
	plan, err := p.pagePlan(ctx, r)
	if err != nil {
		return err
	}
	if plan == nil {
		return p.splitRange(ctx, r, path, fn)
	}
	at := map[int]int{} // scanned page → its place in the plan, from 1
	for i, pp := range plan {
		at[pp.Page] = i + 1
	}
	next := 1
	waiting := map[int]heldPage{}
	defer func() {
		for _, h := range waiting {
			os.Remove(h.path)
		}
	}()
	emit := func(pg pages.Page) error {
		if err := fn(pg); err != nil {
			return err
		}
		next++
		for {
			h, ok := waiting[next]
			if !ok {
				return nil
			}
			delete(waiting, next)
			pg, err := h.load()
			if err != nil {
				return err
			}
			if err := fn(pg); err != nil {
				return err
			}
			next++
		}
	}
	err = p.splitRange(ctx, r, path, func(pg pages.Page) error {
		place, ok := at[pg.N]
		if !ok {
			return nil // left out of the document
		}
		if turn := plan[place-1].Rotate; turn != 0 {
			var err error
			if pg, err = turnPage(pg, turn); err != nil {
				return fmt.Errorf("turn page %d of %s: %w", pg.N, r.Source, err)
			}
		}
		pg.N = place
		if place == next {
			return emit(pg)
		}
		h, err := p.holdPage(pg)
		if err != nil {
			return err
		}
		waiting[place] = h
		return nil
	})
	if err != nil {
		return err
	}
	if next != len(plan)+1 {
		return &permanentError{msg: fmt.Sprintf("%s: tệp không có đủ các trang cách sắp trang cần (the file lacks pages the page plan names): sắp lại trên trang kiểm tra (arrange the pages again)", r.Source)}
	}
	return nil
}

// heldPage is a page waiting for its turn in a temporary file.
type heldPage struct {
	path string
	page pages.Page // without its image data
}

func (p *Pipeline) holdPage(pg pages.Page) (heldPage, error) {
	// "original": a page of the original, swept like its copy when a
	// worker is killed.
	f, err := os.CreateTemp(p.cfg.TempDir, tempPattern("original", ".page"))
	if err != nil {
		return heldPage{}, fmt.Errorf("hold page %d: %w", pg.N, err)
	}
	_, err = f.Write(pg.Image.Data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return heldPage{}, fmt.Errorf("hold page %d: %w", pg.N, err)
	}
	pg.Image.Data = nil
	return heldPage{path: f.Name(), page: pg}, nil
}

func (h heldPage) load() (pages.Page, error) {
	b, err := os.ReadFile(h.path)
	os.Remove(h.path)
	if err != nil {
		return pages.Page{}, fmt.Errorf("read held page %d: %w", h.page.N, err)
	}
	pg := h.page
	pg.Image.Data = b
	return pg, nil
}

// turnPage turns the page image deg degrees clockwise (90, 180, 270) and
// encodes it as PNM. A born-digital text layer is dropped: its boxes are
// those of the page unturned, so the page is read by OCR instead.
func turnPage(pg pages.Page, deg int) (pages.Page, error) {
	src, _, err := image.Decode(bytes.NewReader(pg.Image.Data))
	if err != nil {
		return pg, fmt.Errorf("decode %s image: %w", pg.Image.Format, err)
	}
	out := rotate(src, deg)
	var buf bytes.Buffer
	if err := encodePNM(&buf, out); err != nil {
		return pg, err
	}
	b := out.Bounds()
	pg.Image = ocr.Image{Data: buf.Bytes(), Format: "pnm", Width: b.Dx(), Height: b.Dy(), DPI: pg.Image.DPI}
	pg.TextLayer = nil
	return pg, nil
}

// rotate turns img deg degrees clockwise; a gray image stays gray, any
// other becomes RGBA.
func rotate(img image.Image, deg int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if deg == 90 || deg == 270 {
		dw, dh = h, w
	}
	// to maps the source pixel (x, y) to its place in the result.
	to := func(x, y int) (int, int) {
		switch deg {
		case 90:
			return h - 1 - y, x
		case 180:
			return w - 1 - x, h - 1 - y
		default: // 270
			return y, w - 1 - x
		}
	}
	if g, ok := img.(*image.Gray); ok {
		out := image.NewGray(image.Rect(0, 0, dw, dh))
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+w]
			for x, v := range row {
				tx, ty := to(x, y)
				out.Pix[ty*out.Stride+tx] = v
			}
		}
		return out
	}
	rgba, ok := img.(*image.RGBA)
	if !ok || b.Min != (image.Point{}) {
		rgba = image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			tx, ty := to(x, y)
			copy(out.Pix[ty*out.Stride+4*tx:ty*out.Stride+4*tx+4], rgba.Pix[y*rgba.Stride+4*x:y*rgba.Stride+4*x+4])
		}
	}
	return out
}

// encodePNM writes a gray image as binary PGM (P5), any other as PPM
// (P6): what the pages package hands on for TIFF pages, read by OCR and
// the archive writer alike without a compression pass.
func encodePNM(buf *bytes.Buffer, img image.Image) error {
	b := img.Bounds()
	w := bufio.NewWriter(buf)
	if g, ok := img.(*image.Gray); ok {
		fmt.Fprintf(w, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
		for y := 0; y < b.Dy(); y++ {
			w.Write(g.Pix[y*g.Stride : y*g.Stride+b.Dx()])
		}
		return w.Flush()
	}
	rgba := img.(*image.RGBA)
	fmt.Fprintf(w, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := 0; y < b.Dy(); y++ {
		row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*b.Dx()]
		for x := 0; x < len(row); x += 4 {
			w.Write(row[x : x+3])
		}
	}
	return w.Flush()
}
