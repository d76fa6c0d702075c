package extract

import (
	"image"
	"strings"
	"testing"
)

// TestIsMottoAt tells the motto from lines a letter away from it.
func TestIsMottoAt(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", true},
		{"CỘNG HOA XA HỘI CHỦ NGHIA VIỆT NAM", true}, // accents lost
		{"CỘNG HÒA XÃ", true},                        // the motto wrapped
		{"CỘNGHÒA XÃ HỘI CHỦ NGHĨA", true},
		{"Độc lập - Tự do - Hạnh phúc", true},
		{"Thôn Đông Hòa, xã Tịnh Sơn, huyện Sơn Tịnh", false},
		{"ĐÔNG HÒA XÃ TỊNH SƠN", false},
	} {
		var toks []token
		for i, w := range strings.Fields(tc.line) {
			toks = append(toks, newToken(w, 0.9, image.Rect(i*100, 0, i*100+90, 40)))
		}
		// As analyse and cutMotto look: at every word.
		got := false
		for j := range toks {
			got = got || isMottoAt(toks, j)
		}
		if got != tc.want {
			t.Errorf("the motto in %q: %v, want %v", tc.line, got, tc.want)
		}
	}
}
