-- 0006: the auditor's search filters (catalog.Query).
--
-- number_key is the số ký hiệu folded the way people type it
-- (progress.MatchNumber: "86 qđ ubnd" and "086/QĐ-UBND" are "86qdubnd"),
-- so a number typed loosely is one index lookup. SQLite cannot fold it, so
-- Go writes it: with the search index entry (reindex), and for the rows
-- written before this migration or by plain SQL (NULL) the first search by
-- number fills them in, in its own write transactions. Changing the number
-- by hand makes the key NULL again.
ALTER TABLE records ADD COLUMN number_key TEXT;
CREATE INDEX records_number_key ON records (number_key);
CREATE TRIGGER records_number_key_stale AFTER UPDATE OF number ON records
WHEN NEW.number IS NOT OLD.number
BEGIN
	UPDATE records SET number_key = NULL WHERE id = NEW.id;
END;

-- The other filters. issued is an ISO date or '' when none was read;
-- created_at says when a record was ingested. Each index ends in the id,
-- so the newest hits of one type or field come off it in order.
CREATE INDEX records_issued ON records (issued) WHERE issued <> '';
CREATE INDEX records_created ON records (created_at);
CREATE INDEX records_doc_type ON records (doc_type);
CREATE INDEX records_field ON records (field);
-- A search by unit reads this index alone until it has the page of hits:
-- it holds every column the other filters check (the unit's catalogue
-- comes from created_at).
CREATE INDEX records_search ON records (unit, doc_type, issued, status, field, created_at);

-- The search index again, with prefix indexes of two and three letters:
-- without them "th*" merges the lists of every word beginning with th,
-- most of a million records' worth for each. SQLite cannot fold the text
-- it holds, so Go refills it (DB.RebuildSearch): a catalog that already
-- has records gets its index back on its first search, in one write
-- transaction (about a minute per million records); an empty one is done.
DROP TABLE search;
CREATE VIRTUAL TABLE search USING fts5 (
	number, subject, issuer, doc_type, field, body,
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 0',
	prefix = '2 3'
);
INSERT INTO search (search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 2.0, 2.0, 2.0, 1.0)');
INSERT OR REPLACE INTO settings (name, value) SELECT 'search_index', '0006' WHERE NOT EXISTS (SELECT 1 FROM records);
