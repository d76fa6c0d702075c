package pages

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// requirePoppler fails the test when poppler-utils is missing: Split needs
// it for any PDF page that is not a plain scan.
func requirePoppler(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run make setup (installs poppler-utils)", tool)
		}
	}
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// importedJPEGPDF returns a PDF pdfcpu made from the JPEGs, one full page
// each.
func importedJPEGPDF(t testing.TB, jpegs ...[]byte) []byte {
	t.Helper()
	var rs []io.Reader
	for _, j := range jpegs {
		rs = append(rs, bytes.NewReader(j))
	}
	var out bytes.Buffer
	if err := api.ImportImages(nil, &out, rs, pdfcpu.DefaultImportConfig(), model.NewDefaultConfiguration()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSplitPDFImportedJPEG(t *testing.T) {
	t.Parallel()
	j1, j2 := jpegBytes(t, 300, 400, 150), jpegBytes(t, 500, 350, 0)
	path := writeFile(t, "lo-12.pdf", importedJPEGPDF(t, j1, j2))
	if n, err := Count(t.Context(), path, Options{}); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2", n, err)
	}
	pages, err := collect(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("got %d pages, want 2", len(pages))
	}
	for i, want := range [][]byte{j1, j2} {
		p := pages[i]
		if p.N != i+1 || p.Image.Format != "jpeg" || p.TextLayer != nil {
			t.Errorf("page %d: N=%d format=%s text layer=%v", i+1, p.N, p.Image.Format, p.TextLayer != nil)
		}
		if !bytes.Equal(p.Image.Data, want) {
			t.Errorf("page %d: JPEG bytes differ from the imported file (re-encoded?)", i+1)
		}
		// pdfcpu places a full-page image at 72 dpi (a point a pixel).
		if p.Image.DPI != 72 {
			t.Errorf("page %d: DPI %v, want 72", i+1, p.Image.DPI)
		}
	}
}

// rawImagePDF writes a one-page PDF, 144×216 pt, whose page is the given
// image XObject drawn full page: 100 dpi for a 200×300 image.
func rawImagePDF(dict string, data []byte, content string) []byte {
	w := &pdfWriter{}
	img := w.stream("/Type /XObject /Subtype /Image "+dict, data)
	if content == "" {
		content = "q 144 0 0 216 0 0 cm /Im0 Do Q"
	}
	return pagesPDF(w, []pdfPageSpec{{
		mediaBox:  "0 0 144 216",
		resources: fmt.Sprintf("/XObject << /Im0 %d 0 R >>", img),
		content:   []byte(content),
	}})
}

func TestSplitPDFRawImages(t *testing.T) {
	t.Parallel()
	const w, h = 200, 300
	gray := testGray(w, h).Pix
	rgb := make([]byte, 0, w*h*3)
	src := testImage(w, h)
	for i := 0; i < len(src.Pix); i += 4 {
		rgb = append(rgb, src.Pix[i], src.Pix[i+1], src.Pix[i+2])
	}
	// One-bit gray: PDF 1 is white; stripes 8 pixels wide.
	bits := bytes.Repeat(append(bytes.Repeat([]byte{0x00, 0xff}, 12), 0x00), h)
	invBits := make([]byte, len(bits))
	for i, b := range bits {
		invBits[i] = ^b
	}
	// Indexed: 4 palette entries, 2 bits a pixel.
	palette := []byte{255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255}
	idx := make([]byte, 0, w/4*h)
	var idxRGB []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x += 4 {
			var b byte
			for k := 0; k < 4; k++ {
				v := byte((x + k + y) % 4)
				b |= v << (6 - 2*k)
				idxRGB = append(idxRGB, palette[3*v:3*v+3]...)
			}
			idx = append(idx, b)
		}
	}
	invGray := make([]byte, len(gray))
	for i, g := range gray {
		invGray[i] = ^g
	}
	tests := []struct {
		name  string
		dict  string
		data  []byte
		magic string
		pix   []byte
	}{
		{"gray flate", "/Width 200 /Height 300 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", deflate(gray), "P5", gray},
		{"rgb uncompressed", "/Width 200 /Height 300 /ColorSpace /DeviceRGB /BitsPerComponent 8", rgb, "P6", rgb},
		{"bilevel flate", "/Width 200 /Height 300 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode", deflate(bits), "P4", invBits},
		{"bilevel decode inverted", "/Width 200 /Height 300 /ColorSpace /DeviceGray /BitsPerComponent 1 /Decode [1 0] /Filter /FlateDecode", deflate(bits), "P4", bits},
		{"gray decode inverted", "/Width 200 /Height 300 /ColorSpace /DeviceGray /BitsPerComponent 8 /Decode [1 0]", gray, "P5", invGray},
		{"indexed 2-bit", "/Width 200 /Height 300 /ColorSpace [/Indexed /DeviceRGB 3 <FF000000FF000000FFFFFFFF>] /BitsPerComponent 2 /Filter /FlateDecode", deflate(idx), "P6", idxRGB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "scan.pdf", rawImagePDF(tt.dict, tt.data, ""))
			pages, err := collect(t, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := pages[0]
			if p.Image.Format != "pnm" || p.Image.DPI != 100 || p.TextLayer != nil {
				t.Fatalf("image %s %v dpi, text layer %v; want pnm 100 dpi, none", p.Image.Format, p.Image.DPI, p.TextLayer != nil)
			}
			magic, gw, gh, pix := pnmPixels(t, p.Image.Data)
			if magic != tt.magic || gw != w || gh != h {
				t.Fatalf("got %s %d×%d, want %s %d×%d", magic, gw, gh, tt.magic, w, h)
			}
			if !bytes.Equal(pix, tt.pix) {
				t.Error("pixels differ from the embedded image")
			}
		})
	}
}

// g4Strip returns page 1 of testdata/g4-2pages.tif: its size and its
// single G4 strip.
func g4Strip(t testing.TB) (w, h int, strip []byte) {
	t.Helper()
	f, err := os.Open("testdata/g4-2pages.tif")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tf, err := openTIFF(f, fileError{}, Options{MaxPages: 10})
	if err != nil {
		t.Fatal(err)
	}
	d, es, err := tf.readIFD(tf.ifds[0])
	if err != nil {
		t.Fatal(err)
	}
	offs, err1 := tf.ints(es[tagStripOffsets], 1)
	counts, err2 := tf.ints(es[tagStripByteCounts], 1)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	strip = make([]byte, counts[0])
	if _, err := f.ReadAt(strip, offs[0]); err != nil {
		t.Fatal(err)
	}
	return d.width, d.height, strip
}

// TestSplitPDFCCITT checks that a G4 image is passed through as a TIFF
// that means what the PDF means: libtiff's reading of the wrapped TIFF
// (which Split's TIFF path follows) must match poppler's rendering of the
// PDF, for both BlackIs1 settings.
func TestSplitPDFCCITT(t *testing.T) {
	t.Parallel()
	requirePoppler(t)
	w, h, strip := g4Strip(t)
	for _, blackIs1 := range []bool{false, true} {
		t.Run(fmt.Sprintf("BlackIs1=%v", blackIs1), func(t *testing.T) {
			t.Parallel()
			// 1642×560 pixels at 200 dpi.
			pw, ph := float64(w)*72/200, float64(h)*72/200
			pdf := rawImagePDF(
				fmt.Sprintf("/Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %d /Rows %d /BlackIs1 %v >>", w, h, w, h, blackIs1),
				strip, fmt.Sprintf("q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q", pw, ph))
			pdf = bytes.Replace(pdf, []byte("0 0 144 216"), fmt.Appendf(nil, "0 0 %.4f %.4f", pw, ph), 1)
			path := writeFile(t, "fax.pdf", pdf)
			pages, err := collect(t, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			img := pages[0].Image
			if img.Format != "tiff" || img.Width != w || img.Height != h || img.DPI != 200 {
				t.Fatalf("image %s %d×%d %v dpi, want tiff %d×%d 200 dpi", img.Format, img.Width, img.Height, img.DPI, w, h)
			}
			if !bytes.Contains(img.Data, strip) {
				t.Error("G4 data was not passed through unchanged")
			}
			wrapped, err := collect(t, writeFile(t, "wrapped.tif", img.Data), Options{})
			if err != nil {
				t.Fatalf("read the wrapped TIFF: %v", err)
			}
			_, _, _, bilevel := pnmPixels(t, wrapped[0].Image.Data)
			rendered, err := renderPage(t.Context(), path, 1, 200, true, pw, ph, Options{}.withDefaults())
			if err != nil {
				t.Fatal(err)
			}
			_, rw, rh, gray := pnmPixels(t, rendered.Data)
			if rw != w || rh != h {
				t.Fatalf("poppler rendered %d×%d, want %d×%d", rw, rh, w, h)
			}
			// Poppler smooths image edges, so compare only the pixels it
			// renders clearly black or white; an inverted reading would
			// disagree on nearly all of them.
			stride, diff, clear := (w+7)/8, 0, 0
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					g := gray[y*w+x]
					if g > 32 && g < 223 {
						continue
					}
					clear++
					if black := bilevel[y*stride+x/8]&(0x80>>(x%8)) != 0; black != (g < 128) {
						diff++
					}
				}
			}
			if frac := float64(diff) / float64(clear); frac > 0.02 {
				t.Errorf("wrapped TIFF and poppler disagree on %.1f%% of clear pixels", 100*frac)
			}
		})
	}
}

// latin1 returns s (all runes below 256) as Latin-1 bytes.
func latin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

func TestSplitPDFTextLayer(t *testing.T) {
	t.Parallel()
	requirePoppler(t)
	lines := []string{
		"ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
		"Quye\u0302\u0301t định về việc bổ nhiệm công chức",
		"Căn cứ Luật Tổ chức chính quyền địa phương",
	}
	wantText := "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI\nQuyết định về việc bổ nhiệm công chức\nCăn cứ Luật Tổ chức chính quyền địa phương"
	stamp := []string{"Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi", "Cơ quan: Tỉnh Quảng Ngãi", "Thời gian ký: 17/01/2025 13:33:13"}
	tcvn3 := []string{"UBND tØnh Qu¶ng Ng·i", "QuyÕt ®Þnh vÒ viÖc bæ nhiÖm c¸n bé c«ng chøc", "C¨n cø LuËt Tæ chøc chÝnh quyÒn ®Þa ph¬ng"}

	textOps := func(enc func(string) string, mode int, ls []string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "BT %d Tr /F1 14 Tf 18 TL 72 760 Td", mode)
		for _, l := range ls {
			fmt.Fprintf(&b, " (%s) Tj T*", enc(l))
		}
		return b.String() + " ET"
	}
	type built struct {
		pdf            []byte
		wantText       string
		wantX, wantY   int // first word's box corner at 100 dpi
		wantW, wantH   int // image size
		wantLayer      bool
		wantImageFmt   string
		wantFirstWords int
	}
	tests := []struct {
		name  string
		build func() built
	}{
		{"born-digital", func() built {
			w := &pdfWriter{}
			font, enc := unicodeFont(w, append(lines, stamp...)...)
			pdf := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 595 842", resources: fmt.Sprintf("/Font << /F1 %d 0 R >>", font), content: []byte(textOps(enc, 0, lines))}})
			return built{pdf: pdf, wantText: wantText, wantX: 100, wantY: (842 - 760) * 100 / 72, wantW: 827, wantH: 1170, wantLayer: true}
		}},
		{"born-digital with crop box", func() built {
			w := &pdfWriter{}
			font, enc := unicodeFont(w, lines...)
			pdf := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 595 842", extra: "/CropBox [36 36 559 806]", resources: fmt.Sprintf("/Font << /F1 %d 0 R >>", font), content: []byte(textOps(enc, 0, lines))}})
			return built{pdf: pdf, wantText: wantText, wantX: 50, wantY: (806 - 760) * 100 / 72, wantW: 727, wantH: 1070, wantLayer: true}
		}},
		{"legacy TCVN3 font", func() built {
			w := &pdfWriter{}
			font := w.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
			pdf := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 595 842", resources: fmt.Sprintf("/Font << /F1 %d 0 R >>", font), content: []byte(textOps(latin1, 0, tcvn3))}})
			return built{pdf: pdf, wantW: 827, wantH: 1170}
		}},
		{"too little text", func() built {
			w := &pdfWriter{}
			font, enc := unicodeFont(w, lines[0])
			pdf := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 595 842", resources: fmt.Sprintf("/Font << /F1 %d 0 R >>", font), content: []byte(textOps(enc, 0, lines[:1]))}})
			return built{pdf: pdf, wantW: 827, wantH: 1170}
		}},
		{"text only in a signature stamp annotation", func() built {
			w := &pdfWriter{}
			font, enc := unicodeFont(w, stamp...)
			ap := w.stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 200 60] /Resources << /Font << /F1 %d 0 R >> >>", font),
				[]byte(strings.ReplaceAll(strings.ReplaceAll(textOps(enc, 0, stamp), "14 Tf 18 TL 72 760 Td", "8 Tf 10 TL 2 50 Td"), "BT 0 Tr", "BT")))
			annot := w.add("<< /Type /Annot /Subtype /Stamp /Rect [380 770 580 830] /F 4 /AP << /N %d 0 R >> >>", ap)
			pdf := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 595 842", extra: fmt.Sprintf("/Annots [%d 0 R]", annot), content: []byte("0 0 1 rg 72 72 200 200 re f")}})
			return built{pdf: pdf, wantW: 827, wantH: 1170}
		}},
		{"invisible OCR text over a partial image", func() built {
			w := &pdfWriter{}
			font, enc := unicodeFont(w, lines...)
			img := w.stream("/Type /XObject /Subtype /Image /Width 200 /Height 300 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", deflate(testGray(200, 300).Pix))
			content := "q 300 0 0 450 100 300 cm /Im0 Do Q " + textOps(enc, 3, lines)
			pdf := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 595 842", resources: fmt.Sprintf("/Font << /F1 %d 0 R >> /XObject << /Im0 %d 0 R >>", font, img), content: []byte(content)}})
			return built{pdf: pdf, wantW: 827, wantH: 1170}
		}},
		{"scan with an invisible OCR layer", func() built {
			w := &pdfWriter{}
			font, enc := unicodeFont(w, lines...)
			img := w.stream("/Type /XObject /Subtype /Image /Width 200 /Height 300 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", deflate(testGray(200, 300).Pix))
			content := "q 144 0 0 216 0 0 cm /Im0 Do Q " + strings.Replace(textOps(enc, 3, lines), "72 760 Td", "10 200 Td", 1)
			pdf := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 144 216", resources: fmt.Sprintf("/Font << /F1 %d 0 R >> /XObject << /Im0 %d 0 R >>", font, img), content: []byte(content)}})
			return built{pdf: pdf, wantW: 200, wantH: 300, wantImageFmt: "pnm"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := tt.build()
			path := writeFile(t, "vb.pdf", b.pdf)
			pages, err := collect(t, path, Options{RenderDPI: 100})
			if err != nil {
				t.Fatal(err)
			}
			p := pages[0]
			if p.Image.Width != b.wantW || p.Image.Height != b.wantH {
				t.Errorf("image %d×%d, want %d×%d", p.Image.Width, p.Image.Height, b.wantW, b.wantH)
			}
			if b.wantImageFmt != "" && p.Image.Format != b.wantImageFmt {
				t.Errorf("image format %s, want %s", p.Image.Format, b.wantImageFmt)
			}
			if !b.wantLayer {
				if p.TextLayer != nil {
					t.Fatalf("got a text layer %q, want none (page must be OCR'd)", p.TextLayer.Text)
				}
				return
			}
			tl := p.TextLayer
			if tl == nil {
				t.Fatal("no text layer for a born-digital page")
			}
			if tl.Text != b.wantText {
				t.Errorf("text\n%q\nwant\n%q", tl.Text, b.wantText)
			}
			if tl.Confidence != 1 || tl.Width != p.Image.Width || tl.Height != p.Image.Height {
				t.Errorf("confidence %v, size %d×%d", tl.Confidence, tl.Width, tl.Height)
			}
			first := tl.Words[0]
			if first.Text != "ỦY" || first.Line != 0 || first.Confidence != 1 {
				t.Errorf("first word %+v", first)
			}
			if d := first.Box.Min.X - b.wantX; d < -3 || d > 3 {
				t.Errorf("first word starts at x=%d, want about %d", first.Box.Min.X, b.wantX)
			}
			// The box top is above the baseline by about the font's ascent.
			if top := first.Box.Min.Y; top > b.wantY || top < b.wantY-25 {
				t.Errorf("first word top at y=%d, want a little above the baseline at %d", top, b.wantY)
			}
			if last := tl.Words[len(tl.Words)-1]; last.Line != 2 || last.Text != "phương" {
				t.Errorf("last word %+v, want line 2 phương", last)
			}
		})
	}
}

func encryptedPDF(t testing.TB, userPW string) []byte {
	t.Helper()
	var out bytes.Buffer
	conf := model.NewAESConfiguration(userPW, "chủ-sở-hữu", 256)
	if err := api.Encrypt(bytes.NewReader(importedJPEGPDF(t, jpegBytes(t, 60, 80, 0))), &out, conf); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSplitPDFOwnerPasswordOnly(t *testing.T) {
	t.Parallel()
	// A PDF with only an owner password (permissions) opens without one:
	// it is not the clerk's problem.
	pages, err := collect(t, writeFile(t, "perm.pdf", encryptedPDF(t, "")), Options{})
	if err != nil || len(pages) != 1 || pages[0].Image.Format != "jpeg" {
		t.Fatalf("got %d pages, %v", len(pages), err)
	}
}

func TestSplitCancelled(t *testing.T) {
	t.Parallel()
	requirePoppler(t)
	w := &pdfWriter{}
	path := writeFile(t, "vector.pdf", pagesPDF(w, []pdfPageSpec{
		{mediaBox: "0 0 595 842", content: []byte("0 0 1 rg 72 72 200 200 re f")},
		{mediaBox: "0 0 595 842", content: []byte("0 0 1 rg 72 72 200 200 re f")},
	}))
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := Split(ctx, path, Options{RenderDPI: 50}, func(Page) error {
		calls++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err = %v after %d pages, want context.Canceled after 1", err, calls)
	}
	var ie *InputError
	if errors.As(err, &ie) {
		t.Fatal("cancellation reported as the clerk's input error")
	}
	stop := errors.New("stop")
	if err := Split(t.Context(), path, Options{RenderDPI: 50}, func(Page) error { return stop }); err != stop {
		t.Fatalf("error from fn came back as %v", err)
	}
}
