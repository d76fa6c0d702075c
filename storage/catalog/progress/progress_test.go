package progress

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

// A small world: old province 90 with district 901 (communes 90001,
// 90002, 90003) and new province 90 with communes 90001 (formed from the
// whole of 90001 and 90002) and 90010, 90011 (each part of 90003).
var (
	oldUnits = []catalog.Unit{
		{Scheme: catalog.Scheme2024, Code: "90", Name: "Tỉnh Cũ", Level: catalog.LevelProvince},
		{Scheme: catalog.Scheme2024, Code: "901", Name: "Huyện Một", Level: catalog.LevelDistrict, Parent: "90"},
		{Scheme: catalog.Scheme2024, Code: "90001", Name: "Xã A", Level: catalog.LevelCommune, Parent: "901"},
		{Scheme: catalog.Scheme2024, Code: "90002", Name: "Xã B", Level: catalog.LevelCommune, Parent: "901"},
		{Scheme: catalog.Scheme2024, Code: "90003", Name: "Xã C", Level: catalog.LevelCommune, Parent: "901"},
	}
	newUnits = []catalog.Unit{
		{Scheme: catalog.Scheme2025, Code: "90", Name: "Tỉnh Mới", Level: catalog.LevelProvince},
		{Scheme: catalog.Scheme2025, Code: "90001", Name: "Xã AB", Level: catalog.LevelCommune, Parent: "90"},
		{Scheme: catalog.Scheme2025, Code: "90010", Name: "Xã C1", Level: catalog.LevelCommune, Parent: "90"},
		{Scheme: catalog.Scheme2025, Code: "90011", Name: "Xã C2", Level: catalog.LevelCommune, Parent: "90"},
	}
	merges = []catalog.Merge{
		{New: "90", Old: "90", Full: true},
		{New: "90001", Old: "90001", Full: true},
		{New: "90001", Old: "90002", Full: true},
		{New: "90010", Old: "90003", Full: false},
		{New: "90011", Old: "90003", Full: false},
	}
	allUnits = append(append([]catalog.Unit{}, oldUnits...), newUnits...)
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func rowOf(t *testing.T, rep Report, code string) Row {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Unit == code {
			return r
		}
	}
	t.Fatalf("no row for %s in %+v", code, rep.Rows)
	return Row{}
}

func counts(unit string, s catalog.Scheme, before, in int) catalog.DigitizedCount {
	return catalog.DigitizedCount{Unit: unit, Scheme: s, Before: before, In: in}
}

func TestRollUpAddsCountsNotPercentages(t *testing.T) {
	rep := Compute(Input{
		Year: 2024, AsOf: day("2024-12-31"), Scheme: catalog.Scheme2024, Units: allUnits, Merges: merges,
		Inventories: []catalog.Inventory{
			{Unit: "90001", Year: 2024, Counts: []catalog.InventoryCount{{Count: 100}}},
			{Unit: "90002", Year: 2024, Counts: []catalog.InventoryCount{{Count: 900}}},
			{Unit: "901", Year: 2024, Counts: []catalog.InventoryCount{{Count: 1000}}},
		},
		Counts: []catalog.DigitizedCount{
			counts("90001", catalog.Scheme2024, 50, 40), // 90%
			counts("90002", catalog.Scheme2024, 0, 90),  // 10%
			counts("901", catalog.Scheme2024, 0, 260),
			counts("90003", catalog.Scheme2024, 0, 7), // no inventory: not in the roll-up
		},
		Schedule: National(),
	})
	a, b, c := rowOf(t, rep, "90001"), rowOf(t, rep, "90002"), rowOf(t, rep, "90003")
	if a.Percent != 90 || a.Target != 75 || a.Status != StatusMet || a.Gap != 0 {
		t.Errorf("90001 = %+v, want 90%% of target 75%%, met", a)
	}
	if b.Percent != 10 || b.Gap != 65 || b.Status != StatusBehind {
		t.Errorf("90002 = %+v, want 10%%, gap 65, behind", b)
	}
	if c.Status != StatusNoInventory || c.Digitized != 7 || c.Total != 0 {
		t.Errorf("90003 = %+v, want no_inventory with its 7 records shown", c)
	}
	d := rowOf(t, rep, "901")
	// (90 + 90 + 260) / (100 + 900 + 1000), not the mean of 90% and 10%.
	if d.Digitized != 440 || d.Total != 2000 || d.Percent != 22 || d.Target != 80 {
		t.Errorf("901 = %+v, want 440/2000 = 22%% against 80%%", d)
	}
	p := rowOf(t, rep, "90")
	if p.Digitized != 440 || p.Total != 2000 || p.Target != 90 {
		t.Errorf("90 = %+v, want the district's counts against 90%%", p)
	}
	if len(rep.Unassigned) != 0 {
		t.Errorf("unassigned = %+v, want none", rep.Unassigned)
	}
	if rep.Rows[0].Unit != "90" || rep.Rows[1].Unit != "901" {
		t.Errorf("rows not in hierarchy order: %v %v", rep.Rows[0].Unit, rep.Rows[1].Unit)
	}
}

func TestProjectionAndOnTrack(t *testing.T) {
	// 1 April 2023 (day 91 of 365): 10 digitized before the year, 91 in it,
	// one a day; at that pace 365 by 31 December.
	in := Input{
		Year: 2023, AsOf: day("2023-04-01"), Scheme: catalog.Scheme2024, Units: oldUnits,
		Inventories: []catalog.Inventory{{Unit: "90001", Year: 2023, Counts: []catalog.InventoryCount{{Count: 500}}}},
		Counts:      []catalog.DigitizedCount{counts("90001", catalog.Scheme2024, 10, 91)},
		Schedule:    National(), // commune 2023: 55%
	}
	r := rowOf(t, Compute(in), "90001")
	if r.Percent != 20.2 || r.Projected != 75 || r.Status != StatusOnTrack {
		t.Errorf("row = %+v, want 20.2%% now, 75%% projected, on_track", r)
	}
	in.Counts = []catalog.DigitizedCount{counts("90001", catalog.Scheme2024, 10, 9)}
	r = rowOf(t, Compute(in), "90001")
	if r.Status != StatusBehind || r.Projected >= 55 {
		t.Errorf("row = %+v, want behind", r)
	}
}

func TestMergerCountsFullMergesAndFlagsPartialOnes(t *testing.T) {
	rep := Compute(Input{
		Year: 2025, AsOf: day("2025-12-31"), Scheme: catalog.Scheme2025, Units: allUnits, Merges: merges,
		Inventories: []catalog.Inventory{
			{Unit: "90001", Year: 2025, Counts: []catalog.InventoryCount{{Count: 100}}},
			{Unit: "90010", Year: 2025, Counts: []catalog.InventoryCount{{Count: 100}}},
		},
		Counts: []catalog.DigitizedCount{
			counts("90001", catalog.Scheme2024, 10, 5), // old Xã A, whole into 90001
			counts("90002", catalog.Scheme2024, 0, 20), // old Xã B, whole into 90001
			counts("90003", catalog.Scheme2024, 0, 8),  // old Xã C, split: never guessed
			counts("90001", catalog.Scheme2025, 0, 15), // new Xã AB
			counts("901", catalog.Scheme2024, 0, 3),    // the old district: its province
			counts("99999", catalog.Scheme2024, 0, 2),  // in no catalogue
		},
		Schedule: National(),
	})
	if r := rowOf(t, rep, "90001"); r.Digitized != 50 || r.Total != 100 {
		t.Errorf("90001 = %+v, want 10+5+20+15 = 50 of 100", r)
	}
	if r := rowOf(t, rep, "90010"); r.Digitized != 0 {
		t.Errorf("90010 = %+v: records of a split commune were guessed", r)
	}
	if r := rowOf(t, rep, "90"); r.Digitized != 50 || r.Total != 200 {
		t.Errorf("90 = %+v, want its communes' 50 of 200", r)
	}
	want := map[string]Unassigned{
		"90003": {Unit: "90003", Name: "Xã C", Scheme: catalog.Scheme2024, Count: 8, Reason: ReasonPartial, Candidates: []string{"90010", "90011"}},
		"99999": {Unit: "99999", Scheme: catalog.Scheme2024, Count: 2, Reason: ReasonUnknownUnit},
	}
	if len(rep.Unassigned) != len(want) {
		t.Fatalf("unassigned = %+v, want %d entries", rep.Unassigned, len(want))
	}
	for _, u := range rep.Unassigned {
		w := want[u.Unit]
		if u.Count != w.Count || u.Reason != w.Reason || u.Name != w.Name || strings.Join(u.Candidates, ",") != strings.Join(w.Candidates, ",") {
			t.Errorf("unassigned %s = %+v, want %+v", u.Unit, u, w)
		}
	}
}

func TestItemizedRegisterMatchesNumberAndDate(t *testing.T) {
	items := []catalog.InventoryItem{
		{Line: 2, Number: "86/QĐ-UBND", IssuedOn: "2024-01-16", DocType: "quyet-dinh"},
		{Line: 3, Number: "86/QĐ-UBND", IssuedOn: "2023-03-02", DocType: "quyet-dinh"}, // same number, other year
		{Line: 4, Number: "05/TB-UBND", IssuedOn: "2024-02-01", DocType: "thong-bao"},
		{Line: 5, Number: "12/GPXD", IssuedOn: "2019-05-05", DocType: "giay-phep-xay-dung", ValidUntil: "2023-12-31"}, // expired
	}
	refs := []catalog.DigitizedRef{
		{RecordID: 1, Unit: "90001", Scheme: catalog.Scheme2024, Number: "86/qđ-ubnd", IssuedOn: "2024-01-16", DigitizedAt: day("2024-03-01")},
		{RecordID: 2, Unit: "90001", Scheme: catalog.Scheme2024, Number: "86 QD UBND", IssuedOn: "2024-01-16", DigitizedAt: day("2024-03-02")}, // the same result twice
		{RecordID: 3, Unit: "90001", Scheme: catalog.Scheme2024, Number: "5/TB-UBND", IssuedOn: "2024-02-01", DigitizedAt: day("2023-12-01")},
		{RecordID: 4, Unit: "90001", Scheme: catalog.Scheme2024, Number: "99/QĐ-UBND", IssuedOn: "2024-01-16", DigitizedAt: day("2024-03-01")},
	}
	rep := Compute(Input{
		Year: 2024, AsOf: day("2024-12-31"), Scheme: catalog.Scheme2024, Units: oldUnits,
		Inventories: []catalog.Inventory{{Unit: "90001", Year: 2024, Items: items}},
		Counts:      []catalog.DigitizedCount{counts("90001", catalog.Scheme2024, 1, 3)},
		Refs:        refs,
		Schedule:    National(),
	})
	r := rowOf(t, rep, "90001")
	if r.Digitized != 2 || r.Total != 3 || !r.Itemized {
		t.Errorf("row = %+v, want 2 of the 3 valid results matched", r)
	}
	missing := rep.Missing["90001"]
	if len(missing) != 1 || missing[0].Line != 3 {
		t.Errorf("missing = %+v, want line 3 (86/QĐ-UBND of 2023-03-02) only", missing)
	}
}

func TestMatchNumber(t *testing.T) {
	same := [][]string{
		{"86/QĐ-UBND", "86/QD-UBND", "86/qđ-ubnd", "86 QĐ UBND", "086/QĐ-UBND"},
		{"123/UBND-VP", "123/ubnd-vp"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if MatchNumber(s) != MatchNumber(group[0]) {
				t.Errorf("MatchNumber(%q) = %q, MatchNumber(%q) = %q: want equal", s, MatchNumber(s), group[0], MatchNumber(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"1/2", "12"}, {"86/QĐ-UBND", "86/CT-UBND"}, {"10/TB", "1/TB"}} {
		if MatchNumber(pair[0]) == MatchNumber(pair[1]) {
			t.Errorf("MatchNumber(%q) = MatchNumber(%q) = %q: want different", pair[0], pair[1], MatchNumber(pair[0]))
		}
	}
}

func TestSchedule(t *testing.T) {
	n := National()
	for _, c := range []struct {
		level catalog.Level
		year  int
		want  float64
	}{
		{catalog.LevelDistrict, 2021, 20}, {catalog.LevelCommune, 2021, 15}, {catalog.LevelProvince, 2021, 30},
		{catalog.LevelCommune, 2023, 55}, {catalog.LevelProvince, 2024, 90}, {catalog.LevelProvince, 2025, 100},
		{catalog.LevelCommune, 2030, 100},
	} {
		if got, ok := n.Target(c.level, c.year); !ok || got != c.want {
			t.Errorf("Target(%s, %d) = %g, %v; want %g", c.level, c.year, got, ok, c.want)
		}
	}
	if _, ok := n.Target(catalog.LevelCommune, 2020); ok {
		t.Error("a target before the base year")
	}
	hcm, err := ParseSchedule([]byte(`{"name": "TP.HCM", "base_year": 2022, "base": {"tỉnh": 30, "district": 20, "xã": 15}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := hcm.Target(catalog.LevelCommune, 2023); got != 35 {
		t.Errorf("HCMC commune 2023 = %g, want 35 (step defaults to 20)", got)
	}
	for _, bad := range []string{
		`{"base_year": 2022, "base": {"commune": 15}, "stpe": 20}`,
		`{"base_year": 2022, "base": {"ward": 15}}`,
		`{"base_year": 2022, "base": {"commune": 150}}`,
		`{"base_year": 2022, "base": {}}`,
		`{"base_year": 2022, "base": {"commune": 15}, "cap": 0}`,
	} {
		if _, err := ParseSchedule([]byte(bad)); err == nil {
			t.Errorf("ParseSchedule(%s) accepted it", bad)
		}
	}
}

func TestParseInventory(t *testing.T) {
	check := InventoryCheck{Unit: func(code string, _ int) error {
		if code == "00000" {
			return errors.New("unknown unit")
		}
		return nil
	}}
	invs, err := ParseInventory(strings.NewReader("unit,year,count,field\n21181,2024,30,ho-tich\n21181,2024,12,dat-dai\n21184,2024,7,ho-tich\n"), 0, check)
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 2 || invs[0].Unit != "21181" || invs[0].Total() != 42 || invs[1].Total() != 7 {
		t.Errorf("inventories = %+v", invs)
	}

	reg, err := ParseInventory(strings.NewReader("unit,number,issued_on,doc_type,valid_until\n21181,86/QĐ-UBND,16/01/2024,quyet-dinh,\n21181,12/GPXD,2019-05-05,giay-phep-xay-dung,2030-01-01\n"), 2024, check)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg) != 1 || !reg[0].Itemized() || reg[0].Year != 2024 || reg[0].Items[0].IssuedOn != "2024-01-16" || reg[0].Items[1].Line != 3 {
		t.Errorf("register = %+v", reg)
	}

	_, err = ParseInventory(strings.NewReader("unit,year,count\n21181,2024,30\n00000,2024,3\n21181,20x4,3\n21181,2024,-1\n21181,2024,5\n"), 0, check)
	var bad *InvalidFile
	if !errors.As(err, &bad) {
		t.Fatalf("err = %v, want *InvalidFile", err)
	}
	var lines []int
	for _, l := range bad.Lines {
		lines = append(lines, l.Line)
	}
	if len(lines) != 4 || lines[0] != 3 || lines[1] != 4 || lines[2] != 5 || lines[3] != 6 {
		t.Errorf("bad lines = %v (%v), want 3 (unit), 4 (year), 5 (count), 6 (repeat of line 2)", lines, err)
	}
	for _, header := range []string{"", "unit,count\n", "unit,year,count,colour\n", "unit,year,count,doc_type,field\n"} {
		if _, err := ParseInventory(strings.NewReader(header+"21181,2024,1\n"), 0, check); err == nil {
			t.Errorf("header %q accepted", header)
		}
	}
}
