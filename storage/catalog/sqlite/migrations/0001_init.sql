-- 0001: batches, records, pages, jobs, events and the search index.
--
-- Timestamps are TEXT in UTC, RFC 3339 with a fixed nine-digit fraction
-- ("2025-01-16T08:30:00.000000000Z"), so they sort and compare as strings.
-- Zero ids (no duplicate, no record) are NULL so foreign keys hold.

CREATE TABLE batches (
	id         INTEGER PRIMARY KEY,
	unit       TEXT    NOT NULL DEFAULT '',
	clerk      TEXT    NOT NULL DEFAULT '',
	key        TEXT    NOT NULL DEFAULT '',
	sealed     INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1)),
	created_at TEXT    NOT NULL
);
-- At most one open batch per key, so two ingests of the same invocation
-- resume the same batch. An empty key never resumes.
CREATE UNIQUE INDEX batches_open_key ON batches (key) WHERE sealed = 0 AND key <> '';

CREATE TABLE records (
	id             INTEGER PRIMARY KEY,
	batch_id       INTEGER NOT NULL REFERENCES batches (id),
	unit           TEXT    NOT NULL DEFAULT '',
	source         TEXT    NOT NULL,
	sha256         TEXT    NOT NULL DEFAULT '',
	size           INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
	content_type   TEXT    NOT NULL DEFAULT '',
	pages          INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0),
	status         TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN
		('queued', 'processing', 'digitized', 'needs_review', 'failed', 'duplicate')),
	stage          TEXT    NOT NULL DEFAULT '',
	duplicate_of   INTEGER REFERENCES records (id),

	doc_type       TEXT NOT NULL DEFAULT '',
	doc_type_conf  REAL NOT NULL DEFAULT 0,
	field          TEXT NOT NULL DEFAULT '',
	field_conf     REAL NOT NULL DEFAULT 0,
	number         TEXT NOT NULL DEFAULT '',
	number_conf    REAL NOT NULL DEFAULT 0,
	issued         TEXT NOT NULL DEFAULT '',
	issued_conf    REAL NOT NULL DEFAULT 0,
	issuer         TEXT NOT NULL DEFAULT '',
	issuer_conf    REAL NOT NULL DEFAULT 0,
	subject        TEXT NOT NULL DEFAULT '',
	subject_conf   REAL NOT NULL DEFAULT 0,

	ocr_confidence REAL NOT NULL DEFAULT 0,
	original       TEXT NOT NULL DEFAULT '',
	archive        TEXT NOT NULL DEFAULT '',
	error          TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL
);
-- One record per file of a batch: a resumed ingest finds it instead of
-- adding it twice.
CREATE UNIQUE INDEX records_batch_source ON records (batch_id, source);
CREATE INDEX records_sha256 ON records (sha256, id);
CREATE INDEX records_status ON records (status);
CREATE INDEX records_unit ON records (unit, status);

CREATE TABLE pages (
	record_id  INTEGER NOT NULL REFERENCES records (id),
	n          INTEGER NOT NULL CHECK (n >= 1),
	source     TEXT    NOT NULL CHECK (source IN ('ocr', 'text')),
	dpi        REAL    NOT NULL DEFAULT 0,
	text       TEXT    NOT NULL DEFAULT '',
	words      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(words)),
	confidence REAL    NOT NULL DEFAULT 0,
	width      INTEGER NOT NULL DEFAULT 0,
	height     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (record_id, n)
) WITHOUT ROWID;

CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY,
	record_id   INTEGER NOT NULL UNIQUE REFERENCES records (id),
	state       TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
	attempts    INTEGER NOT NULL DEFAULT 0,
	owner       TEXT    NOT NULL DEFAULT '',
	lease_until TEXT,
	run_after   TEXT    NOT NULL,
	last_error  TEXT    NOT NULL DEFAULT '',
	created_at  TEXT    NOT NULL,
	CHECK (state <> 'running' OR (owner <> '' AND lease_until IS NOT NULL))
);
-- Claim walks only the jobs still to do, oldest first; done and failed
-- jobs pile up and must not slow it down.
CREATE INDEX jobs_pending ON jobs (id) WHERE state IN ('queued', 'running');

CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	at        TEXT    NOT NULL,
	actor     TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	record_id INTEGER REFERENCES records (id),
	details   TEXT    NOT NULL DEFAULT '' CHECK (details = '' OR json_valid(details))
);
CREATE INDEX events_record ON events (record_id, id);
-- The log is evidence for auditors: nothing rewrites it.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

-- search holds the folded text (vntext.Fold: lower case, no accents, đ as
-- d) of each record, one row per record with rowid = records.id. It is
-- contentless: the original text lives in records and pages, and snippets
-- are cut from there. The tokenizer does not strip diacritics itself, since
-- it would leave đ alone.
CREATE VIRTUAL TABLE search USING fts5 (
	number, subject, issuer, doc_type, field, body,
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 0'
);
-- Rank a hit on the number or the subject above one in the body text.
INSERT INTO search (search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 2.0, 2.0, 2.0, 1.0)');
