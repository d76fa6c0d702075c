package archive

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/tiff"

	"sohoa/ocr"
)

// realG4 is the real page thresholded at mid-grey and compressed with
// libtiff into one CCITT Group 4 strip (see NOTICE.md).
const realG4 = "testdata/86_QD_CT-p1-g4.tif"

// g4Sample returns the real G4 page's size and its coded strip, read with
// a TIFF walk of its own so the tests do not trust the code under test.
func g4Sample(t testing.TB) (w, h int, strip []byte) {
	t.Helper()
	data, err := os.ReadFile(realG4)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if string(data[:4]) != "II*\x00" {
		t.Fatalf("%s is not a little-endian TIFF", realG4)
	}
	ifd := int(le.Uint32(data[4:]))
	var off, n int
	for k := range int(le.Uint16(data[ifd:])) {
		e := data[ifd+2+12*k:]
		v := int(le.Uint32(e[8:]))
		if le.Uint16(e[2:]) == 3 {
			v = int(le.Uint16(e[8:]))
		}
		switch le.Uint16(e) {
		case 256:
			w = v
		case 257:
			h = v
		case 273:
			off = v
		case 279:
			n = v
		}
	}
	return w, h, data[off : off+n]
}

// g4Bilevel is the real G4 page decoded: x/image/tiff reads a
// WhiteIsZero fax page as libtiff does.
func g4Bilevel(t testing.TB) *image.Gray {
	t.Helper()
	data, err := os.ReadFile(realG4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := m.(*image.Gray)
	if !ok {
		t.Fatalf("%s decodes to %T", realG4, m)
	}
	return g
}

// tiffTag is one IFD entry for tiffFile: type 3 (SHORT) or 4 (LONG) with
// one value.
type tiffTag struct {
	tag, typ uint16
	value    uint32
}

// tiffFile writes a one-page TIFF as the pages package does for a PDF's
// fax image: header, IFD, then the strip, whose offset it fills in (tag
// 273).
func tiffFile(order binary.AppendByteOrder, tags []tiffTag, strip []byte) []byte {
	tags = append(slices.Clone(tags), tiffTag{273, 4, 0})
	slices.SortFunc(tags, func(a, b tiffTag) int { return int(a.tag) - int(b.tag) })
	out := []byte("II*\x00")
	if order == binary.BigEndian {
		out = []byte("MM\x00*")
	}
	out = order.AppendUint32(out, 8)
	out = order.AppendUint16(out, uint16(len(tags)))
	stripOff := uint32(len(out) + 12*len(tags) + 4)
	for _, tg := range tags {
		if tg.tag == 273 {
			tg.value = stripOff
		}
		out = order.AppendUint16(out, tg.tag)
		out = order.AppendUint16(out, tg.typ)
		out = order.AppendUint32(out, 1)
		if tg.typ == 3 { // left-justified
			out = order.AppendUint16(out, uint16(tg.value))
			out = order.AppendUint16(out, 0)
		} else {
			out = order.AppendUint32(out, tg.value)
		}
	}
	out = order.AppendUint32(out, 0) // no next IFD
	return append(out, strip...)
}

// g4Tags are the tags the pages package writes around the G4 strip of a
// w × h page (pages.ccittToTIFF), and extra ones.
func g4Tags(w, h, photometric, n int, extra ...tiffTag) []tiffTag {
	tags := []tiffTag{
		{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 1}, {259, 3, 4},
		{262, 3, uint32(photometric)}, {277, 3, 1}, {278, 4, uint32(h)},
		{279, 4, uint32(n)}, {293, 4, 0},
	}
	for _, e := range extra {
		i := slices.IndexFunc(tags, func(t tiffTag) bool { return t.tag == e.tag })
		if i >= 0 {
			tags[i] = e
		} else {
			tags = append(tags, e)
		}
	}
	return tags
}

// ccittTIFF wraps the real page's G4 strip as the pages package does.
func ccittTIFF(t testing.TB, photometric int) []byte {
	t.Helper()
	w, h, strip := g4Sample(t)
	return tiffFile(binary.LittleEndian, g4Tags(w, h, photometric, len(strip)), strip)
}

// inverted returns a copy of a grey image with black and white swapped.
func inverted(g *image.Gray) *image.Gray {
	out := *g
	out.Pix = slices.Clone(g.Pix)
	for i := range out.Pix {
		out.Pix[i] = ^out.Pix[i]
	}
	return &out
}

// sameGray compares an image with a grey one quickly when it is grey too.
func sameGray(got image.Image, want *image.Gray) error {
	g, ok := got.(*image.Gray)
	if !ok || g.Rect != want.Rect {
		return samePixels(got, want, 0)
	}
	for y := range want.Rect.Dy() {
		gr, wr := g.Pix[y*g.Stride:][:g.Rect.Dx()], want.Pix[y*want.Stride:][:want.Rect.Dx()]
		if !bytes.Equal(gr, wr) {
			x := 0
			for gr[x] == wr[x] {
				x++
			}
			return fmt.Errorf("pixel (%d,%d) is %d, want %d", x, y, gr[x], wr[x])
		}
	}
	return nil
}

// TestFaxTIFFEmbeddedAsIs checks a single-strip G4 TIFF page goes into the
// archive as it is, and shows what libtiff (and so Tesseract) reads:
// white-coded runs are white with photometric WhiteIsZero and black with
// BlackIsZero.
func TestFaxTIFFEmbeddedAsIs(t *testing.T) {
	needTool(t, "pdfimages")
	t.Parallel()
	w, h, strip := g4Sample(t)
	libtiff, err := os.ReadFile(realG4)
	if err != nil {
		t.Fatal(err)
	}
	page := g4Bilevel(t)
	tests := []struct {
		name     string
		data     []byte
		want     *image.Gray
		blackIs1 bool
	}{
		{"as the pages package wraps it", ccittTIFF(t, 0), page, false},
		{"BlackIsZero", ccittTIFF(t, 1), inverted(page), true},
		{"big-endian", tiffFile(binary.BigEndian, g4Tags(w, h, 0, len(strip)), strip), page, false},
		// The IFD after the strip, RowsPerStrip past the height, more tags.
		{"as libtiff writes it", libtiff, page, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeArchive(t, testMeta, Page{Image: ocr.Image{Data: tt.data}})
			dict, stream, direct := imageStream(t, path)
			if !direct || !bytes.Equal(stream, strip) {
				t.Errorf("the image stream is not the TIFF's strip (%d bytes, want %d)", len(stream), len(strip))
			}
			wantDict := fmt.Sprintf("/Filter /CCITTFaxDecode /DecodeParms <</K -1 /Columns %d /Rows %d /EndOfBlock false /BlackIs1 %t>>", w, h, tt.blackIs1)
			if !strings.Contains(dict, wantDict) {
				t.Errorf("image dictionary %q lacks %q", dict, wantDict)
			}
			if err := sameGray(pdfImage(t, path), tt.want); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestFaxTIFFDecoded checks the G4 TIFFs PDF's filter cannot take as they
// are are decoded, and show what the embedded ones would.
func TestFaxTIFFDecoded(t *testing.T) {
	needTool(t, "pdfimages")
	t.Parallel()
	w, h, strip := g4Sample(t)
	page := g4Bilevel(t)
	reversed := slices.Clone(strip)
	for i, v := range reversed {
		reversed[i] = bits.Reverse8(v)
	}
	twoPages := ccittTIFF(t, 0)
	ifdSize := 2 + 12*int(binary.LittleEndian.Uint16(twoPages[8:]))
	binary.LittleEndian.PutUint32(twoPages[8+ifdSize:], uint32(len(twoPages)))
	twoPages = append(twoPages, twoPages[8:8+ifdSize]...)
	twoPages = binary.LittleEndian.AppendUint32(twoPages, 0)
	tests := []struct {
		name string
		data []byte
		want *image.Gray
	}{
		{"bits least significant first", tiffFile(binary.LittleEndian, g4Tags(w, h, 0, len(strip), tiffTag{266, 3, 2}), reversed), page},
		{"bits least significant first, BlackIsZero", tiffFile(binary.LittleEndian, g4Tags(w, h, 1, len(strip), tiffTag{266, 3, 2}), reversed), inverted(page)},
		{"uncompressed mode allowed", tiffFile(binary.LittleEndian, g4Tags(w, h, 0, len(strip), tiffTag{293, 4, 2}), strip), page},
		{"two pages", twoPages, page},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeArchive(t, testMeta, Page{Image: ocr.Image{Data: tt.data}})
			if dict, _, _ := imageStream(t, path); !strings.Contains(dict, "/FlateDecode") {
				t.Errorf("image dictionary %q: not decoded and compressed again", dict)
			}
			if err := sameGray(pdfImage(t, path), tt.want); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestReadFaxTIFF checks which TIFFs are taken for one G4 strip.
func TestReadFaxTIFF(t *testing.T) {
	const w, h = 100, 50
	strip := bytes.Repeat([]byte{0xaa}, 40)
	file := func(extra ...tiffTag) []byte {
		return tiffFile(binary.LittleEndian, g4Tags(w, h, 0, len(strip), extra...), strip)
	}
	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"the pages package's layout", file(), true},
		{"BlackIsZero", file(tiffTag{262, 3, 1}), true},
		{"bits in the usual order, said", file(tiffTag{266, 3, 1}), true},
		{"one strip taller than the page", file(tiffTag{278, 4, 1 << 20}), true},
		{"Group 3", file(tiffTag{259, 3, 3}), false},
		{"LZW", file(tiffTag{259, 3, 5}), false},
		{"8-bit samples", file(tiffTag{258, 3, 8}), false},
		{"RGB", file(tiffTag{262, 3, 2}), false},
		{"bits least significant first", file(tiffTag{266, 3, 2}), false},
		{"uncompressed mode allowed", file(tiffTag{293, 4, 2}), false},
		{"several strips", file(tiffTag{278, 4, 16}), false},
		{"tiled", file(tiffTag{322, 3, 16}), false},
		{"strip past the end", file(tiffTag{279, 4, 41}), false},
		{"empty strip", file(tiffTag{279, 4, 0}), false},
		{"no photometric", tiffFile(binary.LittleEndian, slices.DeleteFunc(g4Tags(w, h, 0, len(strip)), func(t tiffTag) bool { return t.tag == 262 }), strip), false},
		{"no width", tiffFile(binary.LittleEndian, slices.DeleteFunc(g4Tags(w, h, 0, len(strip)), func(t tiffTag) bool { return t.tag == 256 }), strip), false},
		{"IFD past the end", append([]byte("II*\x00\xff\x00\x00\x00"), strip...), false},
		{"IFD cut short", file()[:30], false},
		{"not a TIFF", []byte("P4\n1 1\n\x00"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := readFaxTIFF(tt.data)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (f.width != w || f.height != h || !bytes.Equal(f.strip, strip)) {
				t.Errorf("got %d×%d with %d bytes", f.width, f.height, len(f.strip))
			}
		})
	}
	dup := file()
	n := int(binary.LittleEndian.Uint16(dup[8:]))
	copy(dup[10+12*(n-1):10+12*n], dup[10:22]) // the last tag becomes the first again
	if _, ok := readFaxTIFF(dup); ok {
		t.Error("a TIFF naming a tag twice was taken")
	}
}
