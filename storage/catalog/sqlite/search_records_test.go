package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/dvhc"
)

// loadUnits puts the real unit catalogues of both schemes into db and
// returns them.
func loadUnits(t *testing.T, db *DB) dvhc.Catalogue {
	t.Helper()
	cat, err := dvhc.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceUnits(context.Background(), cat.Units, cat.Merges, catalog.Event{Actor: "test", Action: "units_import"}); err != nil {
		t.Fatal(err)
	}
	return cat
}

// filed is a record to add to a search fixture.
type filed struct {
	unit, docType, field, number, issued, subject string
	status                                        catalog.Status
	created                                       time.Time
	pages                                         []string
}

func addFiled(t *testing.T, db *DB, batch int64, n int, f filed) int64 {
	t.Helper()
	r := catalog.Record{BatchID: batch, Unit: f.unit, Source: fmt.Sprintf("%05d.pdf", n), Status: f.status, CreatedAt: f.created}
	if r.Status == "" {
		r.Status = catalog.StatusDigitized
	}
	r.DocType.Value, r.Field.Value, r.Number.Value, r.Issued.Value, r.Subject.Value = f.docType, f.field, f.number, f.issued, f.subject
	r.Issuer.Value = "ỦY BAN NHÂN DÂN"
	id := mustRecord(t, db, r, false).ID
	for i, p := range f.pages {
		mustPage(t, db, id, i+1, p)
	}
	return id
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// unitOracle says which unit holds a record the long way round: walking
// up from the record's unit, where the SQL walks down from the unit asked
// for.
type unitOracle struct {
	parent     map[catalog.Scheme]map[string]string
	mergedInto map[string][]string // 2024 code → 2025 codes it went into whole
}

func newUnitOracle(cat dvhc.Catalogue) unitOracle {
	o := unitOracle{parent: map[catalog.Scheme]map[string]string{catalog.Scheme2024: {}, catalog.Scheme2025: {}}, mergedInto: map[string][]string{}}
	for _, u := range cat.Units {
		o.parent[u.Scheme][u.Code] = u.Parent
	}
	for _, m := range cat.Merges {
		if m.Full {
			o.mergedInto[m.Old] = append(o.mergedInto[m.Old], m.New)
		}
	}
	return o
}

func (o unitOracle) under(s catalog.Scheme, code, ancestor string) bool {
	for seen := 0; code != "" && seen < 5; seen++ {
		if code == ancestor {
			return true
		}
		code = o.parent[s][code]
	}
	return false
}

func (o unitOracle) holds(ancestor, unit string, created time.Time) bool {
	if catalog.SchemeOn(created) == catalog.Scheme2025 {
		return o.under(catalog.Scheme2025, unit, ancestor)
	}
	for a, n := unit, 0; a != "" && n < 5; a, n = o.parent[catalog.Scheme2024][a], n+1 {
		if a == ancestor {
			return true
		}
		for _, nu := range o.mergedInto[a] {
			if o.under(catalog.Scheme2025, nu, ancestor) {
				return true
			}
		}
	}
	return false
}

// TestSearchUnitDescendants files records under the real communes and
// districts of four 2024 provinces and two 2025 ones (Kon Tum, 62, went
// into Quảng Ngãi, 51; many communes of Vĩnh Phúc, 26, kept their codes
// in Phú Thọ, 25), before and after the reorganisation, and checks that a
// search by a province, district or commune of either catalogue finds
// exactly the records the oracle places under it.
func TestSearchUnitDescendants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	cat := loadUnits(t, db)
	o := newUnitOracle(cat)
	batch := mustBatch(t, db, "units")

	provinces := map[catalog.Scheme][]string{catalog.Scheme2024: {"51", "62", "26", "25"}, catalog.Scheme2025: {"51", "25"}}
	var pool = map[catalog.Scheme][]string{}
	for _, u := range cat.Units {
		if u.Level == catalog.LevelProvince {
			continue
		}
		for _, p := range provinces[u.Scheme] {
			if o.under(u.Scheme, u.Code, p) {
				pool[u.Scheme] = append(pool[u.Scheme], u.Code)
			}
		}
	}
	slices.Sort(pool[catalog.Scheme2024])
	slices.Sort(pool[catalog.Scheme2025])
	rng := rand.New(rand.NewPCG(5, 2025))
	type rec struct {
		id      int64
		unit    string
		created time.Time
	}
	var recs []rec
	for i := range 400 {
		s := catalog.Scheme2024
		created := day("2022-01-01").Add(time.Duration(rng.Int64N(int64(catalog.Reorganised.Sub(day("2022-01-01"))))))
		if i%3 == 0 {
			s = catalog.Scheme2025
			created = catalog.Reorganised.Add(time.Duration(rng.Int64N(int64(200 * 24 * time.Hour))))
		}
		unit := pool[s][rng.IntN(len(pool[s]))]
		if i%50 == 0 {
			unit = "08740" // a commune code of Vĩnh Phúc in 2024 and of Phú Thọ in 2025
		}
		id := addFiled(t, db, batch.ID, i, filed{unit: unit, created: created, docType: "quyet-dinh"})
		recs = append(recs, rec{id, unit, created})
	}
	// Units to ask for: the provinces, a district, communes of both
	// catalogues, one formed from communes of two old provinces.
	asks := []string{"51", "62", "25", "26", "08740"}
	for _, r := range recs[:30] {
		asks = append(asks, r.unit)
		if p := o.parent[catalog.SchemeOn(r.created)][r.unit]; len(p) == 3 {
			asks = append(asks, p)
		}
	}
	for _, code := range asks {
		var want []int64
		for _, r := range slices.Backward(recs) {
			if o.holds(code, r.unit, r.created) {
				want = append(want, r.id)
			}
		}
		hits, err := db.SearchRecords(ctx, catalog.Query{Unit: code, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if got := hitIDs(hits); !slices.Equal(got, want) {
			t.Errorf("unit %s: %d hits %v,\n want %d %v", code, len(got), got, len(want), want)
		}
		if code == "51" && (len(want) == 0 || len(want) == len(recs)) {
			t.Errorf("unit 51 holds %d of the %d records: the fixture proves nothing", len(want), len(recs))
		}
	}
	// Kon Tum's old communes went into Quảng Ngãi: some of 51's records
	// are filed under 62's communes.
	n62in51 := 0
	for _, r := range recs {
		if o.holds("62", r.unit, r.created) && o.holds("51", r.unit, r.created) {
			n62in51++
		}
	}
	if n62in51 == 0 {
		t.Error("no record of an old Kon Tum commune counts toward Quảng Ngãi: the merge is not tested")
	}
}

// searchRecordsFixture is a few records with every field a filter reads.
type searchRecordsFixture struct {
	db                                   *DB
	giaoDat, thongBao, other86, khaiSinh int64
	newDecision, district                int64
	commune, commune2, districtCode      string
}

func newSearchRecordsFixture(t *testing.T) searchRecordsFixture {
	t.Helper()
	db := openTest(t)
	cat := loadUnits(t, db)
	o := newUnitOracle(cat)
	// Two communes of one 2024 district of Quảng Ngãi, and a commune of
	// Hà Nội.
	var district, c1, c2, hanoi, new51 string
	for _, u := range cat.Units {
		switch {
		case u.Scheme == catalog.Scheme2024 && u.Level == catalog.LevelDistrict && u.Parent == "51" && district == "":
			district = u.Code
		case u.Scheme == catalog.Scheme2024 && u.Level == catalog.LevelCommune && hanoi == "" && o.under(catalog.Scheme2024, u.Code, "01"):
			hanoi = u.Code
		case u.Scheme == catalog.Scheme2025 && u.Level == catalog.LevelCommune && u.Parent == "51" && new51 == "":
			new51 = u.Code
		}
	}
	for _, u := range cat.Units {
		if u.Scheme == catalog.Scheme2024 && u.Parent == district && district != "" {
			if c1 == "" {
				c1 = u.Code
			} else if c2 == "" {
				c2 = u.Code
			}
		}
	}
	if c2 == "" || hanoi == "" || new51 == "" || !o.under(catalog.Scheme2024, c1, "51") {
		t.Fatalf("no units to file under: district %q communes %q %q, Hà Nội %q, new %q", district, c1, c2, hanoi, new51)
	}
	batch := mustBatch(t, db, "filters")
	f := searchRecordsFixture{db: db, commune: c1, commune2: c2, districtCode: district}
	f.giaoDat = addFiled(t, db, batch.ID, 1, filed{unit: c1, created: day("2024-03-01"), docType: "quyet-dinh", field: "dat-dai",
		number: "86/QĐ-UBND", issued: "2024-02-20",
		subject: "Quyết định về việc giao đất cho hộ gia đình ông Nguyễn Văn An",
		pages: []string{"ỦY BAN NHÂN DÂN\nSố: 86/QĐ-UBND\nQUYẾT ĐỊNH\nVề việc giao đất cho hộ gia đình ông Nguyễn Văn An",
			"Điều 1. Giao 200 m² đất ở tại thôn An Kỳ cho hộ ông Nguyễn Văn An.\nĐiều 2. Quyết định này có hiệu lực kể từ ngày ký."}})
	f.thongBao = addFiled(t, db, batch.ID, 2, filed{unit: c2, created: day("2024-05-10"), docType: "thong-bao", field: "dat-dai",
		number: "12/TB-UBND", issued: "2024-05-01", status: catalog.StatusNeedsReview,
		subject: "Thông báo thu hồi đất để xây dựng đường giao thông",
		pages:   []string{"Thông báo về việc thu hồi đất của hộ ông Trần Văn Bình để xây dựng đường giao thông liên thôn; đất đai được bồi thường theo quy định."}})
	f.other86 = addFiled(t, db, batch.ID, 3, filed{unit: hanoi, created: day("2024-06-01"), docType: "quyet-dinh", field: "xay-dung",
		number: "86/QĐ-UBND", issued: "2023-12-30",
		subject: "Quyết định cấp giấy phép xây dựng nhà ở riêng lẻ",
		pages:   []string{"Cấp phép xây dựng nhà ở cho bà Lê Thị Hoa tại phường Phúc Xá."}})
	f.khaiSinh = addFiled(t, db, batch.ID, 4, filed{unit: c1, created: day("2025-03-01"), docType: "giay-khai-sinh", field: "ho-tich",
		number: "15/2025", issued: "2025-02-27",
		subject: "Giấy khai sinh của cháu Đặng Thị Hoà",
		pages:   []string{"GIẤY KHAI SINH\nHọ, chữ đệm, tên: ĐẶNG THỊ HOÀ\nNgày, tháng, năm sinh: 20/02/2025"}})
	f.newDecision = addFiled(t, db, batch.ID, 5, filed{unit: new51, created: day("2025-08-01"), docType: "quyet-dinh", field: "dat-dai",
		number: "086/qđ-ubnd", issued: "2025-07-20",
		subject: "Quyết định về việc giao đất ở cho hộ bà Phạm Thị Cúc",
		pages:   []string{"Giao đất ở cho hộ bà Phạm Thị Cúc, thửa số 12, tờ bản đồ số 4."}})
	f.district = addFiled(t, db, batch.ID, 6, filed{unit: district, created: day("2024-09-09"), docType: "cong-van", field: "noi-vu",
		number: "301/UBND-NV", issued: "",
		subject: "Công văn về việc rà soát hồ sơ lưu trữ",
		pages:   []string{"Đề nghị các xã rà soát hồ sơ lưu trữ và số hóa theo kế hoạch."}})
	return f
}

func TestSearchRecordsFilters(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	ids := func(ids ...int64) []int64 { return ids }
	for _, tc := range []struct {
		name string
		q    catalog.Query
		want []int64 // in order
	}{
		{"everything, newest first", catalog.Query{}, ids(f.district, f.newDecision, f.khaiSinh, f.other86, f.thongBao, f.giaoDat)},
		{"commune", catalog.Query{Unit: f.commune}, ids(f.khaiSinh, f.giaoDat)},
		// khaiSinh was ingested before the reorganisation: its commune is
		// read in the 2024 catalogue, under the district.
		{"district and its communes", catalog.Query{Unit: f.districtCode}, ids(f.district, f.khaiSinh, f.thongBao, f.giaoDat)},
		{"province, old and new", catalog.Query{Unit: "51"}, ids(f.district, f.newDecision, f.khaiSinh, f.thongBao, f.giaoDat)},
		{"unknown unit", catalog.Query{Unit: "99999"}, nil},
		{"level commune", catalog.Query{Level: "commune"}, ids(f.newDecision, f.khaiSinh, f.other86, f.thongBao, f.giaoDat)},
		{"level district", catalog.Query{Level: "district"}, ids(f.district)},
		{"doc type", catalog.Query{DocType: "quyet-dinh"}, ids(f.newDecision, f.other86, f.giaoDat)},
		{"field", catalog.Query{Field: "dat-dai"}, ids(f.newDecision, f.thongBao, f.giaoDat)},
		{"status", catalog.Query{Status: catalog.StatusNeedsReview}, ids(f.thongBao)},
		{"issued from", catalog.Query{IssuedFrom: "2024-05-01"}, ids(f.newDecision, f.khaiSinh, f.thongBao)},
		{"issued to, undated left out", catalog.Query{IssuedTo: "2024-02-20"}, ids(f.other86, f.giaoDat)},
		{"issued in 2024", catalog.Query{IssuedFrom: "2024-01-01", IssuedTo: "2024-12-31"}, ids(f.thongBao, f.giaoDat)},
		{"ingested from", catalog.Query{IngestedFrom: day("2024-09-09")}, ids(f.district, f.newDecision, f.khaiSinh)},
		{"ingested before", catalog.Query{IngestedTo: day("2024-06-01")}, ids(f.thongBao, f.giaoDat)},
		{"unit, type and issue range", catalog.Query{Unit: "51", DocType: "quyet-dinh", IssuedFrom: "2024-01-01", IssuedTo: "2025-12-31"}, ids(f.newDecision, f.giaoDat)},
		{"all filters", catalog.Query{Unit: f.commune, Level: "commune", DocType: "quyet-dinh", Field: "dat-dai", Status: catalog.StatusDigitized,
			IssuedFrom: "2024-02-20", IssuedTo: "2024-02-20", IngestedFrom: day("2024-03-01"), IngestedTo: day("2024-03-02"), Number: "86 qd ubnd"}, ids(f.giaoDat)},
		{"all filters, one off", catalog.Query{Unit: f.commune, Level: "commune", DocType: "quyet-dinh", Field: "dat-dai", Status: catalog.StatusDigitized,
			IssuedFrom: "2024-02-21", IssuedTo: "2024-02-28", Number: "86 qd ubnd"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 100
			hits, err := f.db.SearchRecords(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := hitIDs(hits); !slices.Equal(got, tc.want) {
				t.Errorf("SearchRecords(%+v) = %v, want %v", tc.q, got, tc.want)
			}
			for _, h := range hits {
				if h.Snippet != "" || h.Score != 0 {
					t.Errorf("hit %d without text has snippet %q score %v", h.RecordID, h.Snippet, h.Score)
				}
			}
			var each []int64
			if err := f.db.EachRecordID(ctx, tc.q, func(id int64) error { each = append(each, id); return nil }); err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(each, want) {
				t.Errorf("EachRecordID(%+v) = %v, want %v", tc.q, each, want)
			}
		})
	}
}

func TestSearchRecordsNumberTypedLoosely(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	all86 := []int64{f.newDecision, f.other86, f.giaoDat}
	for _, typed := range []string{"86/QĐ-UBND", "86/QD-UBND", "86/qđ-ubnd", "86 QĐ UBND", "086 qd ubnd", " 86/qd/ubnd "} {
		hits, err := f.db.SearchRecords(ctx, catalog.Query{Number: typed})
		if err != nil {
			t.Fatal(err)
		}
		if got := hitIDs(hits); !slices.Equal(got, all86) {
			t.Errorf("number %q: %v, want %v", typed, got, all86)
		}
	}
	for _, typed := range []string{"86/CT-UBND", "186/QĐ-UBND", "8/6QĐ-UBND", "86/QĐ", "---"} {
		hits, err := f.db.SearchRecords(ctx, catalog.Query{Number: typed})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 0 {
			t.Errorf("number %q: %v, want none", typed, hitIDs(hits))
		}
	}
	if hits, err := f.db.SearchRecords(ctx, catalog.Query{Number: "15/2025"}); err != nil || !slices.Equal(hitIDs(hits), []int64{f.khaiSinh}) {
		t.Errorf("number 15/2025: %v, %v; want [%d]", hitIDs(hits), err, f.khaiSinh)
	}

	// A number changed by hand, and records written by plain SQL without
	// a folded number (as before migration 0006), are found all the same.
	if _, err := f.db.write.ExecContext(ctx, `UPDATE records SET number = '7/TB-UBND' WHERE id = ?`, f.thongBao); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.write.ExecContext(ctx, `INSERT INTO records (batch_id, unit, source, status, number, created_at, updated_at)
		SELECT batch_id, unit, 'plain.pdf', 'digitized', '0086/QĐ-UBND', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z'
		FROM records WHERE id = ?`, f.newDecision); err != nil {
		t.Fatal(err)
	}
	var plain int64
	if err := f.db.write.QueryRowContext(ctx, `SELECT id FROM records WHERE source = 'plain.pdf'`).Scan(&plain); err != nil {
		t.Fatal(err)
	}
	hits, err := f.db.SearchRecords(ctx, catalog.Query{Number: "7 tb ubnd"})
	if err != nil || !slices.Equal(hitIDs(hits), []int64{f.thongBao}) {
		t.Errorf("number changed by hand: %v, %v; want [%d]", hitIDs(hits), err, f.thongBao)
	}
	if hits, _ := f.db.SearchRecords(ctx, catalog.Query{Number: "12/TB-UBND"}); len(hits) != 0 {
		t.Errorf("the old number still finds %v", hitIDs(hits))
	}
	hits, err = f.db.SearchRecords(ctx, catalog.Query{Number: "86/QD-UBND", Unit: "51"})
	if want := []int64{plain, f.newDecision, f.giaoDat}; err != nil || !slices.Equal(hitIDs(hits), want) {
		t.Errorf("number with a record of plain SQL: %v, %v; want %v", hitIDs(hits), err, want)
	}
}

func TestSearchRecordsText(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	search := func(q catalog.Query) []catalog.Hit {
		t.Helper()
		hits, err := f.db.SearchRecords(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	set := func(hits []catalog.Hit) []int64 {
		ids := hitIDs(hits)
		slices.Sort(ids)
		return ids
	}

	// Words typed without accents find the accented text, best first.
	hits := search(catalog.Query{Text: "giao dat nguyen van an"})
	if got := hitIDs(hits); !slices.Equal(got, []int64{f.giaoDat}) {
		t.Errorf("giao dat nguyen van an: %v, want [%d]", got, f.giaoDat)
	}
	if len(hits) == 1 && !strings.Contains(hits[0].Snippet, "[Nguyễn Văn An]") && !strings.Contains(hits[0].Snippet, "[Nguyễn] [Văn] [An]") {
		t.Errorf("snippet %q does not highlight Nguyễn Văn An", hits[0].Snippet)
	}
	if len(hits) == 1 && (!strings.Contains(hits[0].Snippet, "[giao]") || !strings.Contains(hits[0].Snippet, "[đất]")) {
		t.Errorf("snippet %q does not highlight giao and đất in their accents", hits[0].Snippet)
	}

	// "giao đất" as words is in three records (thongBao has "giao thông"
	// and "đất" apart); as a phrase in two.
	if got := set(search(catalog.Query{Text: "giao đất"})); !slices.Equal(got, []int64{f.giaoDat, f.thongBao, f.newDecision}) {
		t.Errorf("giao đất: %v", got)
	}
	phrase := search(catalog.Query{Text: `"giao dat"`})
	if got := set(phrase); !slices.Equal(got, []int64{f.giaoDat, f.newDecision}) {
		t.Errorf(`"giao dat": %v, want [%d %d]`, got, f.giaoDat, f.newDecision)
	}
	for _, h := range phrase {
		if !strings.Contains(strings.ToLower(h.Snippet), "[giao đất") {
			t.Errorf("phrase snippet %q does not wrap the phrase", h.Snippet)
		}
	}
	// A prefix.
	if got := set(search(catalog.Query{Text: "nguy*"})); !slices.Equal(got, []int64{f.giaoDat}) {
		t.Errorf("nguy*: %v", got)
	}
	if got := set(search(catalog.Query{Text: "ho*"})); !slices.Contains(got, f.khaiSinh) || !slices.Contains(got, f.district) {
		t.Errorf("ho* (Hoà, hồ sơ, hộ): %v", got)
	}
	// Text with filters: ranked, and only the unit's.
	hits = search(catalog.Query{Text: "giao dat", Unit: "51", Limit: 10})
	if got := set(hits); !slices.Equal(got, []int64{f.giaoDat, f.thongBao, f.newDecision}) {
		t.Errorf("giao dat in 51: %v", got)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("hits not best first: %+v", hits)
		}
	}
	if got := set(search(catalog.Query{Text: "giao dat", DocType: "quyet-dinh", IssuedFrom: "2025-01-01"})); !slices.Equal(got, []int64{f.newDecision}) {
		t.Errorf("giao dat, quyet-dinh, issued 2025: %v", got)
	}
	if got := search(catalog.Query{Text: "giao dat", Unit: "01"}); len(got) != 0 {
		t.Errorf("giao dat in Hà Nội: %v, want none", hitIDs(got))
	}
	// Only punctuation is no words: nothing, not everything.
	if got := search(catalog.Query{Text: "-- !"}); len(got) != 0 {
		t.Errorf("punctuation found %v", hitIDs(got))
	}
	// EachRecordID with text, in id order.
	var each []int64
	if err := f.db.EachRecordID(ctx, catalog.Query{Text: "dat", Field: "dat-dai"}, func(id int64) error { each = append(each, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []int64{f.giaoDat, f.thongBao, f.newDecision}; !slices.Equal(each, want) {
		t.Errorf("EachRecordID(dat, dat-dai) = %v, want %v", each, want)
	}
}

func TestSearchRecordsPages(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	for _, q := range []catalog.Query{{}, {Text: "dat"}, {Unit: "51"}, {Text: "ho*", Level: "commune"}} {
		q.Limit = 100
		all, err := f.db.SearchRecords(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 3 {
			t.Fatalf("%+v: %d hits, the fixture needs 3 to page", q, len(all))
		}
		var paged []int64
		for q.Offset = 0; q.Offset < len(all)+2; q.Offset += 2 {
			q.Limit = 2
			hits, err := f.db.SearchRecords(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) > 2 {
				t.Fatalf("limit 2: %d hits", len(hits))
			}
			paged = append(paged, hitIDs(hits)...)
		}
		if !slices.Equal(paged, hitIDs(all)) {
			t.Errorf("%+v: pages of 2 give %v, one page %v", q, paged, hitIDs(all))
		}
	}
	// EachRecordID stops at fn's first error and returns it.
	stop := errors.New("stop")
	n := 0
	err := f.db.EachRecordID(ctx, catalog.Query{}, func(int64) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("EachRecordID with a failing fn: %v after %d calls", err, n)
	}
}

// TestSearchRecordsPlans runs searches with blocks of 2 instead of 5,000,
// so that the fixture's words and filters are "common": each plan must
// give what ranking every match gives, block by block (2 matches, or the
// matches among 2 records the filters keep, newest block first), in pages
// of any size as in one.
func TestSearchRecordsPlans(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	exactly := searchLimits{block: 1_000_000, keptBlock: 1_000_000, commonWord: 1_000_000}
	search := func(q catalog.Query, lim searchLimits) []int64 {
		t.Helper()
		hits, err := f.db.searchRecords(ctx, q, lim)
		if err != nil {
			t.Fatal(err)
		}
		if q.Text != "" {
			for _, h := range hits {
				if h.Snippet == "" {
					t.Errorf("%+v: hit %d has no snippet", q, h.RecordID)
				}
			}
		}
		return hitIDs(hits)
	}
	for _, q := range []catalog.Query{
		{Text: "dat"},                       // common words, no filters
		{Text: "dat", Number: "86 qd ubnd"}, // common words, common filter
		{Text: "dat", Unit: f.commune2},     // one record in the unit
		{Text: "dat", Status: catalog.StatusNeedsReview},
		{Text: "quyet dinh", DocType: "quyet-dinh", Field: "dat-dai"},
		{Text: "ho*", Unit: "51", Level: "commune"},
		{Text: "ho*"},
		{Text: "nguyen van an", Unit: "51"}, // one match
		{Text: "uy ban"},                    // in no number or subject
		{Text: "uy ban", Unit: "51"},
	} {
		all := q
		all.Limit = 100
		exact := search(all, exactly)
		if len(exact) == 0 {
			t.Fatalf("%+v finds nothing: the fixture proves nothing", q)
		}
		common := len(search(catalog.Query{Text: q.Text, Limit: 100}, exactly)) >= 2
		filters := all
		filters.Text = ""
		filtered := filters != (catalog.Query{Limit: 100})
		// The blocks: of the matches, two by two, or of the records the
		// filters keep, newest first, two by two (read two at a time) or
		// one by one (read three at a time).
		for _, lim := range []searchLimits{{block: 2, keptBlock: 2, commonWord: 1_000_000}, {block: 3, keptBlock: 1, commonWord: 1_000_000}} {
			if lim.block == 3 && (!filtered || len(search(catalog.Query{Text: q.Text, Limit: 100}, exactly)) < 3) {
				continue
			}
			order := exact
			if common {
				blockOf, size := slices.Clone(exact), lim.block
				if filtered {
					blockOf, size = search(filters, exactly), lim.keptBlock
				}
				slices.Sort(blockOf)
				slices.Reverse(blockOf)
				order = nil
				for i := 0; i < len(blockOf); i += size {
					block := blockOf[i:min(i+size, len(blockOf))]
					for _, id := range exact {
						if slices.Contains(block, id) {
							order = append(order, id)
						}
					}
				}
			}
			for _, limit := range []int{1, 2, 3, 100} {
				var paged []int64
				for offset := 0; offset <= len(order); offset += limit {
					p := q
					p.Limit, p.Offset = limit, offset
					paged = append(paged, search(p, lim)...)
				}
				if !slices.Equal(paged, order) {
					t.Errorf("%+v in blocks of %d (%d kept), pages of %d: %v, want %v (all, ranked: %v)", q, lim.block, lim.keptBlock, limit, paged, order, exact)
				}
			}
		}
		// With every word common too: within each block, the hits whose
		// number or subject hold the words first, newest first, then the
		// others, newest first.
		var tiered []int64
		if common {
			blocks := [][]int64{}
			blockOf := slices.Clone(exact)
			if filters != (catalog.Query{Limit: 100}) {
				blockOf = search(filters, exactly)
			}
			slices.Sort(blockOf)
			slices.Reverse(blockOf)
			for i := 0; i < len(blockOf); i += 2 {
				blocks = append(blocks, blockOf[i:min(i+2, len(blockOf))])
			}
			for _, block := range blocks {
				var ones, zeros []int64
				for _, id := range block {
					if !slices.Contains(exact, id) {
						continue
					}
					if inNumberOrSubject(t, f.db, id, q.Text) {
						ones = append(ones, id)
					} else {
						zeros = append(zeros, id)
					}
				}
				tiered = append(append(tiered, ones...), zeros...)
			}
		} else {
			var ones, zeros []int64
			newest := slices.Clone(exact)
			slices.Sort(newest)
			slices.Reverse(newest)
			for _, id := range newest {
				if inNumberOrSubject(t, f.db, id, q.Text) {
					ones = append(ones, id)
				} else {
					zeros = append(zeros, id)
				}
			}
			tiered = append(ones, zeros...)
		}
		// And in one block.
		var ones, zeros []int64
		newest := slices.Clone(exact)
		slices.Sort(newest)
		slices.Reverse(newest)
		for _, id := range newest {
			if inNumberOrSubject(t, f.db, id, q.Text) {
				ones = append(ones, id)
			} else {
				zeros = append(zeros, id)
			}
		}
		oneBlock := append(ones, zeros...)
		for _, limit := range []int{1, 3, 100} {
			for _, tc := range []struct {
				lim  searchLimits
				want []int64
			}{
				// The index finds the hits whose number or subject hold
				// the words (readHead 0), or their records are read.
				{searchLimits{block: 2, keptBlock: 2, commonWord: 1}, tiered},
				{searchLimits{block: 2, keptBlock: 2, commonWord: 1, readHead: 1000}, tiered},
				{searchLimits{block: 1000, keptBlock: 1000, commonWord: 1}, oneBlock},
				{searchLimits{block: 1000, keptBlock: 1000, commonWord: 1, readHead: 1000}, oneBlock},
			} {
				var paged []int64
				for offset := 0; offset <= len(tc.want); offset += limit {
					p := q
					p.Limit, p.Offset = limit, offset
					paged = append(paged, search(p, tc.lim)...)
				}
				if !slices.Equal(paged, tc.want) {
					t.Errorf("%+v in blocks of %d, every word common, reading heads of blocks up to %d, pages of %d: %v, want %v",
						q, tc.lim.block, tc.lim.readHead, limit, paged, tc.want)
				}
			}
		}
	}
}

// TestSearchRecordsWindows runs searches of common words, no filters,
// with blocks that also end a few ids below their newest match: each
// block, from the newest match below the one before down to the block's
// size of them or the window's bottom, holds the hits whose number or subject hold the words
// first, newest first, then the others, in pages of any size as in one.
func TestSearchRecordsWindows(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	exactly := searchLimits{block: 1_000_000, keptBlock: 1_000_000, commonWord: 1_000_000}
	for _, text := range []string{"dat", "ho*", "uy ban", "quyet dinh", "nguyen van an"} {
		hits, err := f.db.searchRecords(ctx, catalog.Query{Text: text, Limit: 1000}, exactly)
		if err != nil {
			t.Fatal(err)
		}
		matches := hitIDs(hits)
		if len(matches) == 0 {
			t.Fatalf("%q finds nothing: the fixture proves nothing", text)
		}
		slices.Sort(matches)
		slices.Reverse(matches)
		for _, lim := range []searchLimits{
			{block: 2, window: 1, commonWord: 1},
			{block: 2, window: 3, commonWord: 1},
			{block: 1000, window: 2, commonWord: 1},
			{block: 3, window: 5, commonWord: 1, readHead: 1000},
		} {
			// Each block starts at the newest match left and holds the
			// next ones down to lim.block of them or lim.window ids below
			// it.
			var want []int64
			for rest := matches; len(rest) > 0; {
				n := 0
				for n < len(rest) && n < lim.block && rest[n] > rest[0]-int64(lim.window) {
					n++
				}
				var ones, zeros []int64
				for _, id := range rest[:n] {
					if inNumberOrSubject(t, f.db, id, text) {
						ones = append(ones, id)
					} else {
						zeros = append(zeros, id)
					}
				}
				want = append(append(want, ones...), zeros...)
				rest = rest[n:]
			}
			if len(want) != len(matches) {
				t.Fatalf("the model of %q in %+v lost hits: %v of %v", text, lim, want, matches)
			}
			for _, limit := range []int{1, 3, 100} {
				var paged []int64
				for offset := 0; offset <= len(want); offset += limit {
					hits, err := f.db.searchRecords(ctx, catalog.Query{Text: text, Limit: limit, Offset: offset}, lim)
					if err != nil {
						t.Fatal(err)
					}
					paged = append(paged, hitIDs(hits)...)
				}
				if !slices.Equal(paged, want) {
					t.Errorf("%q in blocks of %d or %d ids, pages of %d: %v, want %v", text, lim.block, lim.window, limit, paged, want)
				}
			}
		}
	}
}

// TestSearchIndexRebuiltAfterUpgrade empties the search index and forgets
// it was built, as migration 0012 leaves a catalog that had records: the
// first search must rebuild it from the records and pages and find what
// it found before.
func TestSearchIndexRebuiltAfterUpgrade(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	q := catalog.Query{Text: "giao dat nguyen van an", Unit: "51"}
	before, err := f.db.SearchRecords(ctx, q)
	if err != nil || !slices.Equal(hitIDs(before), []int64{f.giaoDat}) {
		t.Fatalf("before: %v, %v", hitIDs(before), err)
	}
	for _, stmt := range []string{
		`INSERT INTO search (search) VALUES ('delete-all')`,
		`UPDATE records SET number_key = NULL`,
		`DELETE FROM settings WHERE name = 'search_index'`,
	} {
		if _, err := f.db.write.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := f.db.read.QueryRowContext(ctx, `SELECT count(*) FROM search WHERE search MATCH 'dat'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the index still has %d entries (%v)", n, err)
	}
	after, err := f.db.SearchRecords(ctx, q)
	if err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("after the upgrade: %+v, %v; want %+v", after, err, before)
	}
	hits, err := f.db.SearchRecords(ctx, catalog.Query{Number: "86 qd ubnd"})
	if err != nil || len(hits) != 3 {
		t.Errorf("number after the upgrade: %v, %v; want 3", hitIDs(hits), err)
	}
	if v, err := f.db.Setting(ctx, "search_index"); err != nil || v != "0012" {
		t.Errorf("search_index setting = %q, %v; want 0012", v, err)
	}
}

// TestSearchRecordsRankCommonWords searches with a common word at 4
// records instead of 20,000, so that "định" (in four of the fixture's
// six) is one:
// the hits whose subject or number hold the words come first, newest
// first, then the others, in pages as in one.
func TestSearchRecordsRankCommonWords(t *testing.T) {
	t.Parallel()
	f := newSearchRecordsFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		q      catalog.Query
		want   []int64
		scores []float64
	}{
		{catalog.Query{Text: "dinh"}, []int64{f.newDecision, f.other86, f.giaoDat, f.thongBao}, []float64{1, 1, 1, 0}},
		{catalog.Query{Text: "dinh", Unit: "51"}, []int64{f.newDecision, f.giaoDat, f.thongBao}, []float64{1, 1, 0}},
		{catalog.Query{Text: "dinh", Status: catalog.StatusNeedsReview}, []int64{f.thongBao}, []float64{0}},
	} {
		tc.q.Limit = 10
		hits, err := f.db.searchRecords(ctx, tc.q, searchLimits{block: 1_000_000, keptBlock: 1_000_000, commonWord: 4})
		if err != nil {
			t.Fatal(err)
		}
		var scores []float64
		for _, h := range hits {
			scores = append(scores, h.Score)
			if !strings.Contains(strings.ToLower(h.Snippet), "[định]") {
				t.Errorf("%+v: hit %d snippet %q", tc.q, h.RecordID, h.Snippet)
			}
		}
		if !slices.Equal(hitIDs(hits), tc.want) || !slices.Equal(scores, tc.scores) {
			t.Errorf("%+v: %v scores %v, want %v scores %v", tc.q, hitIDs(hits), scores, tc.want, tc.scores)
		}
		var paged []int64
		for offset := range len(tc.want) + 1 {
			q := tc.q
			q.Limit, q.Offset = 1, offset
			hits, err := f.db.searchRecords(ctx, q, searchLimits{block: 1_000_000, keptBlock: 1_000_000, commonWord: 4})
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, hitIDs(hits)...)
		}
		if !slices.Equal(paged, tc.want) {
			t.Errorf("%+v in pages of 1: %v, want %v", tc.q, paged, tc.want)
		}
	}
}

// inNumberOrSubject reports whether every term of text matches within
// record id's number or within its subject.
func inNumberOrSubject(t *testing.T, db *DB, id int64, text string) bool {
	t.Helper()
	r, err := db.Record(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return headHolds(r.Number.Value, r.Subject.Value, parseQuery(text))
}
