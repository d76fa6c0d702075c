package dashboard

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
)

// maxMatches bounds a search's answer: a name typed in part matches
// hundreds of communes.
const maxMatches = 30

// UnitMatch is one unit a search found.
type UnitMatch struct {
	Code   string         `json:"code"`
	Name   string         `json:"name"`
	Level  catalog.Level  `json:"level"`
	Scheme catalog.Scheme `json:"scheme"`
	// Parents are the names of the units above it, nearest first.
	Parents []string `json:"parents"`
	// Year is the year to look at it in: the one asked for when the unit
	// was in force then, else the nearest year its catalogue was.
	Year int `json:"year"`
}

// searchUnits finds the units of either catalogue whose name (or code)
// holds text, folded on both sides with vntext.Fold, so "tinh phong"
// finds "Xã Tịnh Phong". Units in force in year come first, then whole
// names before parts of names.
func (d *Dashboard) searchUnits(ctx context.Context, text string, year int) ([]UnitMatch, error) {
	units, err := d.src.Units(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("search units: %w", err)
	}
	want := vntext.Fold(strings.Join(strings.Fields(text), " "))
	inForce := catalog.SchemeOn(time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
	byCode := map[catalog.Scheme]map[string]catalog.Unit{}
	type scored struct {
		u     catalog.Unit
		score int
	}
	var found []scored
	for _, u := range units {
		if byCode[u.Scheme] == nil {
			byCode[u.Scheme] = map[string]catalog.Unit{}
		}
		byCode[u.Scheme][u.Code] = u
		name := vntext.Fold(u.Name)
		bare := strings.TrimPrefix(name, vntext.Fold(u.Type)+" ")
		score := -1
		switch {
		case u.Code == text || bare == want || name == want:
			score = 0
		case strings.HasPrefix(bare, want):
			score = 1
		case strings.Contains(name, want):
			score = 2
		}
		if score < 0 {
			continue
		}
		if u.Scheme != inForce {
			score += 10
		}
		found = append(found, scored{u, score})
	}
	rank := map[catalog.Level]int{catalog.LevelProvince: 0, catalog.LevelDistrict: 1, catalog.LevelCommune: 2}
	sort.SliceStable(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if a.score != b.score {
			return a.score < b.score
		}
		if rank[a.u.Level] != rank[b.u.Level] {
			return rank[a.u.Level] < rank[b.u.Level]
		}
		return a.u.Code < b.u.Code
	})
	out := []UnitMatch{}
	for _, f := range found {
		if len(out) == maxMatches {
			break
		}
		m := UnitMatch{Code: f.u.Code, Name: f.u.Name, Level: f.u.Level, Scheme: f.u.Scheme, Parents: []string{}, Year: year}
		for p := f.u.Parent; p != ""; p = byCode[f.u.Scheme][p].Parent {
			pu, ok := byCode[f.u.Scheme][p]
			if !ok {
				break
			}
			m.Parents = append(m.Parents, pu.Name)
		}
		switch {
		case f.u.Scheme == catalog.Scheme2024 && year >= catalog.Reorganised.Year():
			// District rows run to 30 June 2025; communes and provinces end in 2024.
			m.Year = catalog.Reorganised.Year() - 1
			if f.u.Level == catalog.LevelDistrict {
				m.Year = catalog.Reorganised.Year()
			}
		case f.u.Scheme == catalog.Scheme2025 && year < catalog.Reorganised.Year():
			m.Year = catalog.Reorganised.Year()
		}
		out = append(out, m)
	}
	return out, nil
}
