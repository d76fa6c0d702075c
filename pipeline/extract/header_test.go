package extract

import (
	"image"
	"testing"

	"sohoa/ocr"
)

func TestIssuerVariants(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"two lines", "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nSố: 86/QĐ-UBND", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"},
		{"UỶ spelling", "UỶ BAN NHÂN DÂN\nXÃ TỊNH PHONG\nSố: 86/QĐ-UBND", "ỦY BAN NHÂN DÂN XÃ TỊNH PHONG"},
		{"lost diacritics", "UY BAN NHAN DAN\nTINH QUANG NGAI\nSố: 86/QĐ-UBND", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"},
		{"misread level word", "ỦY BAN NHÂN DÂN\nTĨNH QUẢNG NGÃI\nSố: 86/QĐ-UBND", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"},
		{"abbreviation kept", "UBND XÃ TỊNH PHONG\nSố: 86/QĐ-UBND", "UBND XÃ TỊNH PHONG"},
		{"council", "HỘI ĐỒNG NHÂN DÂN\nHUYỆN TƯ NGHĨA\nSố: 05/2024/NQ-HĐND", "HỘI ĐỒNG NHÂN DÂN HUYỆN TƯ NGHĨA"},
		{"flattened columns", "ỦY BAN NHÂN DÂN   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH QUẢNG NGÃI   Độc lập - Tự do - Hạnh phúc\nSố: 86/QĐ-UBND   Quảng Ngãi, ngày 16 tháng 01 năm 2025",
			"ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"},
		{"flattened without gap", "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH QUẢNG NGÃI Độc lập - Tự do - Hạnh phúc\nSố: 86/QĐ-UBND",
			"ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"},
		{"commune named like the motto", "ỦY BAN NHÂN DÂN\nXÃ ĐỨC LẬP HẠ\nSố: 86/QĐ-UBND", "ỦY BAN NHÂN DÂN XÃ ĐỨC LẬP HẠ"},
		{"three lines with dash", "UBND HUYỆN THANH BA\nPHÒNG TÀI CHÍNH - KẾ\nHOẠCH\nSố: 12/QĐ-PTCKH", "UBND HUYỆN THANH BA PHÒNG TÀI CHÍNH - KẾ HOẠCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if f := Extract(textPage(tt.text)); f.Issuer.Value != tt.want {
				t.Errorf("issuer %q, want %q", f.Issuer.Value, tt.want)
			}
		})
	}
}

// TestIssuerInterleavedBoxes is the real-scan case: Tesseract puts the
// header's left column and the motto on one text line; the word boxes
// tell them apart.
func TestIssuerInterleavedBoxes(t *testing.T) {
	t.Parallel()
	var words []ocr.Word
	add := func(line, x int, text string) {
		words = append(words, ocr.Word{Text: text, Box: image.Rect(x, 250+line*70, x+len(text)*30, 300+line*70), Confidence: 0.95, Line: line})
	}
	x := 420
	for _, w := range []string{"ỦY", "BAN", "NHÂN", "DÂN"} {
		add(0, x, w)
		x += len(w)*30 + 20
	}
	x = 1060
	for _, w := range []string{"CỘNG", "HÒA", "XÃ", "HỘI", "CHỦ", "NGHĨA", "VIỆT", "NAM"} {
		add(0, x, w)
		x += len(w)*30 + 20
	}
	x = 420
	for _, w := range []string{"TỈNH", "QUẢNG", "NGÃI"} {
		add(1, x, w)
		x += len(w)*30 + 20
	}
	x = 1260
	for _, w := range []string{"Độc", "lập", "-", "Tự", "do", "-", "Hạnh", "phúc"} {
		add(1, x, w)
		x += len(w)*30 + 20
	}
	page := ocr.Page{Width: 2480, Height: 3508, Words: words, Text: "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH QUẢNG NGÃI Độc lập - Tự do - Hạnh phúc"}
	f := Extract([]ocr.Page{page})
	if f.Issuer.Value != "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI" || f.Issuer.Confidence < 0.9 {
		t.Errorf("issuer %+v", f.Issuer)
	}
}
