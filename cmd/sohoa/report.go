package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"sohoa/storage/catalog"
	unitprogress "sohoa/storage/catalog/progress"
)

func runTargets(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "targets", `Cách dùng / usage: sohoa targets show [--json] | load TỆP.json

  show   xem lộ trình chỉ tiêu đang dùng và chỉ tiêu từng cấp theo năm
         show the target schedule in use and each level's target per year
  load   nạp lộ trình riêng của tỉnh (JSON) / load a province's own schedule:
         {"name": "…", "base_year": 2022,
          "base": {"province": 30, "district": 20, "commune": 15},
          "step": 20, "cap": 100}
`, args,
		subcommand{"show", runTargetsShow}, subcommand{"load", runTargetsLoad})
}

func runTargetsShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "targets show", "[--json]", `
Xem lộ trình chỉ tiêu số hóa: năm gốc, tỷ lệ gốc từng cấp, mức tăng mỗi năm,
mức trần, và chỉ tiêu từng cấp từ năm gốc đến năm đạt trần.
Show the digitization target schedule and each level's target by year.`)
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	s, loaded, err := unitprogress.LoadSchedule(ctx, db)
	if err != nil {
		return err
	}
	lastYear := s.BaseYear
	for _, l := range s.Levels() {
		for y := s.BaseYear; y < s.BaseYear+100; y++ {
			if t, _ := s.Target(l, y); t >= s.Cap {
				lastYear = max(lastYear, y)
				break
			}
		}
	}
	type yearTargets struct {
		Year    int                       `json:"year"`
		Targets map[catalog.Level]float64 `json:"targets"`
	}
	var years []yearTargets
	for y := s.BaseYear; y <= lastYear; y++ {
		yt := yearTargets{Year: y, Targets: map[catalog.Level]float64{}}
		for _, l := range s.Levels() {
			yt.Targets[l], _ = s.Target(l, y)
		}
		years = append(years, yt)
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"schedule": s, "custom": loaded, "years": years})
	}
	src := "mặc định toàn quốc / national default"
	if loaded {
		src = "đã nạp / loaded with targets load"
	}
	fmt.Fprintf(e.stdout, "%s (%s)\nnăm gốc / base year %d, +%g điểm/năm (points a year), trần / cap %g%%\n\n", s.Name, src, s.BaseYear, s.Step, s.Cap)
	fmt.Fprintf(e.stdout, "%-6s", "năm")
	for _, l := range s.Levels() {
		fmt.Fprintf(e.stdout, " %15s", levelName(l))
	}
	fmt.Fprintln(e.stdout)
	for _, yt := range years {
		fmt.Fprintf(e.stdout, "%-6d", yt.Year)
		for _, l := range s.Levels() {
			fmt.Fprintf(e.stdout, " %14g%%", yt.Targets[l])
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

func runTargetsLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "targets load", "TỆP.json", `
Nạp lộ trình chỉ tiêu riêng (thay lộ trình toàn quốc). Tệp JSON:
Load a schedule of your own (replaces the national one). A JSON file:
  {"name": "Kế hoạch CCHC TP. Hồ Chí Minh", "base_year": 2022,
   "base": {"province": 30, "district": 20, "commune": 15},
   "step": 20, "cap": 100}`)
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một tệp JSON (give exactly one JSON file)")
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("đọc / read %s: %w", pos[0], err)
	}
	s, err := unitprogress.ParseSchedule(b)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetSetting(ctx, unitprogress.ScheduleSetting, string(b), catalog.Event{Actor: actorName(*actor), Action: "targets_load", Details: string(b)}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Đã nạp lộ trình / schedule loaded: %s (năm gốc %d, +%g điểm/năm, trần %g%%)\n", s.Name, s.BaseYear, s.Step, s.Cap)
	return nil
}

var statusLabel = map[string]string{
	unitprogress.StatusMet:         "đạt",
	unitprogress.StatusOnTrack:     "kịp tiến độ",
	unitprogress.StatusBehind:      "chậm",
	unitprogress.StatusNoInventory: "chưa có số liệu",
}

func runProgress(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "progress", "[--year Y] [--as-of NGÀY] [--level L] [--unit MÃ] [--behind] [--missing] [--json|--csv]", `
Tỷ lệ số hóa kết quả TTHC còn hiệu lực của từng đơn vị so với chỉ tiêu năm:
số đã số hóa / tổng số đang lưu giữ (theo số liệu sohoa inventory import),
chỉ tiêu theo cấp (sohoa targets show), số điểm còn thiếu, và tỷ lệ dự kiến
ngày 31/12 theo tốc độ từ đầu năm. Cấp trên cộng dồn số của cấp dưới. Chỉ hồ
sơ "đã số hóa" được tính, mỗi hồ sơ một lần. Từ năm 2025 dùng đơn vị mới; hồ sơ
của xã cũ nhập toàn bộ vào xã mới được tính cho xã mới, của xã cũ bị chia
(một phần) thì báo "chưa gán", không đoán; cấp huyện dừng ở 30/6/2025.
Per unit: digitized valid results ÷ all valid results held, against the
level's target for the year, the gap, and the percent projected for 31
December at the year's pace. Parents add up their children's counts. Only
digitized records count, each once. From 2025 the new units are used;
records of a split commune are reported as unassigned, never guessed.

Trạng thái / status: met (đạt), on_track (kịp tiến độ), behind (chậm),
no_inventory (chưa có số liệu).

Ví dụ / examples:
  sohoa progress --level district --behind
  sohoa progress --year 2024 --unit 519 --csv > tien-do.csv
  sohoa progress --missing --unit 21181`)
	now := time.Now().UTC()
	year := fs.Int("year", now.Year(), "năm / year")
	asOf := fs.String("as-of", "", "tính đến ngày (YYYY-MM-DD; mặc định 31/12 hoặc hôm nay) / count up to this day")
	levelFlag := fs.String("level", "", "chỉ cấp / only this level: province, district, commune")
	unitFlag := fs.String("unit", "", "chỉ đơn vị này và cấp dưới / only this unit and those under it")
	behind := fs.Bool("behind", false, "chỉ đơn vị chậm / only units behind target")
	missing := fs.Bool("missing", false, "liệt kê kết quả chưa số hóa của --unit (cần sổ chi tiết) / list the results --unit has not digitized (needs an itemized register)")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	asCSV := fs.Bool("csv", false, "in CSV / print CSV")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *asJSON && *asCSV {
		return usagef("chọn --json hoặc --csv (choose one of --json and --csv)")
	}
	var level catalog.Level
	if *levelFlag != "" {
		l, ok := catalog.ParseLevel(*levelFlag)
		if !ok {
			return usagef("--level %q: dùng / use province, district, commune", *levelFlag)
		}
		level = l
	}
	if *missing && *unitFlag == "" {
		return usagef("--missing cần --unit MÃ (--missing needs --unit CODE)")
	}
	if *year > now.Year() {
		return usagef("năm %d chưa đến (year %d has not begun)", *year, *year)
	}
	day := unitprogress.DefaultAsOf(*year, now)
	if *asOf != "" {
		d, err := time.Parse(time.DateOnly, *asOf)
		if err != nil {
			return usagef("--as-of %q: viết ngày dạng 2025-06-30 (write the day as 2025-06-30)", *asOf)
		}
		if d.Year() != *year {
			return usagef("--as-of %s không thuộc năm %d (is not in year %d)", *asOf, *year, *year)
		}
		day = d
	}

	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := unitprogress.Build(ctx, db, *year, day)
	if err != nil {
		return err
	}

	if *missing {
		return printMissing(e, rep, *unitFlag)
	}
	rows := unitprogress.Filter(rep.Rows, *unitFlag, level, *behind)
	if *unitFlag != "" && len(rows) == 0 && !*behind {
		return fmt.Errorf("không có đơn vị %s trong danh mục năm %d (no unit %s in force in %d)", *unitFlag, *year, *unitFlag, *year)
	}
	switch {
	case *asJSON:
		rep.Rows = rows
		if rep.Unassigned == nil {
			rep.Unassigned = []unitprogress.Unassigned{}
		}
		if rep.Rows == nil {
			rep.Rows = []unitprogress.Row{}
		}
		return writeJSON(e.stdout, rep)
	case *asCSV:
		w := csv.NewWriter(e.stdout)
		_ = w.Write([]string{"unit", "name", "level", "year", "digitized", "total", "percent", "target", "gap", "status", "projected"})
		for _, r := range rows {
			_ = w.Write([]string{r.Unit, r.Name, string(r.Level), strconv.Itoa(r.Year), strconv.Itoa(r.Digitized), strconv.Itoa(r.Total),
				ftoa(r.Percent), ftoa(r.Target), ftoa(r.Gap), r.Status, ftoa(r.Projected)})
		}
		w.Flush()
		return w.Error()
	}
	w := e.stdout
	fmt.Fprintf(w, "Tiến độ số hóa năm %d, tính đến %s (%s) / digitization progress\n\n", rep.Year, rep.AsOf, rep.Scheme)
	fmt.Fprintf(w, "%-6s %-34s %-9s %15s %8s %8s %7s %9s  %s\n", "mã", "đơn vị / unit", "cấp", "số hóa/tổng", "tỷ lệ", "chỉ tiêu", "thiếu", "dự kiến", "trạng thái / status")
	for _, r := range rows {
		indent := map[catalog.Level]string{catalog.LevelProvince: "", catalog.LevelDistrict: "  ", catalog.LevelCommune: "    "}[r.Level]
		counts := fmt.Sprintf("%d/%d", r.Digitized, r.Total)
		pct, proj := fmt.Sprintf("%.1f%%", r.Percent), fmt.Sprintf("%.1f%%", r.Projected)
		if r.Status == unitprogress.StatusNoInventory {
			counts, pct, proj = fmt.Sprintf("%d/—", r.Digitized), "—", "—"
		}
		fmt.Fprintf(w, "%-6s %-34s %-9s %15s %8s %7.0f%% %7.1f %9s  %s/%s\n", r.Unit, clip(indent+r.Name, 34), strings.Split(levelName(r.Level), "/")[0],
			counts, pct, r.Target, r.Gap, proj, statusLabel[r.Status], r.Status)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "(không có đơn vị nào khớp / no matching units)")
	}
	for _, u := range rep.Unassigned {
		why := map[string]string{
			unitprogress.ReasonPartial:      "xã cũ bị chia cho nhiều xã mới, không tự gán (split between several new units: not guessed)",
			unitprogress.ReasonUnknownUnit:  "mã không có trong danh mục (code in no catalogue)",
			unitprogress.ReasonNoSuccessor:  "danh sách sáp nhập không có đơn vị mới (no successor in the merge list)",
			unitprogress.ReasonNewerCatalog: "nhập theo danh mục mới (ingested under the new catalogue)",
		}[u.Reason]
		fmt.Fprintf(w, "\nChưa gán / unassigned: %d hồ sơ của %s %s (%s): %s", u.Count, orDash(u.Unit), u.Name, u.Scheme, why)
		if len(u.Candidates) > 0 {
			fmt.Fprintf(w, "; có thể thuộc / may belong to %s", strings.Join(u.Candidates, ", "))
		}
		fmt.Fprintln(w)
	}
	return nil
}

func printMissing(e *env, rep unitprogress.Report, unit string) error {
	missing, ok := rep.Missing[unit]
	if !ok {
		return fmt.Errorf("đơn vị %s không có sổ chi tiết năm %d: nạp sổ (unit,number,issued_on,doc_type) bằng sohoa inventory import --year %d (no itemized register for %s in %d)",
			unit, rep.Year, rep.Year, unit, rep.Year)
	}
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"line", "unit", "number", "issued_on", "doc_type", "valid_until"})
	for _, it := range missing {
		_ = w.Write([]string{strconv.Itoa(it.Line), it.Unit, it.Number, it.IssuedOn, it.DocType, it.ValidUntil})
	}
	w.Flush()
	fmt.Fprintf(e.stderr, "%d kết quả chưa số hóa / results not yet digitized (%s, %d, đến %s)\n", len(missing), unit, rep.Year, rep.AsOf)
	return w.Error()
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
