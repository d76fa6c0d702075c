// Package progress computes how far each administrative unit is in
// digitizing the valid results it holds, against the yearly target: per
// unit and level, rolled up the hierarchy by adding counts, with the
// 2025 reorganisation applied through the merge list.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"sohoa/storage/catalog"
)

// Schedule is a target plan: the share of valid results each level must
// have digitized by the end of each year. The target of a level in a year
// is its base percentage in BaseYear plus Step points a year, at most Cap.
// It is data, never code: a province loads its own.
type Schedule struct {
	Name     string                    `json:"name"`
	BaseYear int                       `json:"base_year"`
	Base     map[catalog.Level]float64 `json:"base"`
	Step     float64                   `json:"step"`
	Cap      float64                   `json:"cap"`
}

// National is the default schedule, the 2021–2030 administrative-reform
// programme as provinces wrote it into their plans: in 2021 20% at district
// level, 15% at commune level and 30% at province level, then +20 points a
// year up to 100%.
func National() Schedule {
	return Schedule{
		Name:     "Chương trình tổng thể CCHC 2021–2030 (NQ 76/NQ-CP) / national programme",
		BaseYear: 2021,
		Base: map[catalog.Level]float64{
			catalog.LevelProvince: 30,
			catalog.LevelDistrict: 20,
			catalog.LevelCommune:  15,
		},
		Step: 20,
		Cap:  100,
	}
}

// Target returns the target percentage of level in year, and false when
// the schedule sets none (a year before its base, or a level it omits).
func (s Schedule) Target(level catalog.Level, year int) (float64, bool) {
	base, ok := s.Base[level]
	if !ok || year < s.BaseYear {
		return 0, false
	}
	return math.Min(s.Cap, base+s.Step*float64(year-s.BaseYear)), true
}

// Validate reports the first thing wrong with s, in words that say what
// to change.
func (s Schedule) Validate() error {
	if s.BaseYear < 2000 || s.BaseYear > 2100 {
		return fmt.Errorf("base_year %d is not a plausible year", s.BaseYear)
	}
	if len(s.Base) == 0 {
		return errors.New(`base is empty: give a percentage per level, e.g. "base": {"province": 30, "district": 20, "commune": 15}`)
	}
	for l, v := range s.Base {
		if _, ok := catalog.ParseLevel(string(l)); !ok {
			return fmt.Errorf("base has level %q: use province, district or commune", l)
		}
		if v < 0 || v > 100 {
			return fmt.Errorf("base of %s is %g%%: a percentage is between 0 and 100", l, v)
		}
	}
	if s.Step < 0 || s.Step > 100 {
		return fmt.Errorf("step is %g points: it is between 0 and 100", s.Step)
	}
	if s.Cap <= 0 || s.Cap > 100 {
		return fmt.Errorf("cap is %g%%: it is above 0 and at most 100", s.Cap)
	}
	return nil
}

// ParseSchedule reads a schedule from JSON, rejecting unknown keys (a
// misspelt "step" must not silently become 0). Levels may be named in
// Vietnamese ("xã", "huyện", "tỉnh").
func ParseSchedule(b []byte) (Schedule, error) {
	var raw struct {
		Name     string             `json:"name"`
		BaseYear int                `json:"base_year"`
		Base     map[string]float64 `json:"base"`
		Step     *float64           `json:"step"`
		Cap      *float64           `json:"cap"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Schedule{}, fmt.Errorf("read schedule: %w", err)
	}
	s := Schedule{Name: raw.Name, BaseYear: raw.BaseYear, Base: map[catalog.Level]float64{}, Step: 20, Cap: 100}
	if raw.Step != nil {
		s.Step = *raw.Step
	}
	if raw.Cap != nil {
		s.Cap = *raw.Cap
	}
	for k, v := range raw.Base {
		l, ok := catalog.ParseLevel(strings.ToLower(strings.TrimSpace(k)))
		if !ok {
			return Schedule{}, fmt.Errorf("read schedule: base has level %q: use province, district or commune", k)
		}
		s.Base[l] = v
	}
	if err := s.Validate(); err != nil {
		return Schedule{}, fmt.Errorf("read schedule: %w", err)
	}
	return s, nil
}

// Levels returns the levels s sets, top down.
func (s Schedule) Levels() []catalog.Level {
	var out []catalog.Level
	for l := range s.Base {
		out = append(out, l)
	}
	rank := map[catalog.Level]int{catalog.LevelProvince: 0, catalog.LevelDistrict: 1, catalog.LevelCommune: 2}
	sort.Slice(out, func(i, j int) bool { return rank[out[i]] < rank[out[j]] })
	return out
}
