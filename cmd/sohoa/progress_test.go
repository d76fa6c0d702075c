package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
	unitprogress "sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
)

// TestProgressFromTheCommandLine walks issue #3's commands as IT staff
// type them, on the real unit catalogues, with records of a commune that
// absorbed another on 1 July 2025 and of a ward that was split.
func TestProgressFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, errs, code := sohoa(t, "units", "import", "--data", data); code != 0 || !strings.Contains(out, "10047") || !strings.Contains(out, "3321") {
		t.Fatalf("units import: code %d\n%s%s", code, out, errs)
	}

	// The same code is two units: --on picks the catalogue.
	for on, want := range map[string]string{"2025-06-30": "Xã Tịnh Phong", "2025-07-01": "Xã Thọ Phong"} {
		out, errs, code := sohoa(t, "units", "show", "21181", "--on", on, "--json", "--data", data)
		var u unitJSON
		if code != 0 || json.Unmarshal([]byte(out), &u) != nil || u.Name != want {
			t.Fatalf("units show 21181 --on %s = %q (code %d, %s), want %s", on, u.Name, code, errs, want)
		}
		if want == "Xã Thọ Phong" && (len(u.Predecessors) != 2 || u.Parents[0].Code != "51") {
			t.Errorf("21181 after the merger: %+v, want two predecessors in province 51", u)
		}
		if want == "Xã Tịnh Phong" && (len(u.Parents) != 2 || u.Parents[0].Code != "527" || len(u.Successors) != 1) {
			t.Errorf("21181 before the merger: %+v, want district 527, province 51, one successor", u)
		}
	}

	// With the catalogues loaded, ingest refuses a code not in force
	// today (21175 merged into 21181 on 1 July 2025) before reading a file.
	if _, errs, code := sohoa(t, "ingest", "--unit", "21175", "--data", data, filepath.Join(dir, "none.pdf")); code != exitUsage || !strings.Contains(errs, "21175") {
		t.Errorf("ingest --unit 21175: code %d, %s; want a usage error naming the unit", code, errs)
	}

	year := time.Now().UTC().Year()
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Key: "t"})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	add := func(name, unit string, status catalog.Status, at time.Time, number, issued string) {
		t.Helper()
		r := catalog.Record{BatchID: b.ID, Unit: unit, Source: name, Status: status, CreatedAt: at, UpdatedAt: at,
			Number: catalog.Field{Value: number}, Issued: catalog.Field{Value: issued}}
		if _, err := db.AddRecord(ctx, r, false); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	jan16 := fmt.Sprintf("%d-01-16", year)
	add("a.pdf", "21181", catalog.StatusDigitized, now, "86/QD-UBND", jan16) // typed without its Đ
	add("b.pdf", "21181", catalog.StatusDigitized, now, "87/QĐ-UBND", jan16)
	add("c.pdf", "21181", catalog.StatusDigitized, now, "", "")
	add("d.pdf", "21181", catalog.StatusNeedsReview, now, "", "")  // does not count
	add("e.pdf", "21181", catalog.StatusDuplicate, now, "", "")    // does not count
	add("f.pdf", "21175", catalog.StatusDigitized, before, "", "") // old Xã Tịnh Thọ, whole into 21181
	add("g.pdf", "21175", catalog.StatusDigitized, before, "", "") // old Xã Tịnh Thọ, whole into 21181
	add("h.pdf", "00016", catalog.StatusDigitized, before, "", "") // old Phường Ngọc Hà, split: never guessed
	db.Close()

	inv := filepath.Join(dir, "ton-kho.csv")
	os.WriteFile(inv, []byte(fmt.Sprintf("unit,year,count\n21181,%d,10\n", year)), 0o644)
	if out, errs, code := sohoa(t, "inventory", "import", inv, "--data", data); code != 0 {
		t.Fatalf("inventory import: code %d\n%s%s", code, out, errs)
	}
	progressOf := func(args ...string) unitprogressReport {
		t.Helper()
		out, errs, code := sohoa(t, append([]string{"progress", "--json", "--data", data}, args...)...)
		var rep unitprogressReport
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("progress %v: code %d\n%s%s", args, code, out, errs)
		}
		return rep
	}
	rep := progressOf("--unit", "51")
	var commune, province map[string]any
	for _, r := range rep.Rows {
		switch r["unit"] {
		case "21181":
			commune = r
		case "51":
			province = r
		}
	}
	target, _ := unitprogress.National().Target(catalog.LevelCommune, year)
	if commune == nil || commune["digitized"] != 5.0 || commune["total"] != 10.0 || commune["percent"] != 50.0 ||
		commune["target"] != target || commune["gap"] != target-50 || commune["name"] != "Xã Thọ Phong" {
		t.Errorf("21181 = %v, want 5 of 10 (3 new + 2 of Xã Tịnh Thọ), 50%% of %g%%", commune, target)
	}
	// The pace depends on the day the test runs: three records this year.
	if p, _ := commune["projected"].(float64); (p >= target) != (commune["status"] == "on_track") {
		t.Errorf("21181 projected %v%% of %g%% but status %v", p, target, commune["status"])
	}
	if province == nil || province["digitized"] != 5.0 || province["total"] != 10.0 || province["level"] != "province" {
		t.Errorf("51 = %v, want its commune's counts", province)
	}
	if len(rep.Unassigned) != 1 || rep.Unassigned[0]["unit"] != "00016" || rep.Unassigned[0]["count"] != 1.0 || rep.Unassigned[0]["reason"] != "partial" {
		t.Errorf("unassigned = %v, want the split ward's one record", rep.Unassigned)
	}
	if r := progressOf("--level", "province"); len(r.Rows) != 34 {
		t.Errorf("--level province: %d rows, want the 34 provinces in force", len(r.Rows))
	}

	// A bad file: every bad row by line, and nothing imported.
	badCSV := filepath.Join(dir, "sai.csv")
	os.WriteFile(badCSV, []byte(fmt.Sprintf("unit,year,count\n21181,%d,99\n99999,%d,1\n21181,%d,abc\n", year, year, year)), 0o644)
	_, errs, code := sohoa(t, "inventory", "import", badCSV, "--data", data)
	if code != exitFailure || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "line 4") || strings.Contains(errs, "line 2") {
		t.Errorf("bad inventory: code %d, %s", code, errs)
	}
	if r := progressOf("--unit", "21181"); r.Rows[0]["total"] != 10.0 {
		t.Errorf("after a refused import the total is %v, want 10", r.Rows[0]["total"])
	}

	// An itemized register: exactly which results are missing.
	reg := filepath.Join(dir, "so.csv")
	os.WriteFile(reg, []byte(fmt.Sprintf("unit,number,issued_on,doc_type\n21181,86/QĐ-UBND,%s,quyet-dinh\n21181,87/QĐ-UBND,%s,quyet-dinh\n21181,12/TB-UBND,%s,thong-bao\n", jan16, jan16, jan16)), 0o644)
	if out, errs, code := sohoa(t, "inventory", "import", reg, "--data", data); code != 0 {
		t.Fatalf("register import: code %d\n%s%s", code, out, errs)
	}
	out, errs, code := sohoa(t, "progress", "--missing", "--unit", "21181", "--data", data)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "12/TB-UBND") {
		t.Errorf("progress --missing: code %d, want the header and 12/TB-UBND only:\n%s%s", code, out, errs)
	}
	if r := progressOf("--unit", "21181"); r.Rows[0]["digitized"] != 2.0 || r.Rows[0]["total"] != 3.0 {
		t.Errorf("with the register: %v, want 2 of 3 matched", r.Rows[0])
	}

	// A province's own schedule.
	sched := filepath.Join(dir, "chi-tieu.json")
	os.WriteFile(sched, []byte(`{"name": "Kế hoạch tỉnh", "base_year": 2025, "base": {"province": 40, "commune": 30}, "step": 10}`), 0o644)
	if out, errs, code := sohoa(t, "targets", "load", sched, "--data", data); code != 0 {
		t.Fatalf("targets load: code %d\n%s%s", code, out, errs)
	}
	want := min(100, 30+10*float64(year-2025))
	if r := progressOf("--unit", "21181"); r.Rows[0]["target"] != want {
		t.Errorf("target with the loaded schedule = %v, want %v", r.Rows[0]["target"], want)
	}
	if out, _, _ := sohoa(t, "progress", "--csv", "--unit", "21181", "--data", data); !strings.HasPrefix(out, "unit,name,level,year,digitized,total,percent,target,gap,status,projected\n21181,Xã Thọ Phong,commune,") {
		t.Errorf("progress --csv:\n%s", out)
	}
}

// unitprogressReport is progress --json as a script reads it.
type unitprogressReport struct {
	Year       int              `json:"year"`
	Rows       []map[string]any `json:"rows"`
	Unassigned []map[string]any `json:"unassigned"`
}
