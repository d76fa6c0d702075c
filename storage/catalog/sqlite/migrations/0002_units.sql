-- 0002: administrative units, inventories (the denominators of progress),
-- settings, and when each record was digitized.

-- One row per unit per catalogue: the same code in dvhc-2024 and dvhc-2025
-- is two different units.
CREATE TABLE units (
	scheme     TEXT NOT NULL CHECK (scheme IN ('dvhc-2024', 'dvhc-2025')),
	code       TEXT NOT NULL,
	name       TEXT NOT NULL,
	type       TEXT NOT NULL DEFAULT '',
	level      TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune')),
	parent     TEXT NOT NULL DEFAULT '',
	valid_from TEXT NOT NULL DEFAULT '',
	valid_to   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (scheme, code)
) WITHOUT ROWID;
CREATE INDEX units_parent ON units (scheme, parent);

-- unit_merges links a dvhc-2025 unit to each dvhc-2024 unit it was formed
-- from; full = 0 when the old unit was split between several new ones.
CREATE TABLE unit_merges (
	new_code TEXT    NOT NULL,
	old_code TEXT    NOT NULL,
	full     INTEGER NOT NULL CHECK (full IN (0, 1)),
	PRIMARY KEY (new_code, old_code)
) WITHOUT ROWID;
CREATE INDEX unit_merges_old ON unit_merges (old_code);

-- An inventory is what one import said a unit held in a year: counts
-- (optionally per document type or field) or an itemized register, never
-- both. Importing again replaces the unit-year's rows.
CREATE TABLE inventory_counts (
	unit     TEXT    NOT NULL,
	year     INTEGER NOT NULL,
	doc_type TEXT    NOT NULL DEFAULT '',
	field    TEXT    NOT NULL DEFAULT '',
	count    INTEGER NOT NULL CHECK (count >= 0),
	PRIMARY KEY (unit, year, doc_type, field)
) WITHOUT ROWID;

CREATE TABLE inventory_items (
	unit        TEXT    NOT NULL,
	year        INTEGER NOT NULL,
	line        INTEGER NOT NULL,
	number      TEXT    NOT NULL,
	issued_on   TEXT    NOT NULL,
	doc_type    TEXT    NOT NULL DEFAULT '',
	valid_until TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (unit, year, line)
) WITHOUT ROWID;

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- digitized_at is when a record last became digitized (NULL while it is
-- not): progress counts records digitized by a date.
ALTER TABLE records ADD COLUMN digitized_at TEXT;
UPDATE records SET digitized_at = updated_at WHERE status = 'digitized';
-- Progress counts per unit from this index alone: with created_at in it
-- (which says the catalogue a record's unit code belongs to) the table is
-- never read, over a million records the difference between seconds and a
-- fraction of one.
CREATE INDEX records_digitized ON records (unit, digitized_at, created_at) WHERE digitized_at IS NOT NULL;

CREATE TRIGGER records_digitized_insert AFTER INSERT ON records
WHEN NEW.status = 'digitized'
BEGIN
	UPDATE records SET digitized_at = NEW.updated_at WHERE id = NEW.id;
END;
CREATE TRIGGER records_digitized_update AFTER UPDATE OF status ON records
WHEN (NEW.status = 'digitized') <> (OLD.status = 'digitized')
BEGIN
	UPDATE records SET digitized_at = CASE WHEN NEW.status = 'digitized' THEN NEW.updated_at END
	WHERE id = NEW.id;
END;
