package eval

import (
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, truth, got string
		edits, chars     int
	}{
		{"identical", "Về việc bổ nhiệm", "Về việc bổ nhiệm", 0, 16},
		{"inside more text", "bổ nhiệm", "QUYẾT ĐỊNH\nVề việc bổ nhiệm ông A", 0, 8},
		{"one accent lost", "bổ nhiệm", "bô nhiệm", 1, 8},
		{"white space runs", "a b\nc", "a  b c", 0, 5},
		{"nothing read", "abc", "", 3, 3},
		{"NFD against NFC", "việc", "vie\u0323\u0302c", 0, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, n := Errors(tt.truth, tt.got)
			if e != tt.edits || n != tt.chars {
				t.Fatalf("Errors = %d/%d, want %d/%d", e, n, tt.edits, tt.chars)
			}
		})
	}
}

func TestSame(t *testing.T) {
	t.Parallel()
	if !Same("UỶ BAN NHÂN DÂN", "ỦY BAN  NHÂN DÂN") {
		t.Error("ỦY/UỶ spellings and spaces should compare equal")
	}
	if Same("86/QĐ-UBND", "86/QD-UBND") {
		t.Error("a lost Đ must not compare equal")
	}
}

func TestScore(t *testing.T) {
	t.Parallel()
	labels, err := parseLabels(strings.NewReader("file\tdoc_type\tnumber\tissued_on\tissuer\tsubject\n"+
		"a.pdf\tquyet-dinh\t86/QĐ-UBND\t2025-01-16\tỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI\tVề việc X\n"+
		"b.pdf\tchi-thi\t04/CT-UBND\t2024-03-15\tỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI\tVề việc Y\n"), "labels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Score(labels, map[string]Read{
		"a.pdf": {Status: "digitized", DocType: "quyet-dinh", Number: "86/QĐ-UBND", IssuedOn: "2025-01-16", Issuer: "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", Subject: "Về việc X"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 2 || len(rep.Missing) != 1 || rep.Missing[0] != "b.pdf" {
		t.Fatalf("documents %d, missing %v", rep.Documents, rep.Missing)
	}
	for _, m := range rep.Metrics {
		if m.Correct != 1 || m.Total != 2 || m.Rate != 0.5 {
			t.Errorf("%s: %d/%d = %.2f, want 1/2", m.Name, m.Correct, m.Total, m.Rate)
		}
	}
}

func TestLabelsHeaderChecked(t *testing.T) {
	t.Parallel()
	if _, err := parseLabels(strings.NewReader("file\tpages\n"), "x.tsv"); err == nil || !strings.Contains(err.Error(), "doc_type") {
		t.Fatalf("err = %v, want a message naming the missing column", err)
	}
}
