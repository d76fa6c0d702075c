package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"sohoa/storage/catalog"
)

var _ catalog.Registry = (*DB)(nil)

// ReplaceUnits replaces every unit and merge link, and appends ev, in one
// transaction.
func (db *DB) ReplaceUnits(ctx context.Context, units []catalog.Unit, merges []catalog.Merge, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM units`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM unit_merges`); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO units (scheme, code, name, type, level, parent, valid_from, valid_to)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, u := range units {
			if _, err := ins.ExecContext(ctx, string(u.Scheme), u.Code, u.Name, u.Type, string(u.Level), u.Parent, u.ValidFrom, u.ValidTo); err != nil {
				return fmt.Errorf("unit %s %s: %w", u.Scheme, u.Code, err)
			}
		}
		link, err := tx.PrepareContext(ctx, `INSERT INTO unit_merges (new_code, old_code, full) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer link.Close()
		for _, m := range merges {
			if _, err := link.ExecContext(ctx, m.New, m.Old, m.Full); err != nil {
				return fmt.Errorf("merge %s ← %s: %w", m.New, m.Old, err)
			}
		}
		return appendEvent(ctx, tx, db.now(), ev)
	})
	if err != nil {
		return fmt.Errorf("replace units: %w", err)
	}
	return nil
}

// Units returns the units of scheme (all schemes when empty), by scheme
// and code.
func (db *DB) Units(ctx context.Context, scheme catalog.Scheme) ([]catalog.Unit, error) {
	q := `SELECT scheme, code, name, type, level, parent, valid_from, valid_to FROM units`
	var args []any
	if scheme != "" {
		q += ` WHERE scheme = ?`
		args = append(args, string(scheme))
	}
	out, err := readAll(ctx, db, q+` ORDER BY scheme, code`, args, func(rows *sql.Rows) (catalog.Unit, error) {
		var u catalog.Unit
		var s, l string
		err := rows.Scan(&s, &u.Code, &u.Name, &u.Type, &l, &u.Parent, &u.ValidFrom, &u.ValidTo)
		u.Scheme, u.Level = catalog.Scheme(s), catalog.Level(l)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("read units: %w", err)
	}
	return out, nil
}

// Merges returns every merge link, by new and old code.
func (db *DB) Merges(ctx context.Context) ([]catalog.Merge, error) {
	out, err := readAll(ctx, db, `SELECT new_code, old_code, full FROM unit_merges ORDER BY new_code, old_code`, nil,
		func(rows *sql.Rows) (catalog.Merge, error) {
			var m catalog.Merge
			err := rows.Scan(&m.New, &m.Old, &m.Full)
			return m, err
		})
	if err != nil {
		return nil, fmt.Errorf("read merges: %w", err)
	}
	return out, nil
}

// ReplaceInventory replaces each unit-year of invs with what invs say, and
// appends ev, in one transaction.
func (db *DB) ReplaceInventory(ctx context.Context, invs []catalog.Inventory, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, inv := range invs {
			for _, table := range []string{"inventory_counts", "inventory_items"} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE unit = ? AND year = ?`, inv.Unit, inv.Year); err != nil {
					return err
				}
			}
			for _, c := range inv.Counts {
				if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_counts (unit, year, doc_type, field, count)
					VALUES (?, ?, ?, ?, ?)`, inv.Unit, inv.Year, c.DocType, c.Field, c.Count); err != nil {
					return fmt.Errorf("inventory of %s for %d: %w", inv.Unit, inv.Year, err)
				}
			}
			for _, it := range inv.Items {
				if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_items (unit, year, line, number, issued_on, doc_type, valid_until)
					VALUES (?, ?, ?, ?, ?, ?, ?)`, inv.Unit, inv.Year, it.Line, it.Number, it.IssuedOn, it.DocType, it.ValidUntil); err != nil {
					return fmt.Errorf("inventory of %s for %d, line %d: %w", inv.Unit, inv.Year, it.Line, err)
				}
			}
		}
		return appendEvent(ctx, tx, db.now(), ev)
	})
	if err != nil {
		return fmt.Errorf("replace inventory: %w", err)
	}
	return nil
}

// Inventories returns every unit's inventory for year, by unit.
func (db *DB) Inventories(ctx context.Context, year int) ([]catalog.Inventory, error) {
	counts, err := readAll(ctx, db, `SELECT unit, doc_type, field, count FROM inventory_counts
		WHERE year = ? ORDER BY unit, doc_type, field`, []any{year}, func(rows *sql.Rows) (catalog.InventoryCount, error) {
		c := catalog.InventoryCount{Year: year}
		err := rows.Scan(&c.Unit, &c.DocType, &c.Field, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read inventory for %d: %w", year, err)
	}
	items, err := readAll(ctx, db, `SELECT unit, line, number, issued_on, doc_type, valid_until FROM inventory_items
		WHERE year = ? ORDER BY unit, line`, []any{year}, func(rows *sql.Rows) (catalog.InventoryItem, error) {
		it := catalog.InventoryItem{Year: year}
		err := rows.Scan(&it.Unit, &it.Line, &it.Number, &it.IssuedOn, &it.DocType, &it.ValidUntil)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("read inventory for %d: %w", year, err)
	}
	byUnit := map[string]*catalog.Inventory{}
	get := func(unit string) *catalog.Inventory {
		inv, ok := byUnit[unit]
		if !ok {
			inv = &catalog.Inventory{Unit: unit, Year: year}
			byUnit[unit] = inv
		}
		return inv
	}
	for _, c := range counts {
		inv := get(c.Unit)
		inv.Counts = append(inv.Counts, c)
	}
	for _, it := range items {
		inv := get(it.Unit)
		inv.Items = append(inv.Items, it)
	}
	out := make([]catalog.Inventory, 0, len(byUnit))
	for _, inv := range byUnit {
		out = append(out, *inv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Unit < out[j].Unit })
	return out, nil
}

// ingestScheme is the SQL for the scheme a record's unit code belongs to:
// the catalogue in force when the record was ingested.
var ingestScheme = fmt.Sprintf(`CASE WHEN created_at < '%s' THEN '%s' ELSE '%s' END`,
	formatTime(catalog.Reorganised), catalog.Scheme2024, catalog.Scheme2025)

// ingestedNew is the SQL condition that a record was ingested under the
// 2025 catalogue.
var ingestedNew = fmt.Sprintf(`created_at >= '%s'`, formatTime(catalog.Reorganised))

// DigitizedCounts counts digitized records per unit code and ingest
// scheme, before from and in [from, until).
//
// It groups by unit alone, in the order of the records_digitized index
// that covers it, and counts each scheme apart: grouping by the scheme
// too would sort every record first. Per unit it counts four things,
// each with count(*) FILTER, the cheapest per row SQLite has (half the
// time of a sum of comparisons): every record, those in the period, those
// ingested under the 2025 catalogue, and those of them in the period; the
// four counts per scheme follow by subtraction.
func (db *DB) DigitizedCounts(ctx context.Context, from, until time.Time) ([]catalog.DigitizedCount, error) {
	type perUnit struct {
		unit    string
		all, in int
		newAll  int // ingested under the 2025 catalogue
		newIn   int // of them, in the period
	}
	units, err := readAll(ctx, db, `SELECT unit, count(*), count(*) FILTER (WHERE digitized_at >= ?1),
			count(*) FILTER (WHERE `+ingestedNew+`), count(*) FILTER (WHERE `+ingestedNew+` AND digitized_at >= ?1)
		FROM records
		WHERE digitized_at IS NOT NULL AND digitized_at < ?2
		GROUP BY unit ORDER BY unit`, []any{formatTime(from), formatTime(until)},
		func(rows *sql.Rows) (perUnit, error) {
			var u perUnit
			err := rows.Scan(&u.unit, &u.all, &u.in, &u.newAll, &u.newIn)
			return u, err
		})
	if err != nil {
		return nil, fmt.Errorf("count digitized records: %w", err)
	}
	out := make([]catalog.DigitizedCount, 0, len(units))
	for _, u := range units {
		oldIn := u.in - u.newIn
		if oldAll := u.all - u.newAll; oldAll > 0 {
			out = append(out, catalog.DigitizedCount{Unit: u.unit, Scheme: catalog.Scheme2024, Before: oldAll - oldIn, In: oldIn})
		}
		if u.newAll > 0 {
			out = append(out, catalog.DigitizedCount{Unit: u.unit, Scheme: catalog.Scheme2025, Before: u.newAll - u.newIn, In: u.newIn})
		}
	}
	return out, nil
}

// DigitizedRefs lists the digitized records of units digitized before
// until, by id.
func (db *DB) DigitizedRefs(ctx context.Context, units []string, until time.Time) ([]catalog.DigitizedRef, error) {
	if len(units) == 0 {
		return nil, nil
	}
	args := []any{formatTime(until)}
	for _, u := range units {
		args = append(args, u)
	}
	out, err := readAll(ctx, db, `SELECT id, unit, `+ingestScheme+`, number, issued, digitized_at
		FROM records
		WHERE digitized_at IS NOT NULL AND digitized_at < ? AND unit IN (`+placeholders(len(units))+`)
		ORDER BY id`, args, func(rows *sql.Rows) (catalog.DigitizedRef, error) {
		var r catalog.DigitizedRef
		var s, at string
		if err := rows.Scan(&r.RecordID, &r.Unit, &s, &r.Number, &r.IssuedOn, &at); err != nil {
			return r, err
		}
		r.Scheme = catalog.Scheme(s)
		var err error
		r.DigitizedAt, err = parseTime(at)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list digitized records: %w", err)
	}
	return out, nil
}

// Setting returns a stored setting; ErrNotFound if never set.
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	if err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v); err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, notFound(err))
	}
	return v, nil
}

// SetSetting stores a setting and appends ev in one transaction.
func (db *DB) SetSetting(ctx context.Context, name, value string, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
			return err
		}
		return appendEvent(ctx, tx, db.now(), ev)
	})
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}

// appendEvent appends ev within tx; an event without an action is none.
func appendEvent(ctx context.Context, tx *sql.Tx, now time.Time, ev catalog.Event) error {
	if strings.TrimSpace(ev.Action) == "" {
		return nil
	}
	if err := insertEvent(ctx, tx, now, ev); err != nil {
		return fmt.Errorf("append event %q: %w", ev.Action, err)
	}
	return nil
}
