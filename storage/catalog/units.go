package catalog

import (
	"context"
	"time"
)

// Level is a tier of the administrative hierarchy.
type Level string

// Levels, top down. The district level exists only in the catalogue in
// force until 30 June 2025.
const (
	LevelProvince Level = "province"
	LevelDistrict Level = "district"
	LevelCommune  Level = "commune"
)

// ParseLevel accepts a level's name in English or Vietnamese.
func ParseLevel(s string) (Level, bool) {
	switch s {
	case "province", "tinh", "tỉnh":
		return LevelProvince, true
	case "district", "huyen", "huyện":
		return LevelDistrict, true
	case "commune", "xa", "xã":
		return LevelCommune, true
	}
	return "", false
}

// Scheme names one catalogue of administrative units. The same code in
// two schemes is two different units: a new commune often kept the code of
// one of the old communes it absorbed.
type Scheme string

// The two catalogues of the 2025 reorganisation (Quyết định 19/2025/QĐ-TTg).
const (
	// Scheme2024 is the 3-level catalogue (province, district, commune)
	// in force until 30 June 2025.
	Scheme2024 Scheme = "dvhc-2024"
	// Scheme2025 is the 2-level catalogue (province, commune) in force
	// from 1 July 2025.
	Scheme2025 Scheme = "dvhc-2025"
)

// Reorganised is the first day of Scheme2025.
var Reorganised = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// SchemeOn returns the catalogue in force on day.
func SchemeOn(day time.Time) Scheme {
	if day.Before(Reorganised) {
		return Scheme2024
	}
	return Scheme2025
}

// Unit is one administrative unit of one scheme.
type Unit struct {
	Scheme Scheme
	Code   string // 2 digits province, 3 district, 5 commune
	Name   string // "Xã Tịnh Phong"
	Type   string // "Xã", "Phường", "Thị trấn", "Huyện", "Tỉnh", ...
	Level  Level
	Parent string // code of the parent in the same scheme; empty for a province
	// ValidFrom and ValidTo bound the days the unit existed in this form
	// (ISO dates, inclusive; empty means unbounded).
	ValidFrom, ValidTo string
}

// Merge links a unit of Scheme2025 to one unit of Scheme2024 it was formed
// from. Full means the whole old unit went into the new one; otherwise the
// old unit was split between several new ones (partial), and its records
// cannot be assigned to one of them from the code alone.
type Merge struct {
	New, Old string
	Full     bool
}

// InventoryCount is the number of valid results a unit held in a year,
// the denominator of its progress: all of them, or one document type or
// field when DocType or Field is set.
type InventoryCount struct {
	Unit    string
	Year    int
	DocType string
	Field   string
	Count   int
}

// InventoryItem is one valid result of a unit's itemized register.
type InventoryItem struct {
	Unit       string
	Year       int
	Line       int // line of the imported file, for messages
	Number     string
	IssuedOn   string // ISO date
	DocType    string
	ValidUntil string // ISO date; empty while valid
}

// Inventory is what one import says a unit held in a year: counts or an
// itemized register (never both).
type Inventory struct {
	Unit   string
	Year   int
	Counts []InventoryCount
	Items  []InventoryItem
}

// Itemized reports whether the inventory lists results one by one.
func (inv Inventory) Itemized() bool { return len(inv.Items) > 0 }

// Total is the number of valid results the inventory holds.
func (inv Inventory) Total() int {
	if inv.Itemized() {
		return len(inv.Items)
	}
	n := 0
	for _, c := range inv.Counts {
		n += c.Count
	}
	return n
}

// DigitizedCount is how many digitized records a unit code has, split by
// when they were digitized.
type DigitizedCount struct {
	Unit string
	// Scheme is the catalogue in force when the records were ingested,
	// which says which unit Unit names.
	Scheme Scheme
	// Before counts records digitized before the period asked for, In
	// those digitized within it.
	Before, In int
}

// DigitizedRef identifies one digitized record for matching against an
// itemized register.
type DigitizedRef struct {
	RecordID    int64
	Unit        string
	Scheme      Scheme
	Number      string
	IssuedOn    string
	DigitizedAt time.Time
}

// Registry keeps the administrative units, the inventories that are the
// denominators of progress, and settings such as the target schedule.
// Every change is appended to the event log as ev, in the same
// transaction as the change itself. Implementations are safe for
// concurrent use.
type Registry interface {
	// ReplaceUnits replaces every unit and merge link with the ones given.
	ReplaceUnits(ctx context.Context, units []Unit, merges []Merge, ev Event) error
	// Units returns the units of a scheme ordered by code; all schemes
	// when scheme is empty.
	Units(ctx context.Context, scheme Scheme) ([]Unit, error)
	// Merges returns every merge link.
	Merges(ctx context.Context) ([]Merge, error)

	// ReplaceInventory replaces what is known of each unit-year in invs
	// with invs: all of it or none.
	ReplaceInventory(ctx context.Context, invs []Inventory, ev Event) error
	// Inventories returns the inventories of a year, every unit.
	Inventories(ctx context.Context, year int) ([]Inventory, error)

	// DigitizedCounts counts digitized records per unit code and ingest
	// scheme: Before those digitized before from, In those from from up
	// to and excluding until.
	DigitizedCounts(ctx context.Context, from, until time.Time) ([]DigitizedCount, error)
	// DigitizedRefs lists digitized records of the given unit codes
	// digitized before until.
	DigitizedRefs(ctx context.Context, units []string, until time.Time) ([]DigitizedRef, error)

	// Setting returns a stored setting; ErrNotFound if never set.
	Setting(ctx context.Context, name string) (string, error)
	// SetSetting stores a setting.
	SetSetting(ctx context.Context, name, value string, ev Event) error
}
