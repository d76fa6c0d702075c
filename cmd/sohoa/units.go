package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/dvhc"
	unitprogress "sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
)

func runUnits(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "units", `Cách dùng / usage: sohoa units import | show MÃ [--on NGÀY]

  import   nạp danh mục đơn vị hành chính thật: 3 cấp (đến 30/6/2025) và 2 cấp
           (từ 1/7/2025), cùng danh sách sáp nhập
           load the real catalogues: 3 levels until 30 June 2025, 2 levels from
           1 July 2025, and the merge list linking them
  show     xem một đơn vị, các cấp trên, và đơn vị trước/sau sắp xếp
           show a unit, its parents, and its predecessors or successors
`, args,
		subcommand{"import", runUnitsImport}, subcommand{"show", runUnitsShow})
}

func runUnitsImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "units import", "[--json]", `
Nạp danh mục đơn vị hành chính (nhúng sẵn trong chương trình): 63 tỉnh, 696
huyện, 10.047 xã đến 30/6/2025; 34 tỉnh, 3.321 xã từ 1/7/2025; và danh sách
sáp nhập. Nạp lại thì thay toàn bộ.
Load the embedded unit catalogues (before and after the 1 July 2025
reorganisation) and the merge list; importing again replaces them.`)
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	c, err := dvhc.Load()
	if err != nil {
		return err
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	counts := map[string]int{}
	for _, u := range c.Units {
		counts[string(u.Scheme)+"/"+string(u.Level)]++
	}
	partial := 0
	for _, m := range c.Merges {
		if !m.Full {
			partial++
		}
	}
	details, _ := json.Marshal(map[string]any{"units": counts, "merges": len(c.Merges), "partial": partial})
	if err := db.ReplaceUnits(ctx, c.Units, c.Merges, catalog.Event{Actor: actorName(*actor), Action: "units_import", Details: string(details)}); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"units": counts, "merges": len(c.Merges), "partial": partial})
	}
	fmt.Fprintf(e.stdout, "Đã nạp / imported %s: %d tỉnh, %d huyện, %d xã (đến 30/6/2025)\n", catalog.Scheme2024,
		counts["dvhc-2024/province"], counts["dvhc-2024/district"], counts["dvhc-2024/commune"])
	fmt.Fprintf(e.stdout, "Đã nạp / imported %s: %d tỉnh, %d xã (từ 1/7/2025)\n", catalog.Scheme2025,
		counts["dvhc-2025/province"], counts["dvhc-2025/commune"])
	fmt.Fprintf(e.stdout, "Sáp nhập / merge links: %d, trong đó %d một phần (partial)\n", len(c.Merges), partial)
	return nil
}

// unitJSON is a unit with its context, for units show --json.
type unitJSON struct {
	Scheme       catalog.Scheme `json:"scheme"`
	Code         string         `json:"code"`
	Name         string         `json:"name"`
	Type         string         `json:"type"`
	Level        catalog.Level  `json:"level"`
	ValidFrom    string         `json:"valid_from"`
	ValidTo      string         `json:"valid_to"`
	Parents      []unitRef      `json:"parents"`
	Predecessors []unitRef      `json:"predecessors,omitempty"`
	Successors   []unitRef      `json:"successors,omitempty"`
}

type unitRef struct {
	Scheme catalog.Scheme `json:"scheme"`
	Code   string         `json:"code"`
	Name   string         `json:"name"`
	Level  catalog.Level  `json:"level"`
	// Merge is "full" or "partial" for a predecessor or successor.
	Merge string `json:"merge,omitempty"`
}

func runUnitsShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "units show", "MÃ [--on NGÀY] [--json]", `
Xem một đơn vị: tên, loại, cấp, thời gian hiệu lực, các cấp trên, và qua đợt
sắp xếp 1/7/2025 các đơn vị trước (hợp thành nó) hoặc sau (nó nhập vào). Một
mã có thể là hai đơn vị khác nhau ở hai danh mục: --on chọn danh mục có hiệu
lực vào ngày đó (mặc định: hôm nay).
Show a unit with its parent chain and, across the reorganisation, its
predecessors or successors. The same code may be two units in the two
catalogues: --on picks the one in force on that day (default today).`)
	on := fs.String("on", "", "ngày (YYYY-MM-DD) / the day whose catalogue to use")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một mã đơn vị (give exactly one unit code)")
	}
	day := time.Now().UTC()
	if *on != "" {
		if day, err = time.Parse(time.DateOnly, *on); err != nil {
			return usagef("--on %q: viết ngày dạng 2025-06-30 (write the day as 2025-06-30)", *on)
		}
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	all, err := unitsOrHint(ctx, db)
	if err != nil {
		return err
	}
	merges, err := db.Merges(ctx)
	if err != nil {
		return err
	}
	idx := map[catalog.Scheme]map[string]catalog.Unit{}
	for _, u := range all {
		if idx[u.Scheme] == nil {
			idx[u.Scheme] = map[string]catalog.Unit{}
		}
		idx[u.Scheme][u.Code] = u
	}
	scheme := catalog.SchemeOn(day)
	u, ok := idx[scheme][pos[0]]
	if !ok {
		otherScheme := catalog.Scheme2024
		if scheme == catalog.Scheme2024 {
			otherScheme = catalog.Scheme2025
		}
		if x, found := idx[otherScheme][pos[0]]; found {
			u, scheme = x, otherScheme
		} else {
			return fmt.Errorf("không có đơn vị mã %s (no unit %s in either catalogue)", pos[0], pos[0])
		}
	}
	out := unitJSON{Scheme: u.Scheme, Code: u.Code, Name: u.Name, Type: u.Type, Level: u.Level, ValidFrom: u.ValidFrom, ValidTo: u.ValidTo}
	for p := u.Parent; p != ""; p = idx[scheme][p].Parent {
		pu := idx[scheme][p]
		out.Parents = append(out.Parents, unitRef{Scheme: scheme, Code: pu.Code, Name: pu.Name, Level: pu.Level})
	}
	kind := func(full bool) string {
		if full {
			return "full"
		}
		return "partial"
	}
	for _, m := range merges {
		if scheme == catalog.Scheme2025 && m.New == u.Code {
			o := idx[catalog.Scheme2024][m.Old]
			out.Predecessors = append(out.Predecessors, unitRef{Scheme: catalog.Scheme2024, Code: o.Code, Name: o.Name, Level: o.Level, Merge: kind(m.Full)})
		}
		if scheme == catalog.Scheme2024 && m.Old == u.Code {
			n := idx[catalog.Scheme2025][m.New]
			out.Successors = append(out.Successors, unitRef{Scheme: catalog.Scheme2025, Code: n.Code, Name: n.Name, Level: n.Level, Merge: kind(m.Full)})
		}
	}
	if scheme == catalog.Scheme2024 && u.Level == catalog.LevelDistrict {
		// A district has no successor: the level was abolished; its
		// communes and province have theirs.
		out.Successors = nil
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	w := e.stdout
	fmt.Fprintf(w, "%s %s (%s, %s, %s)\n", u.Code, u.Name, u.Type, levelName(u.Level), u.Scheme)
	fmt.Fprintf(w, "  hiệu lực / valid: %s → %s\n", orDash(u.ValidFrom), orDash(u.ValidTo))
	for _, p := range out.Parents {
		fmt.Fprintf(w, "  thuộc / in:        %s %s (%s)\n", p.Code, p.Name, levelName(p.Level))
	}
	for _, p := range out.Predecessors {
		fmt.Fprintf(w, "  hợp thành từ / formed from: %s %s (%s)\n", p.Code, p.Name, mergeName(p.Merge))
	}
	for _, s := range out.Successors {
		fmt.Fprintf(w, "  nhập vào / merged into:     %s %s (%s)\n", s.Code, s.Name, mergeName(s.Merge))
	}
	if scheme == catalog.Scheme2024 && u.Level == catalog.LevelDistrict {
		fmt.Fprintln(w, "  cấp huyện chấm dứt từ 1/7/2025 / the district level ended on 30 June 2025")
	}
	return nil
}

func levelName(l catalog.Level) string {
	switch l {
	case catalog.LevelProvince:
		return "tỉnh/province"
	case catalog.LevelDistrict:
		return "huyện/district"
	case catalog.LevelCommune:
		return "xã/commune"
	}
	return string(l)
}

func mergeName(kind string) string {
	if kind == "full" {
		return "toàn bộ / full"
	}
	return "một phần / partial"
}

// unitsOrHint returns every unit, or says how to load them.
func unitsOrHint(ctx context.Context, db *sqlite.DB) ([]catalog.Unit, error) {
	all, err := db.Units(ctx, "")
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, unitprogress.ErrNoUnits
	}
	return all, nil
}

// checkUnitInForce refuses a unit code that is not in the catalogue in
// force on day, once the catalogues are loaded: records are counted
// toward the unit their code names on the day they are ingested, and a
// mistyped or old code would count nowhere. Without loaded catalogues any
// well-formed code is accepted.
func checkUnitInForce(ctx context.Context, db *sqlite.DB, code string, day time.Time) error {
	if code == "" {
		return nil
	}
	scheme := catalog.SchemeOn(day.UTC())
	units, err := db.Units(ctx, scheme)
	if err != nil || len(units) == 0 {
		return err
	}
	for _, u := range units {
		if u.Code == code {
			return nil
		}
	}
	return usagef("đơn vị %s không có trong danh mục đang hiệu lực (%s); xem sohoa units show %s (unit %s is not in force today)", code, scheme, code, code)
}
