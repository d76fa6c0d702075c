package review

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	today := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		arg, field, value string // value "" with field "": refused
	}{
		{"doc_type=quyet-dinh", "doc_type", "quyet-dinh"},
		{"loai=Quyết định", "doc_type", "quyet-dinh"},
		{"type=quyet dinh", "doc_type", "quyet-dinh"},
		{"field=Hộ tịch", "field", "ho-tich"},
		{"ngay=16/01/2025", "issued_on", "2025-01-16"},
		{"issued_on=2025-01-16", "issued_on", "2025-01-16"},
		{"issued-on=16.1.2025", "issued_on", "2025-01-16"},
		{"so=  86/QĐ-UBND ", "number", "86/QĐ-UBND"},
		{"number=", "number", ""},
		{"subject=Về việc   cấp phép", "subject", "Về việc cấp phép"},
		{"valid=không", "valid", "false"},
		{"hieu_luc=on", "valid", "true"},
		{"doc_type=thu-tinh", "", ""},
		{"issued_on=31/02/2025", "", ""},
		{"issued_on=16/01/1930", "", ""},
		{"issued_on=16/01/2026", "", ""},
		{"subject=", "", ""},
		{"valid=maybe", "", ""},
		{"colour=red", "", ""},
		{"number", "", ""},
		{"issuer=a\x07b", "", ""},
	} {
		c, err := ParseArg(tc.arg, today)
		if tc.field == "" {
			var inv *InvalidError
			if !errors.As(err, &inv) || inv.Error() == "" {
				t.Errorf("ParseArg(%q) = %+v, %v; want an *InvalidError", tc.arg, c, err)
			}
			continue
		}
		if err != nil || c.Field != tc.field || c.Value != tc.value {
			t.Errorf("ParseArg(%q) = %+v, %v; want %s=%q", tc.arg, c, err, tc.field, tc.value)
		}
	}
}
