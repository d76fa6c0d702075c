package extract

import (
	"image"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sohoa/ocr"
)

// The fuzz targets: run one with
//
//	go test -run='^$' -fuzz='^FuzzNumber$' -fuzztime=30s ./pipeline/extract
//
// Their seed corpora are in testdata/fuzz/<name>/ plus the seeds they add.

// fuzzSeeds are header texts as OCR gives them, clean and garbled, and
// text a bad input could bring (binary bytes, huge numbers, no header).
var fuzzSeeds = []string{
	"ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nSố: 86/QĐ-UBND\nQuảng Ngãi, ngày 16 tháng 01 năm 2025\nQUYẾT ĐỊNH\nVề việc bổ nhiệm",
	"ỦY BAN NHÂN DÂN   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nXÃ TỊNH PHONG   Độc lập - Tự do - Hạnh phúc\nSố: 12/UBND-VP   Tịnh Phong, ngày 03 tháng 02 năm 2025",
	"Số:0+ /CT-UBND Quảng Ngãi, ngày Íð tháng 3 năm 2024\nCHỈ THỊ",
	"S6: 86IQD-UBND\nQuang Ngai, ngay l6 thang 0l nam 2O25",
	"Số: 05/2024/NQ-HĐND\nHỘI ĐỒNG NHÂN DÂN\nHUYỆN SƠN TỊNH",
	"Số: 123\nQuyển số: 01/2021\nGIẤY KHAI SINH",
	"CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH\nSố chứng thực: 2413, quyển số: 03/2017-SCT/BS\nDi Linh, ngày 13 tháng 3 năm 2017",
	"ngày 31 tháng 02 năm 2025\nngày 29 tháng 2 năm 2024\nngày 1 tháng 13 năm 1944",
	"V/v\nSố:\nngày tháng năm\n\f\fCS 05494",
	"Số: 99999999999999999999/QĐ",
	"\xff\xfeSố: \x00/",
	"%PDF-1.7\n1 0 obj << /Type /Catalog >>",
	"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
}

// fuzzLines makes the lines of one page from s, with word boxes (as the
// Tesseract engine gives them) when boxes is set, as plain text otherwise.
func fuzzLines(s string, boxes bool) []line {
	pg := ocr.Page{Text: s, Width: 1000}
	if boxes {
		for n, ln := range strings.Split(s, "\n") {
			for k, w := range strings.Fields(ln) {
				pg.Words = append(pg.Words, ocr.Word{Text: w, Line: n, Confidence: 0.5 + 0.5*float64(k%2),
					Box: image.Rect(k*90, n*40, k*90+80, n*40+30)})
			}
		}
	}
	return pageLines(pg)
}

// checkValue is what every extracted field promises: valid UTF-8 on one
// line, a confidence in [0, 1], and none without a value.
func checkValue(t *testing.T, name string, v Value) {
	t.Helper()
	if !utf8.ValidString(v.Value) || strings.ContainsAny(v.Value, "\n\f\x00") {
		t.Errorf("%s %q is not one line of valid UTF-8", name, v.Value)
	}
	if v.Confidence < 0 || v.Confidence > 1 || v.Confidence != v.Confidence {
		t.Errorf("%s confidence %v out of range", name, v.Confidence)
	}
	if v.Value == "" && v.Confidence != 0 {
		t.Errorf("%s empty with confidence %v", name, v.Confidence)
	}
}

// FuzzNumber fuzzes the số ký hiệu reader: the value it gives splits into
// a code and a notation, and names the header line it came from (or -1).
func FuzzNumber(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, boxes bool) {
		lines := fuzzLines(s, boxes)
		got := findNumber(lines, analyse(lines))
		checkValue(t, "number", got.value)
		if got.value.Value != "" {
			// -1 is a number found outside the header (a serial).
			if got.line < -1 || got.line >= len(lines) {
				t.Errorf("number %q from line %d of %d", got.value.Value, got.line, len(lines))
			}
			code, notation := SplitNumber(got.value.Value)
			if code == "" && notation == "" {
				t.Errorf("number %q splits into nothing", got.value.Value)
			}
		}
		book := findBook(lines, analyse(lines))
		checkValue(t, "book", book)
	})
}

// FuzzDate fuzzes the date reader: a date it gives exists, in ISO form,
// between 1945 and 2100; and parseDayMonthYear agrees with the calendar.
func FuzzDate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, false, "16", "01", "2025")
	}
	f.Add("", true, "31", "02", "2025")
	f.Add("", true, "l6", "O1", "2O25")
	f.Add("", true, "+5", "1", "2024")
	f.Fuzz(func(t *testing.T, s string, boxes bool, d, m, y string) {
		lines := fuzzLines(s, boxes)
		got := findDate(lines, analyse(lines))
		checkValue(t, "issued", got.value)
		if v := got.value.Value; v != "" {
			day, err := time.Parse("2006-01-02", v)
			if err != nil || day.Year() < 1945 || day.Year() > 2100 {
				t.Errorf("issued %q is not a date between 1945 and 2100: %v", v, err)
			}
		}
		iso, ok, _ := parseDayMonthYear(d, m, y)
		if ok {
			if _, err := time.Parse("2006-01-02", iso); err != nil {
				t.Errorf("parseDayMonthYear(%q, %q, %q) = %q: %v", d, m, y, iso, err)
			}
		} else if iso != "" {
			t.Errorf("parseDayMonthYear(%q, %q, %q) failed but gave %q", d, m, y, iso)
		}
	})
}

// FuzzIssuer fuzzes the issuing body reader (the header's left column, or
// the signer's body).
func FuzzIssuer(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, boxes bool) {
		lines := fuzzLines(s, boxes)
		checkValue(t, "issuer", findIssuer(lines, analyse(lines)))
		checkValue(t, "signer issuer", signerIssuer(lines))
	})
}

// FuzzExtract fuzzes Extract over pages split at form feeds.
func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var pages []ocr.Page
		for i, p := range strings.Split(s, "\f") {
			pg := ocr.Page{Text: p}
			if i%2 == 1 {
				// Odd pages carry word boxes, to fuzz that path too.
				pg.Width = 1000
				for n, ln := range strings.Split(p, "\n") {
					for k, w := range strings.Fields(ln) {
						pg.Words = append(pg.Words, ocr.Word{Text: w, Line: n, Confidence: 0.9,
							Box: image.Rect(k*90, n*40, k*90+80, n*40+30)})
					}
				}
			}
			pages = append(pages, pg)
		}
		got := Extract(pages)
		for name, v := range map[string]Value{"number": got.Number, "issued": got.Issued, "issuer": got.Issuer,
			"subject": got.Subject, "title": got.Title, "book": got.Book} {
			if !utf8.ValidString(v.Value) {
				t.Errorf("%s %q is not valid UTF-8", name, v.Value)
			}
			if v.Confidence < 0 || v.Confidence > 1 || v.Confidence != v.Confidence {
				t.Errorf("%s confidence %v out of range", name, v.Confidence)
			}
			if v.Value == "" && v.Confidence != 0 {
				t.Errorf("%s empty with confidence %v", name, v.Confidence)
			}
		}
		if got.Issued.Value != "" {
			if _, err := time.Parse("2006-01-02", got.Issued.Value); err != nil {
				t.Errorf("issued %q is not a valid date: %v", got.Issued.Value, err)
			}
		}
	})
}
