package progress

import (
	"math"
	"sort"
	"strings"
	"time"
	"unicode"

	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
)

// Statuses of a row.
const (
	StatusMet         = "met"          // percent ≥ target
	StatusOnTrack     = "on_track"     // below target, but the year's pace reaches it by 31 December
	StatusBehind      = "behind"       // below target, and the pace does not reach it
	StatusNoInventory = "no_inventory" // nothing known of what the unit holds: no denominator
)

// Input is what a report is computed from: one scheme's units, the year's
// inventories and the digitized records counted by when.
type Input struct {
	Year int
	// AsOf is the last day counted, inclusive: 31 December for a past
	// year, today for the current one.
	AsOf time.Time
	// Scheme is the catalogue whose units the rows are: the one in force
	// in Year (or, for the district rows of 2025, the old one).
	Scheme catalog.Scheme
	// Units are the units of every scheme; Merges link the two.
	Units  []catalog.Unit
	Merges []catalog.Merge
	// Inventories of Year, by the codes of Scheme.
	Inventories []catalog.Inventory
	// Counts of digitized records: Before 1 January of Year, and In from
	// then up to and including AsOf.
	Counts []catalog.DigitizedCount
	// Refs are the digitized records (up to AsOf) of the units whose
	// inventory is itemized, to match against their registers.
	Refs     []catalog.DigitizedRef
	Schedule Schedule
}

// Row is one unit's progress.
type Row struct {
	Unit   string        `json:"unit"`
	Name   string        `json:"name"`
	Level  catalog.Level `json:"level"`
	Parent string        `json:"parent"`
	Year   int           `json:"year"`
	AsOf   string        `json:"as_of"`
	// Digitized and Total are the unit's own plus its descendants' (only
	// units with an inventory count: a record has nothing to be compared
	// with where the holdings are unknown).
	Digitized int     `json:"digitized"`
	Total     int     `json:"total"`
	Percent   float64 `json:"percent"`
	Target    float64 `json:"target"`
	// Gap is the points below target, 0 when met.
	Gap    float64 `json:"gap"`
	Status string  `json:"status"`
	// Projected is the percent expected on 31 December at the pace of
	// the year so far.
	Projected float64 `json:"projected"`
	// Itemized is set when the unit's own inventory is a register, so
	// its missing results can be listed.
	Itemized bool `json:"itemized"`
}

// Unassigned is digitized records that cannot be counted toward a unit of
// the report's scheme, with why.
type Unassigned struct {
	Unit   string         `json:"unit"`
	Name   string         `json:"name"`
	Scheme catalog.Scheme `json:"scheme"`
	Count  int            `json:"count"`
	Reason string         `json:"reason"`
	// Candidates are the units the records may belong to (for a unit
	// split between several).
	Candidates []string `json:"candidates,omitempty"`
}

// Reasons records are unassigned.
const (
	ReasonPartial      = "partial"      // the old unit was split between several new ones
	ReasonUnknownUnit  = "unknown_unit" // the code is in no catalogue (or none was imported)
	ReasonNoSuccessor  = "no_successor" // the merge list names no new unit for it
	ReasonNewerCatalog = "newer_scheme" // ingested under the 2025 catalogue, reported under the old one
)

// Report is the progress of one scheme's units in one year.
type Report struct {
	Year       int            `json:"year"`
	AsOf       string         `json:"as_of"`
	Scheme     catalog.Scheme `json:"scheme"`
	Rows       []Row          `json:"rows"`
	Unassigned []Unassigned   `json:"unassigned"`
	// Missing lists, per unit with an itemized inventory, the register
	// rows no digitized record matches.
	Missing map[string][]catalog.InventoryItem `json:"-"`
}

// tally is digitized records split by period, and what is projected.
type tally struct {
	before, in int
}

func (t tally) total() int { return t.before + t.in }

// Compute builds the report. Rows come in hierarchy order: each province,
// then (for the old scheme) each district, then its communes.
func Compute(in Input) Report {
	yearStart := time.Date(in.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	rep := Report{Year: in.Year, AsOf: in.AsOf.Format(time.DateOnly), Scheme: in.Scheme, Missing: map[string][]catalog.InventoryItem{}}

	units := map[string]catalog.Unit{}
	other := map[string]catalog.Unit{}
	children := map[string][]string{}
	var roots []string
	for _, u := range in.Units {
		if u.Scheme != in.Scheme {
			other[u.Code] = u
			continue
		}
		units[u.Code] = u
		if u.Parent == "" {
			roots = append(roots, u.Code)
		} else {
			children[u.Parent] = append(children[u.Parent], u.Code)
		}
	}
	sort.Strings(roots)
	for _, c := range children {
		sort.Strings(c)
	}
	r := resolver{scheme: in.Scheme, units: units, other: other, byOld: map[string][]catalog.Merge{}}
	for _, m := range in.Merges {
		r.byOld[m.Old] = append(r.byOld[m.Old], m)
	}

	// The unit-level denominators.
	total := map[string]int{}
	itemized := map[string][]catalog.InventoryItem{}
	for _, inv := range in.Inventories {
		if inv.Itemized() {
			for _, it := range inv.Items {
				// A result no longer valid in the year is not held.
				if it.ValidUntil != "" && it.ValidUntil < yearStart.Format(time.DateOnly) {
					continue
				}
				itemized[inv.Unit] = append(itemized[inv.Unit], it)
			}
			total[inv.Unit] = len(itemized[inv.Unit])
			continue
		}
		total[inv.Unit] += inv.Total()
	}

	own := map[string]tally{}
	lost := map[[2]string]*Unassigned{}
	unassign := func(code string, s catalog.Scheme, reason string, cands []string, n int) {
		k := [2]string{string(s) + "/" + code, reason}
		u, ok := lost[k]
		if !ok {
			name := ""
			if x, found := r.lookup(code, s); found {
				name = x.Name
			}
			u = &Unassigned{Unit: code, Name: name, Scheme: s, Reason: reason, Candidates: cands}
			lost[k] = u
		}
		u.Count += n
	}
	for _, c := range in.Counts {
		code, reason, cands := r.resolve(c.Unit, c.Scheme)
		if reason != "" {
			unassign(c.Unit, c.Scheme, reason, cands, c.Before+c.In)
			continue
		}
		if _, ok := itemized[code]; ok {
			continue // counted by matching below
		}
		t := own[code]
		t.before += c.Before
		t.in += c.In
		own[code] = t
	}

	// Itemized registers: a digitized record counts when it matches a
	// register row by number and issue date, each row and record once.
	refs := map[string][]catalog.DigitizedRef{}
	for _, ref := range in.Refs {
		code, reason, _ := r.resolve(ref.Unit, ref.Scheme)
		if reason != "" {
			continue // already reported through Counts
		}
		refs[code] = append(refs[code], ref)
	}
	for code, items := range itemized {
		open := map[string][]int{}
		for i, it := range items {
			k := matchKey(it.Number, it.IssuedOn)
			open[k] = append(open[k], i)
		}
		matched := make([]bool, len(items))
		rs := refs[code]
		sort.Slice(rs, func(i, j int) bool { return rs[i].DigitizedAt.Before(rs[j].DigitizedAt) })
		var t tally
		for _, ref := range rs {
			k := matchKey(ref.Number, ref.IssuedOn)
			if len(open[k]) == 0 {
				continue
			}
			matched[open[k][0]] = true
			open[k] = open[k][1:]
			if ref.DigitizedAt.Before(yearStart) {
				t.before++
			} else {
				t.in++
			}
		}
		own[code] = t
		var missing []catalog.InventoryItem
		for i, it := range items {
			if !matched[i] {
				missing = append(missing, it)
			}
		}
		rep.Missing[code] = missing
	}

	// Roll up: a parent's counts are its own plus its children's, over
	// the units whose holdings are known.
	elapsed := float64(in.AsOf.YearDay())
	days := float64(time.Date(in.Year, 12, 31, 0, 0, 0, 0, time.UTC).YearDay())
	type agg struct {
		digitized, total int
		projected        float64
	}
	aggs := map[string]agg{}
	var walk func(code string) agg
	walk = func(code string) agg {
		var a agg
		if n, ok := total[code]; ok && n > 0 {
			t := own[code]
			a.digitized, a.total = t.total(), n
			a.projected = float64(t.total()) + float64(t.in)/elapsed*(days-elapsed)
		}
		for _, c := range children[code] {
			ca := walk(c)
			a.digitized += ca.digitized
			a.total += ca.total
			a.projected += ca.projected
		}
		aggs[code] = a
		return a
	}
	var order []string
	var visit func(code string)
	visit = func(code string) {
		order = append(order, code)
		for _, c := range children[code] {
			visit(c)
		}
	}
	for _, root := range roots {
		walk(root)
		visit(root)
	}

	for _, code := range order {
		u := units[code]
		a := aggs[code]
		row := Row{Unit: code, Name: u.Name, Level: u.Level, Parent: u.Parent, Year: in.Year, AsOf: rep.AsOf,
			Digitized: a.digitized, Total: a.total, Itemized: itemized[code] != nil}
		row.Target, _ = in.Schedule.Target(u.Level, in.Year)
		if a.total == 0 {
			row.Status = StatusNoInventory
			row.Digitized = own[code].total()
		} else {
			row.Percent = round2(100 * float64(a.digitized) / float64(a.total))
			row.Projected = round2(math.Min(100, 100*a.projected/float64(a.total)))
			row.Gap = round2(math.Max(0, row.Target-row.Percent))
			switch {
			case row.Percent >= row.Target:
				row.Status = StatusMet
			case row.Projected >= row.Target:
				row.Status = StatusOnTrack
			default:
				row.Status = StatusBehind
			}
		}
		rep.Rows = append(rep.Rows, row)
	}
	for _, u := range lost {
		rep.Unassigned = append(rep.Unassigned, *u)
	}
	sort.Slice(rep.Unassigned, func(i, j int) bool {
		a, b := rep.Unassigned[i], rep.Unassigned[j]
		if a.Unit != b.Unit {
			return a.Unit < b.Unit
		}
		return a.Reason < b.Reason
	})
	return rep
}

// resolver finds the unit of the report's scheme a record counts toward.
type resolver struct {
	scheme catalog.Scheme
	units  map[string]catalog.Unit // of scheme
	other  map[string]catalog.Unit // of the other scheme
	byOld  map[string][]catalog.Merge
}

func (r resolver) lookup(code string, s catalog.Scheme) (catalog.Unit, bool) {
	if s == r.scheme {
		u, ok := r.units[code]
		return u, ok
	}
	u, ok := r.other[code]
	return u, ok
}

// resolve maps a record's unit code, ingested under scheme s, to a code
// of r.scheme, or says why it cannot: records of an old commune count
// toward the new commune it merged into whole; those of a commune split
// between several are never guessed; those of an abolished district count
// toward the new province its province went into.
func (r resolver) resolve(code string, s catalog.Scheme) (string, string, []string) {
	if s == r.scheme {
		if _, ok := r.units[code]; !ok {
			return "", ReasonUnknownUnit, nil
		}
		return code, "", nil
	}
	if s == catalog.Scheme2025 {
		return "", ReasonNewerCatalog, nil
	}
	old, ok := r.other[code]
	if !ok {
		return "", ReasonUnknownUnit, nil
	}
	if old.Level == catalog.LevelDistrict {
		return r.resolve(old.Parent, s)
	}
	links := r.byOld[code]
	switch {
	case len(links) == 0:
		return "", ReasonNoSuccessor, nil
	case len(links) == 1 && links[0].Full:
		return links[0].New, "", nil
	}
	var cands []string
	for _, m := range links {
		cands = append(cands, m.New)
	}
	sort.Strings(cands)
	return "", ReasonPartial, cands
}

// MatchNumber folds a number and symbol the way people type it: case,
// accents, đ, separators and leading zeros do not matter ("05/QĐ-UBND",
// "5/qd-ubnd" and "05 QĐ UBND" are one number). Two runs of digits stay
// apart ("1/2" is not "12").
func MatchNumber(s string) string {
	var b strings.Builder
	lastDigits := false
	for _, tok := range strings.FieldsFunc(vntext.Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		for len(tok) > 0 {
			n := strings.IndexFunc(tok, func(r rune) bool { return unicode.IsDigit(r) != unicode.IsDigit(rune(tok[0])) })
			if n < 0 {
				n = len(tok)
			}
			run := tok[:n]
			tok = tok[n:]
			if unicode.IsDigit(rune(run[0])) {
				if lastDigits {
					b.WriteByte('-')
				}
				if t := strings.TrimLeft(run, "0"); t != "" {
					run = t
				} else {
					run = "0"
				}
				lastDigits = true
			} else {
				lastDigits = false
			}
			b.WriteString(run)
		}
		// A separator between two digit runs is kept by lastDigits.
	}
	return b.String()
}

func matchKey(number, issued string) string { return MatchNumber(number) + "|" + issued }

func round2(v float64) float64 { return math.Round(v*100) / 100 }
