package extract

import "testing"

func TestTitleAndSubject(t *testing.T) {
	t.Parallel()
	head := "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nSố: 86/QĐ-UBND\nQuảng Ngãi, ngày 16 tháng 01 năm 2025\n"
	tests := []struct{ name, body, title, subject string }{
		{"decision", "QUYẾT ĐỊNH\nVề việc bổ nhiệm vào ngạch Thanh tra viên\nCăn cứ Luật Thanh tra;", "QUYẾT ĐỊNH", "Về việc bổ nhiệm vào ngạch Thanh tra viên"},
		{"misread title", "QUYÉT ĐỊNH\nVề việc bổ nhiệm\nCăn cứ Luật Thanh tra;", "QUYẾT ĐỊNH", "Về việc bổ nhiệm"},
		{"O for Q", "OUYẾT ĐỊNH\nVề việc bổ nhiệm\nCăn cứ Luật Thanh tra;", "QUYẾT ĐỊNH", "Về việc bổ nhiệm"},
		{"no diacritics", "QUYET DINH\nVe viec bo nhiem\nCan cu Luat Thanh tra;", "QUYẾT ĐỊNH", "Về việc bo nhiem"},
		{"glued prefix", "TỜ TRÌNH\nVềviệc đề nghị xây dựng Nghị quyết\nKính gửi: Thường trực HĐND tỉnh", "TỜ TRÌNH", "Về việc đề nghị xây dựng Nghị quyết"},
		{"misread prefix", "THÔNG BÁO\nVà việc thụ lý giải quyết khiếu nại lần hai\nKính gửi: Bà Huỳnh Thị Gái", "THÔNG BÁO", "Về việc thụ lý giải quyết khiếu nại lần hai"},
		{"wrapped", "TỜ TRÌNH\nVề việc đề nghị xây dựng Nghị quyết của HĐND tỉnh bãi bỏ Nghị quyết số\n24/2013/NQ-HĐND ngày 10/12/2013\nKính gửi: Thường trực HĐND tỉnh",
			"TỜ TRÌNH", "Về việc đề nghị xây dựng Nghị quyết của HĐND tỉnh bãi bỏ Nghị quyết số 24/2013/NQ-HĐND ngày 10/12/2013"},
		{"subject on title line", "QUYẾT ĐỊNH Xử phạt vi phạm hành chính\nCăn cứ Luật Xử lý vi phạm hành chính;", "QUYẾT ĐỊNH", "Xử phạt vi phạm hành chính"},
		{"subject without prefix", "QUYẾT ĐỊNH\nXử phạt vi phạm hành chính\nCHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH", "QUYẾT ĐỊNH", "Xử phạt vi phạm hành chính"},
		{"body follows", "CHỈ THỊ\nVề việc tăng cường công tác phòng, chống tham nhũng\nTrong thời gian qua, công tác phòng, chống tham nhũng, tiêu cực của tỉnh đã được", "CHỈ THỊ", "Về việc tăng cường công tác phòng, chống tham nhũng"},
		{"civil extract", "TRÍCH LỤC KẾT HÔN\n(Bản sao)\nHọ, chữ đệm, tên: VŨ VĂN HIẾU", "TRÍCH LỤC KẾT HÔN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := Extract(textPage(head + tt.body))
			if f.Title.Value != tt.title || f.Subject.Value != tt.subject {
				t.Errorf("title %q subject %q, want %q %q", f.Title.Value, f.Subject.Value, tt.title, tt.subject)
			}
		})
	}
}

func TestLetterSubject(t *testing.T) {
	t.Parallel()
	text := "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nSố: 574/UBND-KTTH\nV/v đăng ký bổ sung\nnội dung trình HĐND tỉnh\ntại kỳ họp thứ 31\n" +
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nQuảng Ngãi, ngày 04 tháng 02 năm 2025\nKính gửi: Thường trực HĐND tỉnh"
	f := Extract(textPage(text))
	want := Fields{
		Number:  Value{Value: "574/UBND-KTTH"},
		Issued:  Value{Value: "2025-02-04"},
		Issuer:  Value{Value: "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"},
		Subject: Value{Value: "V/v đăng ký bổ sung nội dung trình HĐND tỉnh tại kỳ họp thứ 31"},
	}
	if f.Number.Value != want.Number.Value || f.Issued.Value != want.Issued.Value || f.Issuer.Value != want.Issuer.Value ||
		f.Subject.Value != want.Subject.Value || f.Title.Value != "" || f.Symbol != "" {
		t.Errorf("got %+v", f)
	}
}

func TestMatchTitle(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"QUYẾT ĐỊNH": "QUYẾT ĐỊNH", "QUYÉT ĐỊNH": "QUYẾT ĐỊNH", "OUYẾT ĐỊNH": "QUYẾT ĐỊNH", "QUYET DINH": "QUYẾT ĐỊNH",
		"QUYẾT ĐỊNH:": "QUYẾT ĐỊNH", "TỜ TRỈNH": "TỜ TRÌNH", "TRÍCH LỤC KẾT HÔN": "TRÍCH LỤC KẾT HÔN", "GIÂY KHAI SINH": "GIẤY KHAI SINH",
	} {
		if got, _, ok := MatchTitle(in); !ok || got != want {
			t.Errorf("MatchTitle(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "QUY", ""} {
		if got, _, ok := MatchTitle(in); ok {
			t.Errorf("MatchTitle(%q) = %q", in, got)
		}
	}
}
