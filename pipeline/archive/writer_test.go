package archive

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"sohoa/ocr"
)

// TestMetadata checks the information dictionary and the XMP say the same,
// in Vietnamese, with the PDF/A-2b identification and the file structure
// PDF/A asks for.
func TestMetadata(t *testing.T) {
	needTool(t, "pdfinfo")
	t.Parallel()
	path := writeArchive(t, testMeta, realPage(t))

	info := run(t, "pdfinfo", "-isodates", path)
	for key, want := range map[string]string{
		"Title":        testMeta.Title,
		"Subject":      testMeta.Subject,
		"Author":       testMeta.Author,
		"Keywords":     testMeta.Keywords,
		"Producer":     testMeta.Producer,
		"CreationDate": "2025-01-16T09:30:00+07",
		"ModDate":      "2025-01-16T09:30:00+07",
		"PDF version":  "1.7",
		"Encrypted":    "no",
		"Pages":        "1",
	} {
		re := regexp.MustCompile(`(?m)^` + key + `: +(.*)$`)
		if m := re.FindStringSubmatch(info); m == nil || m[1] != want {
			t.Errorf("pdfinfo %s = %q, want %q", key, m, want)
		}
	}

	meta := run(t, "pdfinfo", "-meta", path)
	var x struct{} // well-formed XML is all xml.Unmarshal needs here
	if err := xml.Unmarshal([]byte(meta[strings.Index(meta, "<x:xmpmeta"):]), &x); err != nil {
		t.Errorf("XMP is not well-formed: %v", err)
	}
	for _, want := range []string{
		"<pdfaid:part>2</pdfaid:part>",
		"<pdfaid:conformance>B</pdfaid:conformance>",
		`<rdf:li xml:lang="x-default">Quyết định số 86/QĐ-UBND</rdf:li>`,
		"<rdf:li>ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI</rdf:li>",
		`<rdf:li xml:lang="x-default">Về việc bổ nhiệm vào ngạch Thanh tra viên</rdf:li>`,
		"<pdf:Keywords>quyết định, bổ nhiệm, thanh tra</pdf:Keywords>",
		"<pdf:Producer>sohoa test</pdf:Producer>",
		"<xmp:CreateDate>2025-01-16T09:30:00+07:00</xmp:CreateDate>",
		"<rdf:li>vi</rdf:li>",
	} {
		if !strings.Contains(meta, want) {
			t.Errorf("XMP lacks %s", want)
		}
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A header comment with four bytes above 127 marks the file binary.
	header, comment, _ := bytes.Cut(raw[:20], []byte("\n"))
	if string(header) != "%PDF-1.7" || len(comment) < 5 || comment[0] != '%' ||
		bytes.IndexFunc(comment[1:5], func(r rune) bool { return r < 0x80 }) >= 0 {
		t.Errorf("header is %q", raw[:16])
	}
	for _, re := range []string{
		`/Lang \(vi\)`,
		`/OutputIntents \[\d+ 0 R\]`,
		`/S /GTS_PDFA1 `,
		`/ID \[<[0-9A-F]{32}> <[0-9A-F]{32}>\]`,
		`(?s)%%EOF\n$`,
	} {
		if !regexp.MustCompile(re).Match(raw) {
			t.Errorf("file does not match %s", re)
		}
	}
	for _, forbidden := range []string{"/Encrypt", "/SMask", "/Transparency", "/LZWDecode", "/JavaScript"} {
		if bytes.Contains(raw, []byte(forbidden)) {
			t.Errorf("file has %s, which PDF/A forbids", forbidden)
		}
	}
}

func TestMetaDefaults(t *testing.T) {
	now := time.Date(2025, 7, 1, 8, 0, 0, 123, time.UTC)
	m := Meta{Title: " Tờ trình\n số 239 \x00"}.normalize(func() time.Time { return now })
	if m.Title != "Tờ trình  số 239" || m.Producer != "sohoa" || m.Lang != "vi" || !m.Created.Equal(now.Truncate(time.Second)) {
		t.Errorf("got %+v", m)
	}
	if got := pdfDate(time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("", -(5*3600+30*60)))); got != "D:20250102030405-05'30'" {
		t.Errorf("pdfDate = %s", got)
	}
	if got := textString("Đ"); got != "<FEFF0110>" {
		t.Errorf("textString(Đ) = %s", got)
	}
	if got := textString(`a(b)\c`); got != `(a\(b\)\\c)` {
		t.Errorf("textString = %s", got)
	}
	for in, want := range map[float64]string{0: "0", -0.0001: "0", 1.5: "1.5", 591.36: "591.36", 2.0 / 3: "0.667", 1e7: "10000000"} {
		if got := num(in); got != want {
			t.Errorf("num(%g) = %s, want %s", in, got, want)
		}
	}
}

// countingWriter counts what reaches it and throws it away.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// TestStreaming50Pages checks the writer streams: after AddPage returns, the
// page's bytes have reached the underlying writer, and the heap does not
// grow with the page count.
func TestStreaming50Pages(t *testing.T) {
	needTool(t, "pdfinfo")
	page := realPage(t)
	lossless := Page{Image: ocr.Image{Data: encodePNG(t, paper(1240, 1754, page.Text.Words[:40])), DPI: 150}}

	path := filepath.Join(t.TempDir(), "50.pdf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var count countingWriter
	w, err := NewWriter(io.MultiWriter(f, &count), testMeta)
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var images int64
	var base uint64
	for i := range 50 {
		p := page
		if i%10 == 9 {
			p = lossless
		}
		before := count.n
		if err := w.AddPage(p); err != nil {
			t.Fatal(err)
		}
		if count.n == before {
			t.Fatalf("page %d was not written out", i+1)
		}
		images += int64(len(p.Image.Data))
		if p.Image.Format == "jpeg" && count.n < images {
			t.Fatalf("after page %d, %d bytes were written, less than the %d bytes of JPEG so far", i+1, count.n, images)
		}
		if i == 9 {
			base = heap()
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Pages 11 to 50 add about 30 MB of output; the writer keeps offsets.
	if grown := int64(heap()) - int64(base); grown > 1<<20 {
		t.Errorf("heap grew by %d bytes over 40 pages (%d bytes written)", grown, count.n)
	}
	if n := len(pageSizes(t, path)); n != 50 {
		t.Errorf("pdfinfo counts %d pages, want 50", n)
	}
	validate(t, path)
}

// failingWriter fails once more than limit bytes are written.
type failingWriter struct{ limit, n int }

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n+len(p) > f.limit {
		return 0, errDiskFull
	}
	f.n += len(p)
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	page := realPage(t)
	t.Run("bad image is skipped, the archive goes on", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, testMeta)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddPage(Page{Image: ocr.Image{Data: []byte("GIF89a"), Format: "gif"}}); !errors.Is(err, ErrUnsupportedImage) {
			t.Fatalf("got %v, want ErrUnsupportedImage", err)
		}
		if err := w.AddPage(page); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := w.AddPage(page); !errors.Is(err, ErrClosed) {
			t.Errorf("AddPage after Close: %v", err)
		}
		disablePDFCPUConfig.Do(api.DisableConfigDir)
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationStrict
		if err := api.Validate(bytes.NewReader(buf.Bytes()), conf); err != nil {
			t.Errorf("pdfcpu: %v", err)
		}
	})
	t.Run("no pages", func(t *testing.T) {
		w, err := NewWriter(io.Discard, Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); !errors.Is(err, ErrNoPages) {
			t.Errorf("got %v, want ErrNoPages", err)
		}
	})
	t.Run("page beyond PDF's limits", func(t *testing.T) {
		w, err := NewWriter(io.Discard, Meta{})
		if err != nil {
			t.Fatal(err)
		}
		err = w.AddPage(Page{Image: ocr.Image{Data: page.Image.Data, DPI: 10}})
		if err == nil || !strings.Contains(err.Error(), "check the scan resolution") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("write failure sticks", func(t *testing.T) {
		if _, err := NewWriter(&failingWriter{limit: 100}, Meta{}); !errors.Is(err, errDiskFull) {
			t.Errorf("NewWriter: %v", err)
		}
		w, err := NewWriter(&failingWriter{limit: 200_000}, Meta{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := w.AddPage(page); !errors.Is(err, errDiskFull) {
				t.Errorf("AddPage %d: %v", i+1, err)
			}
		}
		if err := w.Close(); !errors.Is(err, errDiskFull) {
			t.Errorf("Close: %v", err)
		}
	})
}

// TestValidatorCatchesDamage makes sure the pdfcpu check run on every test
// archive can fail: damaged copies of a good archive must not pass.
func TestValidatorCatchesDamage(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddPage(Page{Image: ocr.Image{Data: encodeJPEG(t, paper(300, 400, nil))}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	disablePDFCPUConfig.Do(api.DisableConfigDir)
	for _, damage := range [][2]string{
		{"/Lang (vi)", "/Lang 5   "},
		{"/MediaBox", "/MediaBux"},
		{"/Subtype /CIDFontType2", "/Subtype /CIDFontType9"},
		{"/DW 500", "/DW (a)"},
	} {
		damaged := bytes.Replace(buf.Bytes(), []byte(damage[0]), []byte(damage[1]), 1)
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationStrict
		if err := api.Validate(bytes.NewReader(damaged), conf); err == nil {
			t.Errorf("pdfcpu accepted %s", damage[1])
		}
	}
}

func ExampleWriter() {
	var out bytes.Buffer
	w, err := NewWriter(&out, Meta{Title: "Quyết định số 86/QĐ-UBND", Lang: "vi"})
	if err != nil {
		fmt.Println(err)
		return
	}
	scan, _ := os.ReadFile(realJPEG)
	err = w.AddPage(Page{
		Image: ocr.Image{Data: scan, Format: "jpeg"},
		Text:  ocr.Page{Words: []ocr.Word{{Text: "QUYẾT"}, {Text: "ĐỊNH"}}}, // with boxes from OCR
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Close())
	// Output: <nil>
}
