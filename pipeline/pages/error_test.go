package pages

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func zipBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte("<w:document/>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSplitBadInputs(t *testing.T) {
	t.Parallel()
	requirePoppler(t)
	pdf := importedJPEGPDF(t, jpegBytes(t, 200, 300, 0))
	jpg := jpegBytes(t, 200, 300, 0)
	png := pngBytes(t, 50, 50, 0)
	tests := []struct {
		name string
		file string
		data []byte
		opts Options
		want Kind
		page int
		// say is a phrase the clerk's message must contain.
		say string
	}{
		{"empty file", "lo-1.pdf", nil, Options{}, Empty, 0, "tệp rỗng"},
		{"text file", "ghichu.pdf", []byte("Danh sách hồ sơ lưu trữ năm 2024\n"), Options{}, NotDocument, 0, "không phải tệp PDF"},
		{"zip (docx)", "quyet-dinh.docx", zipBytes(t), Options{}, NotDocument, 0, "xuất ra PDF"},
		{"unknown bytes", "x.bin", bytes.Repeat([]byte{0x13, 0x37}, 300), Options{}, NotDocument, 0, "not a PDF"},
		{"gif", "anh.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), Options{}, Unsupported, 0, "chưa được hỗ trợ"},
		{"truncated pdf", "lo-12.pdf", pdf[:len(pdf)*6/10], Options{}, Corrupt, 0, "tệp PDF bị hỏng hoặc không đầy đủ"},
		{"pdf header only", "lo-13.pdf", []byte("%PDF-1.7\n%garbage\n"), Options{}, Corrupt, 0, "sao chép lại tệp"},
		{"encrypted pdf", "mat.pdf", encryptedPDF(t, "mật-khẩu"), Options{}, Encrypted, 0, "mật khẩu"},
		{"pdf without pages", "rong.pdf", pagesPDF(&pdfWriter{}, nil), Options{}, NoPages, 0, "không có trang nào"},
		{"pdf with too many pages", "dai.pdf", importedJPEGPDF(t, jpg, jpg, jpg), Options{MaxPages: 2}, TooLarge, 0, "3 trang"},
		{"pdf page too large", "to.pdf", pdf, Options{MaxPixels: 1000}, TooLarge, 1, "300 dpi"},
		{"truncated jpeg", "anh.jpg", jpg[:len(jpg)/2], Options{}, Corrupt, 0, "tệp ảnh bị hỏng"},
		{"truncated png", "anh.png", png[:len(png)-20], Options{}, Corrupt, 0, "tệp ảnh bị hỏng"},
		{"jpeg header only", "anh2.jpg", jpg[:20], Options{}, Corrupt, 0, "quét lại"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, tt.file, tt.data)
			_, err := collect(t, path, tt.opts)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if ie.Kind != tt.want || ie.Page != tt.page {
				t.Fatalf("got %v on page %d (%v), want %v on page %d", ie.Kind, ie.Page, err, tt.want, tt.page)
			}
			msg := ie.Message()
			if !strings.HasPrefix(msg, tt.file) {
				t.Errorf("message %q does not start with the file name", msg)
			}
			if !strings.Contains(msg, tt.say) {
				t.Errorf("message %q does not say %q", msg, tt.say)
			}
			// Vietnamese first, then English in parentheses.
			if i := strings.Index(msg, " ("); i < 0 || !strings.HasSuffix(msg, ")") || strings.Contains(msg[:i], "the ") {
				t.Errorf("message %q is not Vietnamese followed by English", msg)
			}
			if !strings.HasPrefix(err.Error(), msg) || (ie.Err != nil && !strings.Contains(err.Error(), ie.Err.Error())) {
				t.Errorf("Error() = %q, want the message and the cause", err.Error())
			}
			// Count agrees with Split on whole-file problems.
			if tt.page == 0 {
				if _, err := Count(t.Context(), path, tt.opts); !errors.As(err, &ie) || ie.Kind != tt.want {
					t.Errorf("Count: %v, want %v", err, tt.want)
				}
			}
		})
	}
}

func TestMessageNamesPage(t *testing.T) {
	t.Parallel()
	e := &InputError{Kind: Corrupt, File: "lo-12.pdf", Page: 3, Err: fmt.Errorf("boom"), format: FormatPDF}
	want := "lo-12.pdf, trang 3: tệp PDF bị hỏng hoặc không đầy đủ — hãy quét lại hoặc sao chép lại tệp (page 3: the PDF is damaged or truncated: rescan or copy the file again)"
	if got := e.Message(); got != want {
		t.Errorf("Message() =\n%s\nwant\n%s", got, want)
	}
	if got := e.Error(); got != want+": boom" {
		t.Errorf("Error() = %s", got)
	}
	// Options.Name replaces the path's base name.
	path := writeFile(t, "upload-7f3a.tmp", nil)
	err := Split(t.Context(), path, Options{Name: "lo-12.pdf"}, func(Page) error { return nil })
	var ie *InputError
	if !errors.As(err, &ie) || ie.File != "lo-12.pdf" {
		t.Errorf("err = %v, want an InputError naming lo-12.pdf", err)
	}
}
