-- 0005: fixity. The sha256 of each archival PDF (the original's is
-- records.sha256), and for every stored object when it was last re-read
-- and what that found, so a continuous pass can take the least recently
-- verified first and the dashboard can show what is wrong.

-- archive_sha256 is written by the archive stage once the PDF is stored;
-- empty for archives built before this migration (those are checked
-- against the store's own recorded checksum only).
ALTER TABLE records ADD COLUMN archive_sha256 TEXT NOT NULL DEFAULT '';

-- Looking up the records that point at an object, for each object checked
-- and each key listed when looking for orphans.
-- (Not partial: a lookup by a bound key could not use a partial index.)
CREATE INDEX records_original ON records (original);
CREATE INDEX records_archive ON records (archive);

-- fixity_objects has one row per object key a record points at (kept by
-- the triggers below), with its last check; checked_at is NULL until the
-- first one, and NULLs sort first, so the due order is the index's.
CREATE TABLE fixity_objects (
	key        TEXT    PRIMARY KEY,
	kind       TEXT    NOT NULL CHECK (kind IN ('original', 'archive')),
	checked_at TEXT,
	result     TEXT    NOT NULL DEFAULT '' CHECK (result IN ('', 'ok', 'missing', 'altered')),
	sha256     TEXT    NOT NULL DEFAULT '', -- what the last check read
	size       INTEGER NOT NULL DEFAULT 0,  -- bytes the last check read
	detail     TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX fixity_objects_due ON fixity_objects (checked_at);
CREATE INDEX fixity_objects_result ON fixity_objects (result, checked_at);

INSERT OR IGNORE INTO fixity_objects (key, kind) SELECT original, 'original' FROM records WHERE original <> '';
INSERT OR IGNORE INTO fixity_objects (key, kind) SELECT archive, 'archive' FROM records WHERE archive <> '';

-- fixity_counts holds how many objects have each result, kept by the
-- triggers below, so the dashboard and /metrics read a handful of rows
-- instead of counting millions of objects on every page load and scrape.
CREATE TABLE fixity_counts (
	result TEXT    PRIMARY KEY,
	n      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO fixity_counts (result, n) SELECT result, count(*) FROM fixity_objects GROUP BY result;
CREATE TRIGGER fixity_counts_insert AFTER INSERT ON fixity_objects
BEGIN
	INSERT INTO fixity_counts (result, n) VALUES (NEW.result, 1)
		ON CONFLICT (result) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER fixity_counts_delete AFTER DELETE ON fixity_objects
BEGIN
	UPDATE fixity_counts SET n = n - 1 WHERE result = OLD.result;
END;
CREATE TRIGGER fixity_counts_update AFTER UPDATE OF result ON fixity_objects
WHEN NEW.result <> OLD.result
BEGIN
	UPDATE fixity_counts SET n = n - 1 WHERE result = OLD.result;
	INSERT INTO fixity_counts (result, n) VALUES (NEW.result, 1)
		ON CONFLICT (result) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER fixity_records_insert AFTER INSERT ON records
BEGIN
	INSERT OR IGNORE INTO fixity_objects (key, kind) SELECT NEW.original, 'original' WHERE NEW.original <> '';
	INSERT OR IGNORE INTO fixity_objects (key, kind) SELECT NEW.archive, 'archive' WHERE NEW.archive <> '';
END;
CREATE TRIGGER fixity_records_update AFTER UPDATE OF original, archive ON records
WHEN NEW.original <> OLD.original OR NEW.archive <> OLD.archive
BEGIN
	INSERT OR IGNORE INTO fixity_objects (key, kind) SELECT NEW.original, 'original' WHERE NEW.original <> '';
	INSERT OR IGNORE INTO fixity_objects (key, kind) SELECT NEW.archive, 'archive' WHERE NEW.archive <> '';
END;

-- fixity_orphans are the objects under originals/ and archives/ that no
-- record pointed at when the store was last listed; each listing replaces
-- them.
CREATE TABLE fixity_orphans (
	key         TEXT    PRIMARY KEY,
	size        INTEGER NOT NULL DEFAULT 0,
	detail      TEXT    NOT NULL DEFAULT '',
	found_at    TEXT    NOT NULL
) WITHOUT ROWID;

-- fixity_scans are the finished passes over the whole store (every object
-- re-read, or the store listed for orphans), for "last full pass".
CREATE TABLE fixity_scans (
	id          INTEGER PRIMARY KEY,
	scope       TEXT    NOT NULL CHECK (scope IN ('all', 'orphans')),
	started_at  TEXT    NOT NULL,
	finished_at TEXT    NOT NULL,
	checked     INTEGER NOT NULL DEFAULT 0,
	ok          INTEGER NOT NULL DEFAULT 0,
	missing     INTEGER NOT NULL DEFAULT 0,
	altered     INTEGER NOT NULL DEFAULT 0,
	orphaned    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fixity_scans_scope ON fixity_scans (scope, finished_at);
