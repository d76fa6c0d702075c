package extract

import (
	"image"
	"testing"

	"sohoa/ocr"
)

func textPage(s string) []ocr.Page { return []ocr.Page{{Text: s, Confidence: 1}} }

func TestNumberVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line, want, symbol string
		minConf, maxConf   float64
	}{
		{"Số: 86/QĐ-UBND", "86/QĐ-UBND", "QĐ", 0.9, 1},
		{"Số: 86 /QĐ-UBND", "86/QĐ-UBND", "QĐ", 0.9, 1},
		{"Số:86/QĐ- UBND", "86/QĐ-UBND", "QĐ", 0.9, 1},
		{"S6: 86/QD-UBND", "86/QĐ-UBND", "QĐ", 0.8, 0.95},
		{"Sô: 239/TTR-UBND", "239/TTr-UBND", "TTr", 0.8, 1},
		{"Số: 574/UBND-KTTH", "574/UBND-KTTH", "", 0.9, 1},
		{"Số: 05/2024/NQ-HDND", "05/2024/NQ-HĐND", "NQ", 0.8, 0.95},
		{"Số: 15/QĐ-XPHC", "15/QĐ-XPHC", "QĐ", 0.9, 1},
		{"Số: 86IQĐ-UBND", "86/QĐ-UBND", "QĐ", 0.8, 0.95},
		{"Số: 86lQĐ-UBND", "86/QĐ-UBND", "QĐ", 0.8, 0.95},
		{"Số: 1O5/QĐ-UBND", "105/QĐ-UBND", "QĐ", 0.7, 0.9},
		{"Số: l2/CT-UBND", "12/CT-UBND", "CT", 0.7, 0.9},
		{"Số: 04/CT-UBND", "04/CT-UBND", "CT", 0.9, 1},
		// Print the OCR spoilt in the issuing body: a letter added, a
		// speck by the hyphen, a letter doubled with a tilde.
		{"Số: 36/TB-UBRND", "36/TB-UBND", "TB", 0.7, 0.9},
		{"Số: 39/TTr-.UBND", "39/TTr-UBND", "TTr", 0.8, 0.96},
		{"Số: 11/NÑV-HCTP", "11/NV-HCTP", "", 0.8, 0.91},
		// The slash and the type read as junk before "-UBND": kept for
		// the document's type to restore.
		{"Số: 312 øœ-UBND", "312/ØŒ-UBND", "", 0.3, 0.65},
		{"Số: 86/QĐÐ-UBND", "86/QĐ-UBND", "QĐ", 0.7, 0.85},
		{"Số: 12/ĐA-UBND", "12/ĐA-UBND", "ĐA", 0.9, 1},
		// A dot read for the hyphen.
		{"Số: 09/BC.UBND", "09/BC-UBND", "BC", 0.8, 0.95},
		// Dropped stroke: DA is dự án as well as a damaged ĐA; kept as read.
		{"Số: 12/DA-UBND", "12/DA-UBND", "DA", 0.7, 0.9},
		// Handwriting read as junk: the notation only, low confidence.
		{"Số:0+ /CT-UBND", "/CT-UBND", "CT", 0, 0.3},
		{"Số:4B /QĐ-XPHC", "/QĐ-XPHC", "QĐ", 0, 0.3},
		{"Số: @39_/TTr-UBND", "/TTr-UBND", "TTr", 0, 0.3},
		{"Số: $4/UBND-KTTH", "/UBND-KTTH", "", 0, 0.3},
		{"Số:       /QĐ-UBND", "/QĐ-UBND", "QĐ", 0, 0.3},
		// Junk after two clean digits: kept, but for review.
		{"Số: 86@ /QĐ-UBND", "86/QĐ-UBND", "QĐ", 0, 0.4},
		// Civil status: the entry number.
		{"Số: 123", "123", "", 0.9, 1},
		{"Số: 188/TLKH-BS", "188/TLKH-BS", "", 0.9, 1},
		// The slash read as a quote, or lost on both sides of the year.
		{"Số: 01 'BC-UBND", "01/BC-UBND", "BC", 0.7, 0.9},
		{"Số: 171 2017NQ-HDND", "171/2017/NQ-HĐND", "NQ", 0.6, 0.8},
		{"Số: 202/2019NQ-HĐND", "202/2019/NQ-HĐND", "NQ", 0.8, 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			f := Extract(textPage("ỦY BAN NHÂN DÂN\nXÃ TỊNH PHONG\n" + tt.line + "\nQUYẾT ĐỊNH"))
			if f.Number.Value != tt.want || f.Symbol != tt.symbol {
				t.Fatalf("number %q symbol %q, want %q %q", f.Number.Value, f.Symbol, tt.want, tt.symbol)
			}
			if c := f.Number.Confidence; c < tt.minConf || c > tt.maxConf {
				t.Errorf("confidence %.2f, want %.2f..%.2f", c, tt.minConf, tt.maxConf)
			}
		})
	}
}

func TestNumberNotFromBody(t *testing.T) {
	t.Parallel()
	f := Extract(textPage("QUYẾT ĐỊNH\nCăn cứ Nghị định số 118/2021/NĐ-CP ngày 23/12/2021;\nSở Tài chính tại Công văn số 287/STC-HCSN"))
	if f.Number.Value != "" {
		t.Errorf("number %q taken from the body", f.Number.Value)
	}
}

func TestSerialAndBook(t *testing.T) {
	t.Parallel()
	f := Extract(textPage("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nGIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT\nI. Người sử dụng đất\nCS 05494"))
	if f.Number.Value != "CS 05494" || f.Title.Value != "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT" {
		t.Errorf("land certificate: %+v", f)
	}
	f = Extract(textPage("ỦY BAN NHÂN DÂN\nXÃ TỊNH PHONG\nSố: 123\nQuyển số: 0l/2021\nGIẤY KHAI SINH"))
	if f.Number.Value != "123" || f.Book.Value != "01/2021" || f.Title.Value != "GIẤY KHAI SINH" {
		t.Errorf("birth certificate: %+v", f)
	}
}

func TestSplitNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"86/QĐ-UBND":      {"86", "QĐ-UBND"},
		"05/2024/NQ-HĐND": {"05/2024", "NQ-HĐND"},
		"/QĐ-UBND":        {"", "QĐ-UBND"},
		"123":             {"123", ""},
	} {
		if c, n := SplitNumber(in); c != want[0] || n != want[1] {
			t.Errorf("SplitNumber(%q) = %q, %q", in, c, n)
		}
	}
}

// TestNumberLabelAfterSpecks: specks of noise the OCR read as words before
// the label (": Si Số: 70 /KH-SKHĐT", the "Si" a 2-pixel dot) do not hide
// it; a real word there ("Quyển số:") still does.
func TestNumberLabelAfterSpecks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		first string
		box   image.Rectangle
		want  string
	}{
		{"Si", image.Rect(266, 286, 268, 288), "70/KH-SKHĐT"},
		{"Quyển", image.Rect(140, 270, 260, 310), ""},
		// A seal's edge read as capitals at no confidence is no word.
		{"“'AD;", image.Rect(140, 270, 260, 310), "70/KH-SKHĐT"},
	} {
		words := []ocr.Word{
			{Text: "ỦY", Box: image.Rect(300, 150, 350, 190), Confidence: 0.95, Line: 0},
			{Text: "BAN", Box: image.Rect(360, 150, 440, 190), Confidence: 0.95, Line: 0},
			{Text: ":", Box: image.Rect(51, 269, 53, 271), Confidence: 0.6, Line: 1},
			{Text: tt.first, Box: tt.box, Confidence: 0.43, Line: 1},
			{Text: "Số:", Box: image.Rect(323, 271, 367, 298), Confidence: 0.9, Line: 1},
			{Text: "70", Box: image.Rect(389, 258, 456, 314), Confidence: 0.8, Line: 1},
			{Text: "/KH-SKHĐT", Box: image.Rect(476, 277, 671, 307), Confidence: 0.91, Line: 1},
			{Text: "KẾ", Box: image.Rect(781, 378, 838, 415), Confidence: 0.97, Line: 2},
			{Text: "HOẠCH", Box: image.Rect(850, 388, 1001, 425), Confidence: 0.96, Line: 2},
		}
		page := ocr.Page{Width: 1654, Height: 2339, Words: words,
			Text: "ỦY BAN\n: " + tt.first + " Số: 70 /KH-SKHĐT\nKẾ HOẠCH"}
		if got := Extract([]ocr.Page{page}).Number.Value; got != tt.want {
			t.Errorf("before the label %q: number %q, want %q", tt.first, got, tt.want)
		}
	}
}

// TestBusinessCode reads a household business's code after its label,
// with the specks the OCR puts around it.
func TestBusinessCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ line, want string }{
		{"Mã số hộ kinh doanh: 74C2044227", "74C2044227"},
		{"Mã số hộ kinh doanh: 77A6952546 :", "77A6952546"},
		{": : Mã số hộ kinh doanh: 38E5190249", "38E5190249"},
		{"Mã số hộ kinh doanh: 38E5190249.", "38E5190249"},
		{"Mã số hộ kinh doanh: ——", ""},
	} {
		f := Extract(textPage("UBND HUYỆN KIẾN XƯƠNG\nPHÒNG TÀI CHÍNH - KẾ HOẠCH\nGIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH\n" + tc.line + "\nĐăng ký lần đầu: ngày 05/03/2015"))
		if f.Number.Value != tc.want {
			t.Errorf("%q: number %q, want %q", tc.line, f.Number.Value, tc.want)
		}
	}
}
