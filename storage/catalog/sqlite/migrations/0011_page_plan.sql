-- 0011: a clerk's page plan. A record's pages as scanned can be turned
-- (a sheet fed upside down), put in another order or left out (a stray
-- sheet); the original is never changed. The plan says which page of the
-- record's range (from 1) comes at each place and turned how far, and the
-- pipeline reads the pages through it (pipeline/pageplan.go). No row: the
-- pages as scanned.
CREATE TABLE page_plans (
	record_id INTEGER PRIMARY KEY REFERENCES records (id),
	-- plan is a JSON array of [page, degrees clockwise] pairs in document
	-- order, e.g. [[2,0],[1,90]]: page 2 first, then page 1 turned.
	plan      TEXT    NOT NULL CHECK (json_valid(plan)),
	-- scanned is how many pages the record's range has as scanned, so a
	-- page left out can be put back.
	scanned   INTEGER NOT NULL CHECK (scanned > 0),
	clerk     TEXT    NOT NULL,
	at        TEXT    NOT NULL
);
