package archive

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sohoa/ocr"
)

// pngChunk encodes one PNG chunk: length, type, body and CRC.
func pngChunk(kind string, body []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	out = append(out, kind...)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// pngSpec describes a PNG for buildPNG. Go's encoder writes only 8- and
// 16-bit grey and colour, palettes, and never interlaces, so the tests make
// the other kinds themselves.
type pngSpec struct {
	width, height     int
	depth, colourType int
	interlaced        bool
	palette           []byte   // PLTE body
	extra             [][]byte // whole chunks between IHDR (and PLTE) and IDAT
	// pixels are the samples, one pixel after another from the top left,
	// each sample in a byte (two bytes, big-endian, at depth 16).
	pixels []byte
	// idatSize splits the zlib stream into IDAT chunks of this size; 0
	// writes one IDAT.
	idatSize int
}

// channels is the number of samples a pixel has in PNG colour type ct.
func channels(ct int) int {
	return map[int]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
}

func buildPNG(t testing.TB, s pngSpec) []byte {
	t.Helper()
	ch := channels(s.colourType)
	sampleBytes := 1
	if s.depth == 16 {
		sampleBytes = 2
	}
	pixelBytes := ch * sampleBytes
	// passes lists the Adam7 passes (x0, y0, dx, dy), or the whole image.
	passes := [][4]int{{0, 0, 1, 1}}
	if s.interlaced {
		passes = [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
	}
	var raw []byte
	for _, p := range passes {
		for y := p[1]; y < s.height; y += p[3] {
			var row []byte
			var acc, n int
			for x := p[0]; x < s.width; x += p[2] {
				px := s.pixels[(y*s.width+x)*pixelBytes:][:pixelBytes]
				if s.depth >= 8 {
					row = append(row, px...)
					continue
				}
				for _, v := range px { // sub-byte samples, packed MSB first
					acc = acc<<s.depth | int(v)
					if n += s.depth; n == 8 {
						row, acc, n = append(row, byte(acc)), 0, 0
					}
				}
			}
			if n > 0 {
				row = append(row, byte(acc<<(8-n)))
			}
			if len(row) > 0 {
				raw = append(append(raw, 0), row...) // filter type None
			}
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()

	ihdr := binary.BigEndian.AppendUint32(nil, uint32(s.width))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(s.height))
	interlace := byte(0)
	if s.interlaced {
		interlace = 1
	}
	ihdr = append(ihdr, byte(s.depth), byte(s.colourType), 0, 0, interlace)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	if s.palette != nil {
		out = append(out, pngChunk("PLTE", s.palette)...)
	}
	for _, c := range s.extra {
		out = append(out, c...)
	}
	data := z.Bytes()
	size := s.idatSize
	if size <= 0 {
		size = len(data)
	}
	for len(data) > 0 {
		n := min(size, len(data))
		out = append(out, pngChunk("IDAT", data[:n])...)
		data = data[n:]
	}
	return append(out, pngChunk("IEND", nil)...)
}

// grayPNG writes a grey image as a PNG of the given bit depth (1, 2, 4 or
// 8), keeping the top bits of each sample.
func grayPNG(t testing.TB, img *image.Gray, depth int) []byte {
	t.Helper()
	b := img.Bounds()
	pix := make([]byte, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			pix = append(pix, img.GrayAt(x, y).Y>>(8-depth))
		}
	}
	return buildPNG(t, pngSpec{width: b.Dx(), height: b.Dy(), depth: depth, colourType: 0, pixels: pix})
}

// imageStreamPattern finds the page image's dictionary and its /Length,
// direct or a reference to an object holding it.
var imageStreamPattern = regexp.MustCompile(`<</Type /XObject /Subtype /Image (.*) /Length (\d+)( 0 R)?>>\nstream\n`)

// imageStream returns the dictionary and the stream data of the only
// image in an archive, and whether its length was known before the data
// was written (as for data copied from the file).
func imageStream(t *testing.T, path string) (dict string, data []byte, direct bool) {
	t.Helper()
	pdf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := imageStreamPattern.FindAllSubmatchIndex(pdf, -1)
	if len(m) != 1 {
		t.Fatalf("found %d image streams, want 1", len(m))
	}
	n, _ := strconv.Atoi(string(pdf[m[0][4]:m[0][5]]))
	direct = m[0][6] < 0
	if !direct {
		lengthObj := regexp.MustCompile(fmt.Sprintf(`\n%d 0 obj\n(\d+)\nendobj`, n)).FindSubmatch(pdf)
		if lengthObj == nil {
			t.Fatalf("no length object %d", n)
		}
		n, _ = strconv.Atoi(string(lengthObj[1]))
	}
	return string(pdf[m[0][2]:m[0][3]]), pdf[m[0][1] : m[0][1]+n], direct
}

// pdfSamples decodes a Flate image stream as the PDF specification says a
// reader must: zlib, then the PNG predictors when /Predictor is 15, then
// samples of /BitsPerComponent bits in DeviceGray, DeviceRGB or Indexed
// (indices past hival take hival). It reads what the archive writes, not
// every PDF image.
func pdfSamples(t *testing.T, dict string, stream []byte) image.Image {
	t.Helper()
	num := func(key string) int {
		m := regexp.MustCompile(`/` + key + ` (\d+)`).FindStringSubmatch(dict)
		if m == nil {
			t.Fatalf("image dictionary %q has no /%s", dict, key)
		}
		v, _ := strconv.Atoi(m[1])
		return v
	}
	w, h, bpc := num("Width"), num("Height"), num("BitsPerComponent")
	colours := 1
	var lookup []byte
	hival := 0
	switch {
	case strings.Contains(dict, "/ColorSpace /DeviceGray"):
	case strings.Contains(dict, "/ColorSpace /DeviceRGB"):
		colours = 3
	default:
		m := regexp.MustCompile(`/ColorSpace \[/Indexed /DeviceRGB (\d+) <([0-9A-F]*)>\]`).FindStringSubmatch(dict)
		if m == nil {
			t.Fatalf("image dictionary %q has an unexpected colour space", dict)
		}
		hival, _ = strconv.Atoi(m[1])
		var err error
		if lookup, err = hex.DecodeString(m[2]); err != nil || len(lookup) != 3*(hival+1) {
			t.Fatalf("bad Indexed lookup (%d bytes for hival %d): %v", len(lookup), hival, err)
		}
	}
	if !strings.Contains(dict, "/Filter /FlateDecode") {
		t.Fatalf("image dictionary %q is not Flate", dict)
	}
	zr, err := zlib.NewReader(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("inflate the image: %v", err)
	}
	rowBytes := (w*colours*bpc + 7) / 8
	if strings.Contains(dict, "/Predictor 15") {
		if len(raw) != h*(rowBytes+1) {
			t.Fatalf("image data is %d bytes, want %d rows of 1 + %d", len(raw), h, rowBytes)
		}
		raw = unfilter(t, raw, rowBytes, max(1, colours*bpc/8))
	}
	if len(raw) != h*rowBytes {
		t.Fatalf("image samples are %d bytes, want %d rows of %d", len(raw), h, rowBytes)
	}
	sample := func(row []byte, i int) int { // the i-th sample of a row
		switch bpc {
		case 16:
			return int(binary.BigEndian.Uint16(row[2*i:]))
		case 8:
			return int(row[i])
		}
		bit := i * bpc
		return int(row[bit/8]>>(8-bpc-bit%8)) & (1<<bpc - 1)
	}
	maxval := 1<<bpc - 1
	img := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		row := raw[y*rowBytes:][:rowBytes]
		for x := range w {
			var c color.RGBA64
			switch {
			case lookup != nil:
				e := lookup[3*min(sample(row, x), hival):]
				c = color.RGBA64{uint16(e[0]) * 0x101, uint16(e[1]) * 0x101, uint16(e[2]) * 0x101, 0xffff}
			case colours == 1:
				v := uint16(sample(row, x) * 0xffff / maxval)
				c = color.RGBA64{v, v, v, 0xffff}
			default:
				c = color.RGBA64{uint16(sample(row, 3*x) * 0xffff / maxval), uint16(sample(row, 3*x+1) * 0xffff / maxval),
					uint16(sample(row, 3*x+2) * 0xffff / maxval), 0xffff}
			}
			img.SetRGBA64(x, y, c)
		}
	}
	return img
}

// samePixels16 compares two images flattened onto white at 16 bits a
// channel, allowing tol for rounding.
func samePixels16(got, want image.Image, tol int) error {
	if got.Bounds().Size() != want.Bounds().Size() {
		return fmt.Errorf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	gb, wb := got.Bounds(), want.Bounds()
	for y := range gb.Dy() {
		for x := range gb.Dx() {
			gr, gg, gbl := flatten16(got.At(gb.Min.X+x, gb.Min.Y+y))
			wr, wg, wbl := flatten16(want.At(wb.Min.X+x, wb.Min.Y+y))
			for _, d := range []int{int(gr) - int(wr), int(gg) - int(wg), int(gbl) - int(wbl)} {
				if abs(d) > tol {
					return fmt.Errorf("pixel (%d,%d) is %04X %04X %04X, want %04X %04X %04X", x, y, gr, gg, gbl, wr, wg, wbl)
				}
			}
		}
	}
	return nil
}

// pdfImage returns the archive's page image as pdfimages decodes it: 8
// bits a sample at most.
func pdfImage(t *testing.T, path string) image.Image {
	t.Helper()
	files := extractImages(t, path, "-png")
	if len(files) != 1 {
		t.Fatalf("pdfimages found %d images, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// idatOf returns a PNG's IDAT chunk bodies one after another: its zlib
// stream.
func idatOf(t *testing.T, data []byte) []byte {
	t.Helper()
	var out []byte
	for i := 8; i+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		if string(data[i+4:i+8]) == "IDAT" {
			out = append(out, data[i+8:i+8+n]...)
		}
		i += 12 + n
	}
	return out
}

// testSamples returns n pseudo-random samples below 1<<depth (two bytes
// each at depth 16) with runs, as scans have.
func testSamples(n, depth int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	size := 1
	if depth == 16 {
		size = 2
	}
	out := make([]byte, 0, n*size)
	var v uint64
	for range n {
		if r.IntN(4) == 0 {
			v = r.Uint64()
		}
		if depth == 16 {
			out = binary.BigEndian.AppendUint16(out, uint16(v))
		} else {
			out = append(out, byte(v&(1<<depth-1)))
		}
	}
	return out
}

// TestPNGPassthrough checks that a PNG PDF can read as it is goes into the
// archive unchanged: the image stream is the file's IDAT data byte for
// byte, and a PDF reader shows the pixels the PNG decoder does.
func TestPNGPassthrough(t *testing.T) {
	needTool(t, "pdfimages")
	t.Parallel()
	const w, h = 37, 23 // odd sizes: rows end inside a byte at low depths
	palette := func(n int) []byte {
		p := make([]byte, 3*n)
		for i := range p {
			p[i] = byte(i * 37)
		}
		return p
	}
	grey16 := image.NewGray16(image.Rect(0, 0, w, h))
	copy(grey16.Pix, testSamples(w*h, 16, 99))
	tests := []struct {
		name string
		spec pngSpec
		data []byte // instead of spec
	}{
		{"grey 1-bit", pngSpec{depth: 1, colourType: 0}, nil},
		{"grey 2-bit", pngSpec{depth: 2, colourType: 0}, nil},
		{"grey 4-bit", pngSpec{depth: 4, colourType: 0}, nil},
		{"grey 8-bit", pngSpec{depth: 8, colourType: 0}, nil},
		{"grey 16-bit", pngSpec{depth: 16, colourType: 0}, nil},
		{"RGB 8-bit", pngSpec{depth: 8, colourType: 2}, nil},
		{"RGB 16-bit", pngSpec{depth: 16, colourType: 2}, nil},
		{"palette 1-bit", pngSpec{depth: 1, colourType: 3, palette: palette(2)}, nil},
		{"palette 2-bit, indices past the palette", pngSpec{depth: 2, colourType: 3, palette: palette(3)}, nil},
		{"palette 4-bit", pngSpec{depth: 4, colourType: 3, palette: palette(16)}, nil},
		{"palette 8-bit, indices past the palette", pngSpec{depth: 8, colourType: 3, palette: palette(200)}, nil},
		{"many IDAT chunks", pngSpec{depth: 8, colourType: 2, idatSize: 50}, nil},
		{"ancillary chunks", pngSpec{depth: 8, colourType: 0, extra: [][]byte{
			pngChunk("gAMA", []byte{0, 0, 0xb1, 0x8f}), pngChunk("tEXt", []byte("Software\x00scanner")),
		}}, nil},
		// Go's encoder chooses among all five row filters.
		{"Go's encoder, colour", pngSpec{}, encodePNG(t, colourful(w, h))},
		{"Go's encoder, 16-bit grey", pngSpec{}, encodePNG(t, grey16)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, data := tt.spec, tt.data
			if data == nil {
				s.width, s.height = w, h
				s.pixels = testSamples(w*h*channels(s.colourType), s.depth, uint64(i))
				data = buildPNG(t, s)
			}
			s.depth, s.colourType = int(data[24]), int(data[25]) // from IHDR
			want, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			path := writeArchive(t, testMeta, Page{Image: ocr.Image{Data: data, DPI: 72}})

			dict, stream, _ := imageStream(t, path)
			if !bytes.Equal(stream, idatOf(t, data)) {
				t.Errorf("the image stream is not the PNG's IDAT data (%d bytes, want %d)", len(stream), len(idatOf(t, data)))
			}
			wantDict := fmt.Sprintf("/BitsPerComponent %d /Filter /FlateDecode /DecodeParms <</Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d>>",
				s.depth, channels(s.colourType), s.depth, w)
			if !strings.Contains(dict, wantDict) {
				t.Errorf("image dictionary %q lacks %q", dict, wantDict)
			}
			if err := samePixels16(pdfSamples(t, dict, stream), want, 0); err != nil {
				t.Errorf("read as the PDF specification says: %v", err)
			}
			// pdfimages exports 1-bit images as black and white whatever
			// their palette, and 16-bit samples at 8 bits with values
			// above 0xFF7F wrapping to 0.
			if (s.colourType != 3 || s.depth > 1) && s.depth < 16 {
				if err := samePixels(pdfImage(t, path), want, 0); err != nil {
					t.Errorf("read by pdfimages: %v", err)
				}
			}
		})
	}
}

// TestPNGDecodedWhenNeeded checks the PNGs PDF cannot hold as they are
// (alpha, transparency, interlacing) are decoded, alpha flattened onto
// white, and come out as the PNG decoder reads them.
func TestPNGDecodedWhenNeeded(t *testing.T) {
	needTool(t, "pdfimages")
	t.Parallel()
	const w, h = 29, 19 // Adam7 passes of uneven sizes
	tests := []struct {
		name string
		spec pngSpec
	}{
		{"interlaced grey", pngSpec{depth: 8, colourType: 0, interlaced: true}},
		{"interlaced 1-bit grey", pngSpec{depth: 1, colourType: 0, interlaced: true}},
		{"interlaced RGB", pngSpec{depth: 8, colourType: 2, interlaced: true}},
		{"interlaced palette", pngSpec{depth: 4, colourType: 3, interlaced: true, palette: bytes.Repeat([]byte{10, 200, 30}, 16)}},
		{"grey and alpha", pngSpec{depth: 8, colourType: 4}},
		{"RGBA 16-bit", pngSpec{depth: 16, colourType: 6}},
		{"grey with tRNS", pngSpec{depth: 8, colourType: 0, extra: [][]byte{pngChunk("tRNS", []byte{0, 7})}}},
		{"palette with tRNS", pngSpec{depth: 2, colourType: 3, palette: []byte{0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9},
			extra: [][]byte{pngChunk("tRNS", []byte{255, 128, 0})}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.spec
			s.width, s.height = w, h
			s.pixels = testSamples(w*h*channels(s.colourType), s.depth, uint64(100+i))
			data := buildPNG(t, s)
			want, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if p, err := preparePage(ocr.Image{Data: data}); err != nil || p.raster == nil {
				t.Fatalf("not decoded: raster %v, error %v", p.raster != nil, err)
			}
			path := writeArchive(t, testMeta, Page{Image: ocr.Image{Data: data, DPI: 72}})
			// Flattening alpha onto white at 8 bits may round either way.
			dict, stream, _ := imageStream(t, path)
			if err := samePixels16(pdfSamples(t, dict, stream), want, 0x101); err != nil {
				t.Errorf("read as the PDF specification says: %v", err)
			}
			if s.depth < 16 {
				if err := samePixels(pdfImage(t, path), want, 1); err != nil {
					t.Errorf("read by pdfimages: %v", err)
				}
			}
		})
	}
}

// TestDamagedPNG checks a PNG whose bytes are not the ones its encoder
// wrote is refused, not embedded: AddPage fails and writes nothing.
func TestDamagedPNG(t *testing.T) {
	t.Parallel()
	good := buildPNG(t, pngSpec{width: 40, height: 30, depth: 8, colourType: 0, pixels: testSamples(40*30, 8, 7), idatSize: 100})
	interlaced := buildPNG(t, pngSpec{width: 40, height: 30, depth: 8, colourType: 0, interlaced: true, pixels: testSamples(40*30, 8, 7)})
	firstIDAT := bytes.Index(good, []byte("IDAT"))
	iend := bytes.Index(good, []byte("IEND")) - 4
	flip := func(data []byte, at int) []byte {
		out := slices.Clone(data)
		out[at] ^= 0x10
		return out
	}
	// withIDAT replaces the image data by body, with a correct CRC.
	withIDAT := func(body []byte) []byte {
		out := slices.Clone(good[:firstIDAT-4])
		out = append(out, pngChunk("IDAT", body)...)
		return append(out, pngChunk("IEND", nil)...)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"a bit flipped in the image data", flip(good, firstIDAT+50)},
		{"a bit flipped in a later IDAT chunk", flip(good, iend-20)},
		{"a bit flipped in the header", flip(good, 16+3)},
		{"a bit flipped in a CRC", flip(good, firstIDAT+4+100)},
		{"a bit flipped in an interlaced file", flip(interlaced, bytes.Index(interlaced, []byte("IDAT"))+30)},
		{"cut before IEND", good[:iend]},
		{"cut inside a chunk", good[:firstIDAT+60]},
		{"image data that is not zlib", withIDAT([]byte("this is not a zlib stream"))},
		{"a zlib header with a preset dictionary", withIDAT([]byte{0x78, 0xbb, 0, 0, 0, 1, 3, 0, 0, 0, 0, 1})},
		{"image data too short", withIDAT([]byte{0x78, 0x9c, 3})},
		{"no image data", append(slices.Clone(good[:firstIDAT-4]), pngChunk("IEND", nil)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out countingWriter
			w, err := NewWriter(&out, testMeta)
			if err != nil {
				t.Fatal(err)
			}
			before := out.n
			err = w.AddPage(Page{Image: ocr.Image{Data: tt.data, Format: "png"}})
			if err == nil {
				t.Fatal("the damaged PNG was accepted")
			}
			if fe := png.FormatError(""); !errors.As(err, &fe) {
				t.Errorf("error %q is not a png.FormatError", err)
			}
			if out.n != before {
				t.Errorf("%d bytes were written for the refused page", out.n-before)
			}
		})
	}
}
