package extract

import (
	"image"
	"strings"
	"testing"
	"unicode/utf8"

	"sohoa/ocr"
)

func TestDateVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{"clean", "Quảng Ngãi, ngày 16 tháng 01 năm 2025", "2025-01-16"},
		{"unpadded", "Tịnh Phong, ngày 5 tháng 3 năm 2024", "2024-03-05"},
		{"l and O", "Quảng Ngãi, ngày l6 tháng 0l năm 2O25", "2025-01-16"},
		{"ngàv", "Quảng Ngãi, ngàv 16 tháng O1 năm 2025", "2025-01-16"},
		{"no diacritics", "Quang Ngai, ngay 16 thang 01 nam 2025", "2025-01-16"},
		{"glued day", "Quảng Ngãi, ngày16 tháng 01 năm 2025", "2025-01-16"},
		{"same line as number", "Số: 86/QĐ-UBND   Quảng Ngãi, ngày 16 tháng 01 năm 2025", "2025-01-16"},
		// Unreadable handwritten day: no date, even though month and
		// year are clear.
		{"junk day", "Quảng Ngãi, ngày Íð tháng 3 năm 2024", ""},
		{"missing day", "Quảng Ngãi, ngày {tháng 02 năm 2025", ""},
		{"junk glued", "Quảng Ngãi, ngày@0 tháng 12 năm 2024", ""},
		{"impossible", "Quảng Ngãi, ngày 30 tháng 02 năm 2025", ""},
		{"month 13", "Quảng Ngãi, ngày 10 tháng 13 năm 2025", ""},
		{"five-digit year", "Tân Châu, ngày 28 tháng 02 năm 20335", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := Extract(textPage("ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\n" + tt.text + "\nQUYẾT ĐỊNH"))
			if f.Issued.Value != tt.want {
				t.Errorf("issued %q, want %q", f.Issued.Value, tt.want)
			}
			if tt.want == "" && f.Issued.Confidence != 0 {
				t.Errorf("confidence %.2f for no date", f.Issued.Confidence)
			}
		})
	}
}

func TestDateNotFromStampOrBody(t *testing.T) {
	t.Parallel()
	text := "Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi\nCơ quan: Tỉnh Quảng Ngãi\nThời gian ký: 10.05.2025 12:49:08\n" +
		"ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nSố: 239/TTr-UBND\nTỜ TRÌNH\n" +
		"Về việc bãi bỏ Nghị quyết số 24/2013/NQ-HĐND ngày 10/12/2013\n" +
		"Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;"
	if f := Extract(textPage(text)); f.Issued.Value != "" {
		t.Errorf("issued %q: taken from the stamp or the body", f.Issued.Value)
	}
	// The place-and-date line wins over a body date above it on the page.
	text = "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nngày 02 tháng 3 năm 2020\nQuảng Ngãi, ngày 16 tháng 01 năm 2025\nQUYẾT ĐỊNH"
	if f := Extract(textPage(text)); f.Issued.Value != "2025-01-16" {
		t.Errorf("issued %q, want the place-and-date line", f.Issued.Value)
	}
}

// TestClosingDate reads the date that closes a certificate or a
// certification, a line of its own in the right half of the page, when the
// OCR glued "ngày" to the place name or could not read the place; a date
// in running text at the margin stays no issue date.
func TestClosingDate(t *testing.T) {
	t.Parallel()
	page := func(closing string, x int) []ocr.Page {
		var words []ocr.Word
		line := 0
		add := func(x int, text string) {
			for _, w := range strings.Fields(text) {
				words = append(words, ocr.Word{Text: w, Box: image.Rect(x, 250+line*70, x+utf8.RuneCountInString(w)*30, 300+line*70), Confidence: 0.95, Line: line})
				x += utf8.RuneCountInString(w)*30 + 20
			}
			line++
		}
		add(300, "ỦY BAN NHÂN DÂN")
		add(300, "XÃ BÌNH THÀNH")
		add(800, "GIẤY CHỨNG NHẬN KẾT HÔN")
		add(200, "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014;")
		add(200, "Họ, chữ đệm, tên: NGUYỄN VĂN AN")
		add(x, closing)
		add(1400, "CHỦ TỊCH")
		return []ocr.Page{{Text: "", Words: words, Width: 2480, Height: 3508, Confidence: 0.95}}
	}
	for _, tc := range []struct {
		name, closing string
		x             int
		want          string
	}{
		{"comma read as „", "Cẩm Vinh„ngày 06 tháng 9 năm 2025", 1300, "2025-09-06"},
		{"comma and dash", "Chợ Mới,-ngày 19 tháng 6 năm 2023", 1300, "2023-06-19"},
		{"place unreadable", "Diệ £ kìhngày 06 tháng 6 năm 2022", 1300, "2022-06-06"},
		{"place unreadable, a smudge after", "Diệ £ kìhngày 06 tháng 6 năm 2022 _", 1300, "2022-06-06"},
		{"at the margin: running text", "Diệ £ kìhngày 06 tháng 6 năm 2022", 200, ""},
		{"words after it: running text", "nộp ngày 06 tháng 6 năm 2022 tại xã", 1300, ""},
	} {
		pages := page(tc.closing, tc.x)
		pages[0].Text = wordsText(pages[0].Words)
		if got := Extract(pages).Issued.Value; got != tc.want {
			t.Errorf("%s: issued %q, want %q", tc.name, got, tc.want)
		}
	}
}

// wordsText is a page's text from its words, a line a line.
func wordsText(words []ocr.Word) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			if w.Line != words[i-1].Line {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(w.Text)
	}
	return b.String()
}

// TestDateAfterSpeck: a land-use certificate's closing line shares its
// baseline with the register entry on the left; a speck the OCR read as
// "-" just before the place does not hide the wide gap that makes "Tuy
// Phước," the start of the right column.
func TestDateAfterSpeck(t *testing.T) {
	t.Parallel()
	var words []ocr.Word
	add := func(line, x int, text string) {
		words = append(words, ocr.Word{Text: text, Box: image.Rect(x, 250+line*70, x+utf8.RuneCountInString(text)*17, 280+line*70), Confidence: 0.95, Line: line})
	}
	add(0, 199, "b)")
	add(0, 240, "Địa")
	add(0, 300, "chỉ:")
	x := 199
	for _, w := range []string{"Số", "vào", "sổ", "cấp", "GCN:", "CS", "17489"} {
		add(1, x, w)
		x += utf8.RuneCountInString(w)*17 + 10
	}
	words = append(words, ocr.Word{Text: "-", Box: image.Rect(838, 316, 840, 318), Confidence: 0.56, Line: 1})
	x = 857
	for _, w := range []string{"Tuy", "Phước,", "ngày", "14", "tháng", "02", "năm", "2020"} {
		add(1, x, w)
		x += utf8.RuneCountInString(w)*17 + 10
	}
	// The closing line is on the certificate's second page.
	pages := []ocr.Page{textPage("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nGIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT")[0], {Words: words, Width: 1654, Height: 2339, Confidence: 0.95}}
	pages[1].Text = wordsText(words)
	if got := Extract(pages).Issued.Value; got != "2020-02-14" {
		t.Errorf("issued %q, want 2020-02-14", got)
	}
}
