package extract

import (
	"testing"

	"sohoa/pipeline/vntext"
)

func TestIsMarkLine(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{
		{"CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", true},
		{"CHỨNG THỤC BẢN SAO ĐÚNG VÓI BẢN CHÍNH", true}, // misread marks
		{"THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", true},       // the seal took the first word
		{"ực BẢN SAO ĐÚNG VỚI BẢN CHÍNH", true},
		{"BẢN SAO ĐÚNG VỚI BẢN CHÍNH", true},
		// Body text of a document about certification is no stamp.
		{"thực khi bản sao đúng với bản chính.", false},
		{"chỉ khi bản sao đúng với bản chính", false},
		{"Về việc tăng cường quản lý nhà nước về công tác chứng thực", false},
	} {
		if got := isMarkLine(vntext.Fold(c.line)); got != c.want {
			t.Errorf("isMarkLine(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
