package pages

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestCountLetters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		suspect bool // over maxSuspectRatio
	}{
		{"vietnamese", "Về việc bổ nhiệm vào ngạch Thanh tra viên và xếp lương đối với ông Bạch Đăng Ngọc", false},
		{"vietnamese capitals", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", false},
		{"english", "The committee decided to appoint the inspector from the first of January", false},
		{"french", "La décision du comité fut reçue avec enthousiasme, même à Noël", false},
		{"TCVN3 mojibake", "QuyÕt ®Þnh vÒ viÖc bæ nhiÖm c¸n bé c«ng chøc UBND tØnh Qu¶ng Ng·i", true},
		{"VNI mojibake", "Quyeát ñònh veà vieäc boå nhieäm caùn boä coâng chöùc", true},
		{"broken Unicode map", "\ufffd\ufffd\ufffd \ufffd\ufffd abc def \ufffd\ufffd\ufffd\ufffd", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, s := countLetters(tt.text)
			got := float64(s) > maxSuspectRatio*float64(l+s)
			if got != tt.suspect {
				t.Errorf("countLetters(%q) = %d letters, %d suspect: suspect=%v, want %v", tt.text, l, s, got, tt.suspect)
			}
		})
	}
}

// TestStampTextIsExcluded checks that the signature-stamp test in
// TestSplitPDFTextLayer gets no text layer because of the annotation rule:
// pdftotext does extract the stamp's words.
func TestStampTextIsExcluded(t *testing.T) {
	t.Parallel()
	requirePoppler(t)
	stamp := []string{"Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi", "Cơ quan: Tỉnh Quảng Ngãi", "Thời gian ký: 17/01/2025 13:33:13"}
	w := &pdfWriter{}
	font, enc := unicodeFont(w, stamp...)
	var ops strings.Builder
	ops.WriteString("BT /F1 8 Tf 10 TL 2 50 Td")
	for _, l := range stamp {
		fmt.Fprintf(&ops, " (%s) Tj T*", enc(l))
	}
	ops.WriteString(" ET")
	ap := w.stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 200 60] /Resources << /Font << /F1 %d 0 R >> >>", font), []byte(ops.String()))
	annot := w.add("<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [380 770 580 830] /F 4 /AP << /N %d 0 R >> >>", ap)
	path := writeFile(t, "stamp.pdf", pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 595 842", extra: fmt.Sprintf("/Annots [%d 0 R]", annot), content: []byte("0 0 1 rg 72 72 200 200 re f")}}))

	opts := Options{}.withDefaults()
	all, err := extractText(t.Context(), path, 1, 827, 1170, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if all == nil || !strings.Contains(all.Text, "Ký bởi") {
		t.Fatalf("pdftotext did not extract the stamp text: %+v", all)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := openPDF(t.Context(), f, fileError{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := doc.inspect(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(pp.annots) != 1 {
		t.Fatalf("found %d annotation rectangles, want 1", len(pp.annots))
	}
	if tl, err := extractText(t.Context(), path, 1, 827, 1170, pp.annots, opts); err != nil || tl != nil {
		t.Fatalf("text layer %v, %v; want none once the stamp is excluded", tl, err)
	}
}
