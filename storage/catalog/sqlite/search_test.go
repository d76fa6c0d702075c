package sqlite

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sohoa/storage/catalog"
)

// searchFixture is a small catalog of documents as clerks scan them.
type searchFixture struct {
	db                           *DB
	giaoDat, thongBao, chungNhan int64
	nfd, other                   int64
}

func newSearchFixture(t *testing.T) searchFixture {
	t.Helper()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	add := func(source, number, subject, docType, field string, pages ...string) int64 {
		r := catalog.Record{BatchID: b.ID, Source: source, Status: catalog.StatusDigitized}
		r.Number.Value, r.Subject.Value, r.DocType.Value, r.Field.Value = number, subject, docType, field
		r.Issuer.Value = "ỦY BAN NHÂN DÂN XÃ TỊNH KỲ"
		id := mustRecord(t, db, r, false).ID
		for i, p := range pages {
			mustPage(t, db, id, i+1, p)
		}
		return id
	}
	f := searchFixture{db: db}
	f.giaoDat = add("qd86.pdf", "86/QĐ-UBND", "Quyết định về việc giao đất cho hộ gia đình ông Nguyễn Văn An", "Quyết định", "Đất đai",
		"ỦY BAN NHÂN DÂN\nXÃ TỊNH KỲ\nSố: 86/QĐ-UBND\nQUYẾT ĐỊNH\nVề việc giao đất cho hộ gia đình ông Nguyễn Văn An",
		"Điều 1. Giao 200 m² đất ở tại thôn An Kỳ cho hộ ông Nguyễn Văn An.\nĐiều 2. Quyết định này có hiệu lực kể từ ngày ký.")
	f.thongBao = add("tb12.pdf", "12/TB-UBND", "Thông báo lịch tiếp công dân tháng 01 năm 2025", "Thông báo", "Tiếp công dân",
		"ỦY BAN NHÂN DÂN XÃ TỊNH KỲ thông báo lịch tiếp công dân định kỳ của Chủ tịch Ủy ban nhân dân xã "+
			"vào ngày 15 hằng tháng tại trụ sở. Công dân có kiến nghị, phản ánh về các vấn đề liên quan "+
			"đến chính sách pháp luật, khiếu nại tố cáo và tranh chấp ĐẤT đai được tiếp theo quy định. "+
			"Đề nghị các thôn thông báo rộng rãi đến nhân dân được biết và thực hiện.")
	f.chungNhan = add("gcn.pdf", "CS 05494", "Giấy chứng nhận quyền sử dụng đất", "Giấy chứng nhận", "Đất đai",
		"GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT")
	// Text that came in decomposed (NFD), as some scanners' text layers do.
	f.nfd = add("nfd.pdf", "", norm.NFD.String("Trích lục khai sinh"), "Trích lục", "Hộ tịch",
		norm.NFD.String("Trích lục khai sinh của cháu Đặng Thị Hoà"))
	f.other = add("kh.pdf", "05/KH-UBND", "Kế hoạch phòng chống thiên tai", "Kế hoạch", "",
		"Kế hoạch phòng chống thiên tai và tìm kiếm cứu nạn năm 2025")
	return f
}

func hitIDs(hits []catalog.Hit) []int64 {
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.RecordID)
	}
	return ids
}

func sameSet(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[int64]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSearchFixture(t)

	tests := []struct {
		name  string
		query string
		// want is the set of records found; first, when set, must rank first.
		want  []int64
		first int64
	}{
		{"folded words find accented text", "quyet dinh dat", []int64{f.giaoDat}, f.giaoDat},
		{"capitals with accents", "ĐẤT", []int64{f.giaoDat, f.thongBao, f.chungNhan}, 0},
		{"đ folds to d", "dat", []int64{f.giaoDat, f.thongBao, f.chungNhan}, 0},
		{"accents typed", "giao đất", []int64{f.giaoDat}, f.giaoDat},
		{"wrong accents still match", "gìao dật", []int64{f.giaoDat}, f.giaoDat},
		{"phrase", `"quyền sử dụng đất"`, []int64{f.chungNhan}, f.chungNhan},
		{"phrase out of order finds nothing", `"dat su dung"`, nil, 0},
		{"phrase and word", `"tiep cong dan" chu tich`, []int64{f.thongBao}, f.thongBao},
		{"prefix", "chứn*", []int64{f.chungNhan}, f.chungNhan},
		{"prefix phrase", `"phong chong thien"*`, []int64{f.other}, f.other},
		{"number with its symbol", "86/QĐ-UBND", []int64{f.giaoDat}, f.giaoDat},
		{"number folded", "86/qd-ubnd", []int64{f.giaoDat}, f.giaoDat},
		{"serial", "CS 05494", []int64{f.chungNhan}, f.chungNhan},
		{"decomposed text found by composed query", "Trích lục Đặng", []int64{f.nfd}, f.nfd},
		{"composed text found by decomposed query", norm.NFD.String("quyết định giao"), []int64{f.giaoDat}, f.giaoDat},
		{"issuer", "tinh ky", []int64{f.giaoDat, f.thongBao, f.chungNhan, f.nfd, f.other}, 0},
		{"field", "hộ tịch", []int64{f.nfd}, f.nfd},
		{"all words must match", "dat thien tai", nil, 0},
		{"unknown word", "xyzzy", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hits, err := f.db.Search(ctx, tt.query, 10)
			if err != nil {
				t.Fatal(err)
			}
			got := hitIDs(hits)
			if !sameSet(got, tt.want) {
				t.Fatalf("Search(%q) = %v, want %v", tt.query, got, tt.want)
			}
			if tt.first != 0 && got[0] != tt.first {
				t.Errorf("Search(%q) ranks %v first, want %d", tt.query, got, tt.first)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Score > hits[i-1].Score {
					t.Errorf("hits not best first: %v then %v", hits[i-1].Score, hits[i].Score)
				}
			}
		})
	}
}

func TestSearchRanksMetadataAboveBody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSearchFixture(t)
	// "đất" is in the subject of giaoDat and chungNhan, only in the body
	// of thongBao.
	hits, err := f.db.Search(ctx, "đất", 10)
	if err != nil {
		t.Fatal(err)
	}
	got := hitIDs(hits)
	if len(got) != 3 || got[2] != f.thongBao {
		t.Errorf("Search(đất) = %v, want the body-only match %d last", got, f.thongBao)
	}
	if hits[0].Score <= 0 {
		t.Errorf("Score = %v, want positive (higher is better)", hits[0].Score)
	}
	// The number weighs most: a record whose number holds the word
	// outranks one that has it in its body.
	hits, err = f.db.Search(ctx, "UBND", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(hits); len(got) < 2 || (got[0] != f.giaoDat && got[0] != f.thongBao && got[0] != f.other) {
		t.Errorf("Search(UBND) = %v, want a record numbered .../UBND first", got)
	}
}

func TestSearchSnippet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSearchFixture(t)

	tests := []struct {
		query   string
		id      int64
		want    []string // substrings the snippet must hold
		notWant []string
	}{
		{"dat", f.thongBao, []string{"tranh chấp [ĐẤT] đai"}, nil},
		{"quyet dinh dat", f.giaoDat, []string{"[QUYẾT] [ĐỊNH]", "[đất]"}, nil},
		{`"giao dat"`, f.giaoDat, []string{"[giao đất]"}, nil},
		{"chứn*", f.chungNhan, []string{"[CHỨNG]"}, nil},
		{"dang thi hoa", f.nfd, []string{"[Đặng] [Thị] [Hoà]"}, nil},
		{"tiep cong dan", f.thongBao, []string{"[tiếp] [công] [dân]"}, []string{"\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			hits, err := f.db.Search(ctx, tt.query, 10)
			if err != nil {
				t.Fatal(err)
			}
			var s string
			found := false
			for _, h := range hits {
				if h.RecordID == tt.id {
					s, found = h.Snippet, true
				}
			}
			if !found {
				t.Fatalf("Search(%q) = %v, want record %d", tt.query, hitIDs(hits), tt.id)
			}
			if !norm.NFC.IsNormalString(s) {
				t.Errorf("snippet %q is not NFC", s)
			}
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("snippet %q lacks %q", s, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(s, w) {
					t.Errorf("snippet %q holds %q", s, w)
				}
			}
			if n := len(strings.Fields(s)); n > snippetWords+4 {
				t.Errorf("snippet has %d words, want about %d", n, snippetWords)
			}
		})
	}
}

func TestSnippetWindow(t *testing.T) {
	t.Parallel()
	text := "một hai ba bốn năm sáu bảy tám chín mười mười một mười hai " +
		"Quyết định này có hiệu lực kể từ ngày ký và thay thế các văn bản trước đây về đất đai ở xã"
	got := snippet([]string{text}, parseQuery("hieu luc"))
	if !strings.HasPrefix(got, "… ") || !strings.Contains(got, "[hiệu] [lực]") {
		t.Errorf("snippet = %q, want a window starting before [hiệu] [lực], marked as cut", got)
	}
	// The window prefers the place where most distinct terms meet.
	got = snippet([]string{text + " " + strings.Repeat("từ ", 30) + "đất đai ngày ký"}, parseQuery("dat ngay ky"))
	if !strings.Contains(got, "[đất] đai [ngày] [ký]") {
		t.Errorf("snippet = %q, want the window holding all three terms", got)
	}
	// A text with no match gives its beginning, so a hit on metadata only
	// still shows something.
	if got := snippet([]string{"Kế hoạch năm 2025"}, parseQuery("xyz")); got != "Kế hoạch năm 2025" {
		t.Errorf("snippet without match = %q", got)
	}
}

func TestSearchHostileInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSearchFixture(t)
	queries := []string{
		"", "   ", `"`, `""`, `"""`, "*", "**", "-", "+", "^", "(", ")", ":",
		"AND OR NOT (", "NOT đất", "đất OR", "đất AND", `"unterminated đất`, "đất*)",
		"NEAR(đất giao, 2)", "subject:đất", "{number subject}: đất", "^đất", "đất -giao",
		"'; DROP TABLE records; --", "\x00", "đất\x00giao", "*đất", "đ*t", "\\", "`",
		strings.Repeat("(", 1000), strings.Repeat("đất ", 200),
	}
	for _, q := range queries {
		hits, err := f.db.Search(ctx, q, 5)
		if err != nil {
			t.Errorf("Search(%.40q) = %v, want no error", q, err)
		}
		if strings.TrimSpace(q) == "" && len(hits) != 0 {
			t.Errorf("Search(%q) = %v, want no hits", q, hits)
		}
	}
	// Operators are words like any other, never syntax.
	hits, err := f.db.Search(ctx, "đất OR thiên", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 0 {
		t.Errorf("Search(đất OR thiên) = %v: OR must not be an operator", hitIDs(hits))
	}
	if _, err := f.db.Record(ctx, f.giaoDat); err != nil {
		t.Errorf("records gone after hostile queries: %v", err)
	}
}

func TestSearchFollowsUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSearchFixture(t)
	find := func(q string) []int64 {
		t.Helper()
		hits, err := f.db.Search(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		return hitIDs(hits)
	}

	r, err := f.db.Record(ctx, f.other)
	if err != nil {
		t.Fatal(err)
	}
	r.Subject.Value = "Kế hoạch trồng rừng"
	r.Number.Value = "07/KH-UBND"
	if err := f.db.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got := find("trồng rừng"); !reflect.DeepEqual(got, []int64{f.other}) {
		t.Errorf("new subject: Search = %v, want [%d]", got, f.other)
	}
	if got := find("07/KH-UBND"); !reflect.DeepEqual(got, []int64{f.other}) {
		t.Errorf("new number: Search = %v, want [%d]", got, f.other)
	}
	if got := find("05/KH"); len(got) != 0 {
		t.Errorf("old number still found: %v", got)
	}
	// The page text is still indexed after a metadata update.
	if got := find("cứu nạn"); !reflect.DeepEqual(got, []int64{f.other}) {
		t.Errorf("body after update: Search = %v, want [%d]", got, f.other)
	}

	// Replacing a page replaces its words.
	mustPage(t, f.db, f.other, 1, "Kế hoạch trồng rừng phòng hộ ven biển")
	if got := find("cứu nạn"); len(got) != 0 {
		t.Errorf("old page text still found: %v", got)
	}
	if got := find("ven biển"); !reflect.DeepEqual(got, []int64{f.other}) {
		t.Errorf("new page text: Search = %v, want [%d]", got, f.other)
	}
	// A second page adds to the first.
	mustPage(t, f.db, f.other, 2, "Phụ lục: danh sách hộ nhận khoán")
	if got := find("ven biển nhận khoán"); !reflect.DeepEqual(got, []int64{f.other}) {
		t.Errorf("two pages: Search = %v, want [%d]", got, f.other)
	}
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"Quyết định", `"quyet" AND "dinh"`},
		{"ĐẤT", `"dat"`},
		{`"giao đất" hộ`, `"giao dat" AND "ho"`},
		{"chứng*", `"chung"*`},
		{`"phong chong"*`, `"phong chong"*`},
		{"86/QĐ-UBND", `"86 qd ubnd"`},
		{"AND OR NOT (", `"and" AND "or" AND "not"`},
		{`"`, ``},
		{"* ( ) :", ``},
		{"đất đất ĐẤT", `"dat"`},
		{`a"b`, `"a" AND "b"`},
	}
	for _, tt := range tests {
		if got := matchExpr(parseQuery(tt.in)); got != tt.want {
			t.Errorf("parseQuery(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
