package extract

import (
	"image"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sohoa/ocr"
)

func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nSố: 86/QĐ-UBND\nQuảng Ngãi, ngày 16 tháng 01 năm 2025\nQUYẾT ĐỊNH\nVề việc bổ nhiệm",
		"Số:0+ /CT-UBND Quảng Ngãi, ngày Íð tháng 3 năm 2024\nCHỈ THỊ",
		"S6: 86IQD-UBND\nQuang Ngai, ngay l6 thang 0l nam 2O25",
		"Số: 123\nQuyển số: 01/2021\nGIẤY KHAI SINH",
		"CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH\nSố chứng thực: 2413, quyển số: 03/2017-SCT/BS\nDi Linh, ngày 13 tháng 3 năm 2017",
		"V/v\nSố:\nngày tháng năm\n\f\fCS 05494",
		"Số: 99999999999999999999/QĐ",
		"\xff\xfeSố: \x00/",
	} {
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
