package extract

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// degradedDoc is one generated degraded scan as Tesseract read it, with the
// generator's truth (see testdata/degraded/README.md).
type degradedDoc struct {
	Truth struct {
		File     string `json:"file"`
		DocType  string `json:"doc_type"`
		Number   string `json:"number"`
		IssuedOn string `json:"issued_on"`
		Issuer   string `json:"issuer"`
		Subject  string `json:"subject"`
		Title    string `json:"title"`
	} `json:"truth"`
	Pages []ocr.Page `json:"pages"`
}

// loadDegraded reads the committed development set, or the file named by
// SOHOA_DEGRADED (a held-out set made the same way).
func loadDegraded(t testing.TB) []degradedDoc {
	t.Helper()
	path := "testdata/degraded/dev.json.gz"
	if p := os.Getenv("SOHOA_DEGRADED"); p != "" {
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var docs []degradedDoc
	if err := json.NewDecoder(zr).Decode(&docs); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return docs
}

// degradedScore counts one field over the degraded set.
type degradedScore struct {
	right, empty, wrong, wrongHigh, n int
}

func (s degradedScore) rate() float64 { return float64(s.right) / float64(max(1, s.n)) }

func (s degradedScore) String() string {
	return fmt.Sprintf("right %d/%d (%.1f%%), empty %d, wrong %d (confidence ≥ 0.8: %d)",
		s.right, s.n, 100*s.rate(), s.empty, s.wrong, s.wrongHigh)
}

func (s *degradedScore) add(got, want string, conf float64) bool {
	if want == "" {
		return true
	}
	s.n++
	switch {
	case got == want:
		s.right++
		return true
	case got == "":
		s.empty++
	default:
		s.wrong++
		if conf >= 0.8 {
			s.wrongHigh++
		}
	}
	return false
}

// monthOf is the "2019-08" of an ISO date.
func monthOf(iso string) string {
	if len(iso) < 7 {
		return ""
	}
	return iso[:7]
}

// TestDegradedScans measures extraction on Tesseract's reading of generated
// degraded scans: seals over text, handwritten numbers and days, blur,
// skew. The handwritten parts are mostly unreadable, so the number is
// scored on its notation and the date on month and year where the day was
// read; floors sit a little under what was measured.
func TestDegradedScans(t *testing.T) {
	docs := loadDegraded(t)
	fields := []string{"notation", "number", "issued", "month", "number*", "issued*", "issuer", "title", "subject"}
	floor := map[string]float64{}
	if os.Getenv("SOHOA_DEGRADED") == "" {
		// Measured on dev.json.gz: notation 87.5%, number* 76.7%,
		// issued* 81.7%, issuer 91.7%, title 100%, subject 83.8%.
		floor = map[string]float64{"notation": 0.82, "number*": 0.7, "issued*": 0.75, "issuer": 0.85, "title": 0.95, "subject": 0.75}
	}
	// Where OCR read the handwriting as digits, or a body date as the
	// issue date, the value must go to review, not through.
	sureNever := map[string]bool{"notation": true, "number": true, "issued": true, "number*": true, "issued*": true, "issuer": true}
	if os.Getenv("SOHOA_DEGRADED") != "" {
		sureNever = nil
	}
	sc := map[string]*degradedScore{}
	for _, k := range fields {
		sc[k] = &degradedScore{}
	}
	for _, d := range docs {
		f := Extract(d.Pages)
		filled := Extract(fillHandwriting(d))
		tr := d.Truth
		_, gotNot := SplitNumber(f.Number.Value)
		_, wantNot := SplitNumber(tr.Number)
		var bad []string
		check := func(k, got, want string, conf float64) {
			if !sc[k].add(got, want, conf) {
				bad = append(bad, fmt.Sprintf("%s: got %q (%.2f), want %q", k, got, conf, want))
			}
		}
		check("notation", gotNot, wantNot, f.Number.Confidence)
		check("number", f.Number.Value, tr.Number, f.Number.Confidence)
		check("issued", f.Issued.Value, tr.IssuedOn, f.Issued.Confidence)
		check("month", monthOf(f.Issued.Value), monthOf(tr.IssuedOn), f.Issued.Confidence)
		check("number*", filled.Number.Value, tr.Number, filled.Number.Confidence)
		check("issued*", filled.Issued.Value, tr.IssuedOn, filled.Issued.Confidence)
		check("issuer", f.Issuer.Value, canonicalUpper(tr.Issuer), f.Issuer.Confidence)
		check("title", f.Title.Value, tr.Title, f.Title.Confidence)
		check("subject", f.Subject.Value, vntext.NFC(tr.Subject), f.Subject.Confidence)
		if len(bad) > 0 && testing.Verbose() {
			t.Logf("%s (%s):\n\t%s", tr.File, tr.DocType, strings.Join(bad, "\n\t"))
		}
	}
	for _, k := range fields {
		t.Logf("%-8s %v", k, sc[k])
		if fl, ok := floor[k]; ok && sc[k].rate() < fl {
			t.Errorf("%s: %.3f right, floor %.2f", k, sc[k].rate(), fl)
		}
		if sureNever[k] && sc[k].wrongHigh > 0 {
			t.Errorf("%s: %d wrong with confidence ≥ 0.8", k, sc[k].wrongHigh)
		}
	}
}

// fillHandwriting returns the first pages of d with the handwritten number
// and day replaced by the truth's digits, as the handwriting reader
// (pipeline/handwriting) gives them: the words between the "Số:" label and
// the printed "/QĐ-UBND", and between "ngày" and "tháng", become one word
// of digits; boxes and lines are kept. Scores on these pages ("number*",
// "issued*") say what extraction makes of the number and date once the
// digits are there.
func fillHandwriting(d degradedDoc) []ocr.Page {
	pages := append([]ocr.Page(nil), d.Pages...)
	if len(pages) == 0 {
		return pages
	}
	p := pages[0]
	words := append([]ocr.Word(nil), p.Words...)
	byLine := map[int][]int{}
	for i, w := range words {
		byLine[w.Line] = append(byLine[w.Line], i)
	}
	drop := map[int]bool{}
	replace := func(from, to int, ln []int, digits string) {
		if to-from < 2 || digits == "" {
			return
		}
		first := words[ln[from+1]]
		box := first.Box
		for k := from + 1; k < to; k++ {
			box = box.Union(words[ln[k]].Box)
			drop[ln[k]] = true
		}
		drop[ln[from+1]] = false
		words[ln[from+1]] = ocr.Word{Text: digits, Box: box, Confidence: 0.9, Line: first.Line}
	}
	code, _ := SplitNumber(d.Truth.Number)
	if i := strings.Index(code, "/"); i >= 0 {
		code = code[:i] // "05/2024": the year is printed
	}
	day := ""
	if len(d.Truth.IssuedOn) == 10 {
		day = d.Truth.IssuedOn[8:]
	}
	for n := 0; n < 12; n++ {
		ln := byLine[n]
		for a, ia := range ln {
			f := strings.Trim(vntext.Fold(words[ia].Text), ":;.,")
			if a < 2 && (f == "so" || f == "s6" || f == "$o") && isNumber(code) {
				for b := a + 1; b < len(ln) && b <= a+4; b++ {
					if strings.HasPrefix(words[ln[b]].Text, "/") {
						replace(a, b, ln, code)
						break
					}
				}
			}
			if strings.HasSuffix(f, "ngay") || f == "ngav" {
				for b := a + 1; b < len(ln) && b <= a+4; b++ {
					if distance(vntext.Fold(words[ln[b]].Text), "thang") <= 1 {
						replace(a, b, ln, day)
						break
					}
				}
			}
		}
	}
	var kept []ocr.Word
	for i, w := range words {
		if !drop[i] {
			kept = append(kept, w)
		}
	}
	p.Words = kept
	pages[0] = p
	return pages
}

// TestDegradedExample is a degraded scan's first page as Tesseract gives
// it: junk under the motto, the handwritten number and day read as junk,
// the slash read as a comma, a speck before the subject.
func TestDegradedExample(t *testing.T) {
	t.Parallel()
	page := func(number, day string) []ocr.Page {
		return textPage("UY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n" +
			"HUYỆN VŨ THƯ Độc lập - Tự do - Hạnh phúc\n" +
			"xẻ —— tt - `5 CÓ - Hạnh phục\n" +
			"số: " + number + " Vũ Thư, ngày " + day + " tháng 8 năm 2019\n" +
			"| QUYẾT ĐỊNH _\n" +
			"_ Về việc phê duyệt báo cáo kinh tế - kỹ thuật công trình tuyến dường ĐH 12\n" +
			"UỶ BAN NHÂN DÂN HUYỆN VŨ THƯ\n" +
			"Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;")
	}
	tests := []struct {
		number, day          string
		wantNumber, wantDate string
		maxNumberConf        float64
	}{
		{"“L? ,QD-UBND", "ÌO —", "/QĐ-UBND", "", 0.3},
		{"115 /QĐ-UBND", "22", "115/QĐ-UBND", "2019-08-22", 1},
		{"115 ,QD-UBND", "+5", "115/QĐ-UBND", "", 0.85},
	}
	for _, tt := range tests {
		t.Run(tt.number+" "+tt.day, func(t *testing.T) {
			f := Extract(page(tt.number, tt.day))
			if f.Number.Value != tt.wantNumber || f.Number.Confidence > tt.maxNumberConf {
				t.Errorf("number %q (%.2f), want %q at most %.2f", f.Number.Value, f.Number.Confidence, tt.wantNumber, tt.maxNumberConf)
			}
			if f.Issued.Value != tt.wantDate {
				t.Errorf("issued %q, want %q", f.Issued.Value, tt.wantDate)
			}
			if f.Issuer.Value != "ỦY BAN NHÂN DÂN HUYỆN VŨ THƯ" {
				t.Errorf("issuer %q", f.Issuer.Value)
			}
			if f.Title.Value != "QUYẾT ĐỊNH" {
				t.Errorf("title %q", f.Title.Value)
			}
			if want := "Về việc phê duyệt báo cáo kinh tế - kỹ thuật công trình tuyến dường ĐH 12"; f.Subject.Value != want {
				t.Errorf("subject %q, want %q", f.Subject.Value, want)
			}
		})
	}
}
