-- 0009: the review queue. What a person set on a record is kept apart from
-- what the pipeline read, so running the pipeline again on the record (a
-- repair rebuilding its archive) puts the person's values back.

-- valid is 0 for a result no longer in force (thu hồi, hết hiệu lực); a
-- clerk sets it with `sohoa review set ID valid=false`.
ALTER TABLE records ADD COLUMN valid INTEGER NOT NULL DEFAULT 1 CHECK (valid IN (0, 1));

-- corrections holds the current value a person set for each field of a
-- record ("doc_type", "field", "number", "issued_on", "issuer", "subject",
-- "valid"); the history of changes is in events (action "correct").
CREATE TABLE corrections (
	record_id INTEGER NOT NULL REFERENCES records (id),
	field     TEXT    NOT NULL,
	value     TEXT    NOT NULL,
	clerk     TEXT    NOT NULL,
	at        TEXT    NOT NULL,
	PRIMARY KEY (record_id, field)
) WITHOUT ROWID;

-- confirmations holds the records a person confirmed: they stay digitized
-- and are the examples `sohoa train` learns from.
CREATE TABLE confirmations (
	record_id INTEGER PRIMARY KEY REFERENCES records (id),
	clerk     TEXT    NOT NULL,
	at        TEXT    NOT NULL
);
CREATE INDEX confirmations_at ON confirmations (at, record_id);
