package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"sohoa/pipeline/classify"
	"sohoa/storage/catalog"
	unitprogress "sohoa/storage/catalog/progress"
)

func runInventory(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "inventory", `Cách dùng / usage: sohoa inventory import [--year Y] TỆP.csv

  import   nạp số kết quả TTHC còn hiệu lực đang lưu giữ (mẫu số của tỷ lệ số hóa)
           load the valid results each unit holds (the denominator of progress)
`, args,
		subcommand{"import", runInventoryImport})
}

func runInventoryImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "inventory import", "[--year Y] TỆP.csv", `
Nạp số kết quả giải quyết TTHC còn hiệu lực mỗi đơn vị đang lưu giữ. Hai dạng,
nhận theo dòng tiêu đề:
  số lượng / counts:     unit,year,count            (tùy chọn cột doc_type hoặc field)
  sổ chi tiết / register: unit,number,issued_on,doc_type[,valid_until]
                         (mỗi kết quả một dòng, của năm --year)
Với sổ chi tiết, hồ sơ đã số hóa được đối chiếu theo đơn vị + số ký hiệu +
ngày ban hành, và "sohoa progress --missing --unit MÃ" liệt kê kết quả còn
thiếu. Nạp lại thì thay số liệu của đơn vị-năm đó. Dòng sai được báo theo số
dòng; có dòng sai thì không nạp gì.
Load what each unit holds: counts, or an itemized register (one row per
result, of --year). Importing again replaces that unit-year. Bad rows are
reported by line; if any row is bad, nothing is imported.`)
	year := fs.Int("year", time.Now().Year(), "năm của sổ chi tiết / the year of an itemized register")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một tệp CSV (give exactly one CSV file)")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("mở / open %s: %w", pos[0], err)
	}
	defer f.Close()
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	units, err := unitsOrHint(ctx, db)
	if err != nil {
		return err
	}
	known := map[catalog.Scheme]map[string]catalog.Unit{}
	for _, u := range units {
		if known[u.Scheme] == nil {
			known[u.Scheme] = map[string]catalog.Unit{}
		}
		known[u.Scheme][u.Code] = u
	}
	check := unitprogress.InventoryCheck{
		Unit: func(code string, y int) error {
			// A year's holdings belong to the units in force at its end;
			// 2025's districts ended on 30 June but still held a half year.
			s := catalog.SchemeOn(time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC))
			if _, ok := known[s][code]; ok {
				return nil
			}
			if old, ok := known[catalog.Scheme2024][code]; ok && y == catalog.Reorganised.Year() && old.Level == catalog.LevelDistrict {
				return nil
			}
			return fmt.Errorf("đơn vị %s không có trong danh mục năm %d (unit %s is not in force in %d)", code, y, code, y)
		},
		DocType: func(slug string) error {
			if classify.TypeName(slug) == "" {
				return fmt.Errorf("doc_type %q không có (unknown: see sohoa ingest --help for the slugs)", slug)
			}
			return nil
		},
		Field: func(slug string) error {
			if classify.FieldName(slug) == "" {
				return fmt.Errorf("field %q không có (unknown: ho-tich, chung-thuc, dat-dai, xay-dung, kinh-doanh, noi-vu, khac)", slug)
			}
			return nil
		},
	}
	invs, err := unitprogress.ParseInventory(f, *year, check)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	type summary struct {
		Unit     string `json:"unit"`
		Year     int    `json:"year"`
		Total    int    `json:"total"`
		Itemized bool   `json:"itemized"`
	}
	var sums []summary
	for _, inv := range invs {
		sums = append(sums, summary{inv.Unit, inv.Year, inv.Total(), inv.Itemized()})
	}
	details, _ := json.Marshal(map[string]any{"file": pos[0], "inventories": sums})
	if err := db.ReplaceInventory(ctx, invs, catalog.Event{Actor: actorName(*actor), Action: "inventory_import", Details: string(details)}); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, sums)
	}
	for _, s := range sums {
		kind := "số lượng / counts"
		if s.Itemized {
			kind = "sổ chi tiết / register"
		}
		fmt.Fprintf(e.stdout, "%s năm %d: %d kết quả còn hiệu lực (%s)\n", s.Unit, s.Year, s.Total, kind)
	}
	fmt.Fprintf(e.stdout, "Đã nạp / imported %d đơn vị-năm (unit-years) từ %s\n", len(sums), pos[0])
	return nil
}
