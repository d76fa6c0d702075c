package vntext

import (
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Quyết định", "quyet dinh"},
		{"ĐẤT ĐAI", "dat dai"},
		{"ỦY BAN NHÂN DÂN", "uy ban nhan dan"},
		{"UỶ BAN", "uy ban"},
		// Decomposed input (NFD) folds like its composed form.
		{"Quye\u0302\u0301t", "quyet"},
		{"86/QĐ-UBND", "86/qd-ubnd"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldKeepsRuneCount(t *testing.T) {
	t.Parallel()
	s := "Về việc bổ nhiệm vào ngạch Thanh tra viên, Đăng Ngọc, Ủy ban"
	if a, b := utf8.RuneCountInString(NFC(s)), utf8.RuneCountInString(Fold(s)); a != b {
		t.Fatalf("rune count changed by folding: %d -> %d", a, b)
	}
}

func TestFoldTableMatchesSlowPath(t *testing.T) {
	t.Parallel()
	for r := rune(0); r < 0x3000; r++ {
		if got, want := FoldRune(r), foldRuneSlow(r); got != want {
			t.Fatalf("FoldRune(%U) = %U, slow path %U", r, got, want)
		}
	}
}

func BenchmarkFold(b *testing.B) {
	s := "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI Về việc bổ nhiệm vào ngạch Thanh tra viên và xếp lương đối với ông Bạch Đăng Ngọc"
	for i := 0; i < b.N; i++ {
		Fold(s)
	}
}
