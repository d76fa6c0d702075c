package pages

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"os"
	"path/filepath"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
)

func TestMain(m *testing.M) {
	// pdfcpu would otherwise write its configuration under the user's
	// config directory.
	api.DisableConfigDir()
	os.Exit(m.Run())
}

// writeFile writes b to a file named name in a fresh temporary directory.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// testImage is a deterministic image with structure (stripes and a
// gradient) so that pixel comparisons catch row or channel mix-ups.
func testImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x / 7 % 2) * 200), 255})
		}
	}
	return m
}

func testGray(w, h int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Pix[y*m.Stride+x] = uint8((x*3 + y*5) % 256)
		}
	}
	return m
}

// jpegBytes encodes a w×h JPEG; with dpi > 0 it carries a JFIF APP0
// segment giving that density (Go's encoder writes none).
func jpegBytes(t testing.TB, w, h int, dpi int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(w, h), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if dpi == 0 {
		return b
	}
	app0 := []byte{0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 1, byte(dpi >> 8), byte(dpi), byte(dpi >> 8), byte(dpi), 0, 0}
	return append(append(append([]byte{}, b[:2]...), app0...), b[2:]...)
}

// pngBytes encodes a w×h PNG; with dpi > 0 it carries a pHYs chunk.
func pngBytes(t testing.TB, w, h int, dpi float64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if dpi == 0 {
		return b
	}
	ppm := uint32(dpi/0.0254 + 0.5)
	data := binary.BigEndian.AppendUint32(nil, ppm)
	data = binary.BigEndian.AppendUint32(data, ppm)
	data = append(data, 1)
	ihdrEnd := 8 + 12 + 13
	out := append([]byte{}, b[:ihdrEnd]...)
	out = appendChunk(out, "pHYs", data)
	return append(out, b[ihdrEnd:]...)
}

func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// writeBigPNG writes a real, valid w×h one-bit PNG row by row, so the
// test never holds the image in memory.
func writeBigPNG(t testing.TB, path string, w, h int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 1, 0, 0, 0, 0) // 1-bit gray
	out = appendChunk(out, "IHDR", ihdr)
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+(w+7)/8)
	for y := 0; y < h; y++ {
		zw.Write(row)
	}
	zw.Close()
	out = appendChunk(out, "IDAT", idat.Bytes())
	out = appendChunk(out, "IEND", nil)
	if _, err := f.Write(out); err != nil {
		t.Fatal(err)
	}
}

// tiffPage is one page for writeTestTIFF.
type tiffPage struct {
	w, h        int
	bits, spp   int
	photometric int
	compression int // 1 or 8 (deflate)
	dpi         int
	pix         []byte // packed rows
}

// tiffBytes writes a little-endian multi-page TIFF, one strip per page.
func tiffBytes(t testing.TB, pages []tiffPage) []byte {
	t.Helper()
	le := binary.LittleEndian
	out := []byte("II*\x00\x00\x00\x00\x00")
	prevNext := 4 // where to patch the offset of the next IFD
	for _, p := range pages {
		data := p.pix
		if p.compression == 8 {
			var buf bytes.Buffer
			zw := zlib.NewWriter(&buf)
			zw.Write(p.pix)
			zw.Close()
			data = buf.Bytes()
		}
		stripOff := len(out)
		out = append(out, data...)
		if len(out)%2 == 1 {
			out = append(out, 0)
		}
		resOff := len(out)
		out = le.AppendUint32(out, uint32(p.dpi))
		out = le.AppendUint32(out, 1)
		bpsOff := len(out)
		for i := 0; i < p.spp; i++ {
			out = le.AppendUint16(out, uint16(p.bits))
		}
		type ent struct {
			tag, typ uint16
			count    uint32
			val      uint32
		}
		bps := ent{258, 3, uint32(p.spp), uint32(p.bits)}
		if p.spp > 2 {
			bps.val = uint32(bpsOff)
		}
		ents := []ent{
			{256, 4, 1, uint32(p.w)}, {257, 4, 1, uint32(p.h)}, bps,
			{259, 3, 1, uint32(p.compression)}, {262, 3, 1, uint32(p.photometric)},
			{273, 4, 1, uint32(stripOff)}, {277, 3, 1, uint32(p.spp)},
			{278, 4, 1, uint32(p.h)}, {279, 4, 1, uint32(len(data))},
			{282, 5, 1, uint32(resOff)}, {283, 5, 1, uint32(resOff)}, {296, 3, 1, 2},
		}
		if len(out)%2 == 1 {
			out = append(out, 0)
		}
		le.PutUint32(out[prevNext:], uint32(len(out)))
		out = le.AppendUint16(out, uint16(len(ents)))
		for _, e := range ents {
			out = le.AppendUint16(out, e.tag)
			out = le.AppendUint16(out, e.typ)
			out = le.AppendUint32(out, e.count)
			if e.typ == 3 && e.count == 1 {
				out = le.AppendUint16(out, uint16(e.val))
				out = le.AppendUint16(out, 0)
			} else {
				out = le.AppendUint32(out, e.val)
			}
		}
		prevNext = len(out)
		out = le.AppendUint32(out, 0)
	}
	return out
}

// pdfWriter writes small PDFs by hand, for page layouts pdfcpu's
// generators do not make (vector text with a Unicode map, raw-pixel
// images, annotations, empty page trees).
type pdfWriter struct{ objs [][]byte }

// add adds an object and returns its number.
func (w *pdfWriter) add(format string, args ...any) int {
	w.objs = append(w.objs, fmt.Appendf(nil, format, args...))
	return len(w.objs)
}

// stream adds a stream object with the given extra dictionary entries.
func (w *pdfWriter) stream(dict string, data []byte) int {
	b := fmt.Appendf(nil, "<< %s /Length %d >>\nstream\n", dict, len(data))
	b = append(b, data...)
	b = append(b, "\nendstream"...)
	w.objs = append(w.objs, b)
	return len(w.objs)
}

// reserve adds a placeholder object to fill in later with set.
func (w *pdfWriter) reserve() int { return w.add("null") }

func (w *pdfWriter) set(n int, format string, args ...any) {
	w.objs[n-1] = fmt.Appendf(nil, format, args...)
}

// bytes writes the file with the given catalog object.
func (w *pdfWriter) bytes(root int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(w.objs))
	for i, o := range w.objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(o)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(w.objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.objs)+1, root, xref)
	return b.Bytes()
}

// pdfPageSpec is one page for onePagePDF-style helpers.
type pdfPageSpec struct {
	mediaBox  string // e.g. "0 0 612 792"
	extra     string // extra page dictionary entries
	resources string
	content   []byte
}

// pagesPDF writes a PDF with the given pages; objects the pages refer to
// are added by prepare, which runs before the pages are added.
func pagesPDF(w *pdfWriter, pages []pdfPageSpec) []byte {
	pagesObj := w.reserve()
	var kids bytes.Buffer
	for _, p := range pages {
		c := w.stream("", p.content)
		n := w.add("<< /Type /Page /Parent %d 0 R /MediaBox [%s] /Resources << %s >> /Contents %d 0 R %s >>",
			pagesObj, p.mediaBox, p.resources, c, p.extra)
		fmt.Fprintf(&kids, "%d 0 R ", n)
	}
	w.set(pagesObj, "<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), len(pages))
	root := w.add("<< /Type /Catalog /Pages %d 0 R >>", pagesObj)
	return w.bytes(root)
}

// unicodeFont adds a Helvetica font whose ToUnicode map sends one byte
// code per distinct rune of texts to that rune (any string, so decomposed
// sequences test NFC), and returns the font object and an encoder from
// text to PDF string bytes. Helvetica draws the wrong glyphs; only the
// text extraction matters here.
func unicodeFont(w *pdfWriter, texts ...string) (int, func(string) string) {
	codes := map[string]byte{" ": ' '}
	var order []string
	next := byte('A')
	for _, t := range texts {
		for _, r := range splitClusters(t) {
			if _, ok := codes[r]; !ok {
				codes[r] = next
				order = append(order, r)
				next++
			}
		}
	}
	var cmap bytes.Buffer
	cmap.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n1 begincodespacerange <00> <FF> endcodespacerange\n")
	fmt.Fprintf(&cmap, "%d beginbfchar\n<20> <0020>\n", len(order)+1)
	for _, r := range order {
		fmt.Fprintf(&cmap, "<%02X> <", codes[r])
		for _, u := range []rune(r) {
			fmt.Fprintf(&cmap, "%04X", u)
		}
		cmap.WriteString(">\n")
	}
	cmap.WriteString("endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n")
	tu := w.stream("", cmap.Bytes())
	font := w.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>", tu)
	enc := func(s string) string {
		var b bytes.Buffer
		for _, r := range splitClusters(s) {
			c := codes[r]
			if c == '(' || c == ')' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	return font, enc
}

// splitClusters splits s into runes, keeping combining marks with their
// base so "e\u0302\u0301" is one code.
func splitClusters(s string) []string {
	var out []string
	for _, r := range s {
		if r >= 0x300 && r <= 0x36f && len(out) > 0 {
			out[len(out)-1] += string(r)
			continue
		}
		out = append(out, string(r))
	}
	return out
}

// collect splits path and returns all pages.
func collect(t testing.TB, path string, opts Options) ([]Page, error) {
	t.Helper()
	var pages []Page
	err := Split(t.Context(), path, opts, func(p Page) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

// pnmPixels returns the header fields and pixel bytes of a PNM image.
func pnmPixels(t testing.TB, b []byte) (magic string, w, h int, pix []byte) {
	t.Helper()
	magic, w, h, maxval, off, err := parsePNMHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	n := pnmSize(magic, w, h, maxval)
	if int64(len(b)-off) != n {
		t.Fatalf("PNM %s %d×%d has %d pixel bytes, want %d", magic, w, h, len(b)-off, n)
	}
	return magic, w, h, b[off:]
}
