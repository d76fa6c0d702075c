package progress

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"sohoa/storage/catalog"
)

// LineError is one bad row of an inventory file.
type LineError struct {
	Line   int
	Reason string
}

func (e LineError) Error() string {
	return fmt.Sprintf("dòng %d / line %d: %s", e.Line, e.Line, e.Reason)
}

// InvalidFile is an inventory file with bad rows: none of it is imported.
type InvalidFile struct{ Lines []LineError }

func (e *InvalidFile) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d dòng sai, không nhập gì / %d bad rows, nothing imported", len(e.Lines), len(e.Lines))
	for i, l := range e.Lines {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … %d more", len(e.Lines)-20)
			break
		}
		b.WriteString("\n  " + l.Error())
	}
	return b.String()
}

// InventoryCheck validates the codes of a row; nil accepts anything.
type InventoryCheck struct {
	// Unit returns an error when code is not a unit in force in year.
	Unit func(code string, year int) error
	// DocType and Field return an error for an unknown slug.
	DocType, Field func(slug string) error
}

// ParseInventory reads an inventory CSV in either of two shapes, told by
// its header:
//
//   - counts: unit,year,count with optional doc_type or field columns:
//     how many valid results a unit held in a year;
//   - an itemized register: unit,number,issued_on,doc_type[,valid_until],
//     one row per valid result, all of the year given.
//
// Every bad row is reported with its line number; when there is any, the
// result is an *InvalidFile and nothing is returned to import.
func ParseInventory(r io.Reader, year int, check InventoryCheck) ([]catalog.Inventory, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("tệp rỗng / the file is empty: the first line names the columns (unit,year,count or unit,number,issued_on,doc_type)")
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: column %q twice", h)
		}
		col[h] = i
	}
	_, hasCount := col["count"]
	_, hasNumber := col["number"]
	var need, allowed []string
	switch {
	case hasCount && !hasNumber:
		need, allowed = []string{"unit", "year", "count"}, []string{"doc_type", "field"}
	case hasNumber && !hasCount:
		need, allowed = []string{"unit", "number", "issued_on", "doc_type"}, []string{"valid_until"}
	default:
		return nil, errors.New("line 1: the header is neither counts (unit,year,count[,doc_type|field]) nor a register (unit,number,issued_on,doc_type[,valid_until])")
	}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("line 1: column %q is missing (want %s)", n, strings.Join(append(need, allowed...), ","))
		}
	}
	for h := range col {
		if !slices.Contains(need, h) && !slices.Contains(allowed, h) {
			return nil, fmt.Errorf("line 1: unknown column %q (want %s)", h, strings.Join(append(need, allowed...), ","))
		}
	}
	if hasCount {
		if _, a := col["doc_type"]; a {
			if _, b := col["field"]; b {
				return nil, errors.New("line 1: give counts per doc_type or per field, not both")
			}
		}
	}

	byKey := map[[2]string]*catalog.Inventory{}
	var bad []LineError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, LineError{pe.Line, pe.Err.Error()})
				continue
			}
			return nil, err
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if len(rec) != len(header) {
			bad = append(bad, LineError{line, fmt.Sprintf("%d columns, the header has %d", len(rec), len(header))})
			continue
		}
		fail := func(format string, a ...any) { bad = append(bad, LineError{line, fmt.Sprintf(format, a...)}) }
		unit := get("unit")
		if unit == "" {
			fail("unit is empty")
			continue
		}
		y := year
		if hasCount {
			v, err := strconv.Atoi(get("year"))
			if err != nil || v < 2000 || v > 2100 {
				fail("year %q is not a year", get("year"))
				continue
			}
			y = v
		}
		if check.Unit != nil {
			if err := check.Unit(unit, y); err != nil {
				fail("%v", err)
				continue
			}
		}
		k := [2]string{unit, strconv.Itoa(y)}
		inv := byKey[k]
		if inv == nil {
			inv = &catalog.Inventory{Unit: unit, Year: y}
			byKey[k] = inv
		}
		if hasCount {
			n, err := strconv.Atoi(get("count"))
			if err != nil || n < 0 {
				fail("count %q is not a whole number ≥ 0", get("count"))
				continue
			}
			c := catalog.InventoryCount{Unit: unit, Year: y, DocType: get("doc_type"), Field: get("field"), Count: n}
			if c.DocType != "" && check.DocType != nil {
				if err := check.DocType(c.DocType); err != nil {
					fail("%v", err)
					continue
				}
			}
			if c.Field != "" && check.Field != nil {
				if err := check.Field(c.Field); err != nil {
					fail("%v", err)
					continue
				}
			}
			key := fmt.Sprintf("%s|%d|%s|%s", unit, y, c.DocType, c.Field)
			if first, dup := seen[key]; dup {
				fail("the same unit, year and type as line %d", first)
				continue
			}
			seen[key] = line
			inv.Counts = append(inv.Counts, c)
			continue
		}
		it := catalog.InventoryItem{Unit: unit, Year: y, Line: line, Number: get("number"), DocType: get("doc_type")}
		if it.Number == "" {
			fail("number is empty")
			continue
		}
		if it.IssuedOn, err = parseDay(get("issued_on")); err != nil {
			fail("issued_on %q: %v", get("issued_on"), err)
			continue
		}
		if v := get("valid_until"); v != "" {
			if it.ValidUntil, err = parseDay(v); err != nil {
				fail("valid_until %q: %v", v, err)
				continue
			}
		}
		if it.DocType == "" {
			fail("doc_type is empty")
			continue
		}
		if check.DocType != nil {
			if err := check.DocType(it.DocType); err != nil {
				fail("%v", err)
				continue
			}
		}
		inv.Items = append(inv.Items, it)
	}
	if len(bad) > 0 {
		sort.Slice(bad, func(i, j int) bool { return bad[i].Line < bad[j].Line })
		return nil, &InvalidFile{Lines: bad}
	}
	out := make([]catalog.Inventory, 0, len(byKey))
	for _, inv := range byKey {
		out = append(out, *inv)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Unit != out[j].Unit {
			return out[i].Unit < out[j].Unit
		}
		return out[i].Year < out[j].Year
	})
	if len(out) == 0 {
		return nil, errors.New("no rows after the header: nothing to import")
	}
	return out, nil
}

// parseDay reads an ISO date or the Vietnamese dd/mm/yyyy.
func parseDay(s string) (string, error) {
	for _, layout := range []string{time.DateOnly, "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", errors.New("not a date: write 2025-01-16 or 16/01/2025")
}
