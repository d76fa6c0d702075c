-- 0012: the search index with a prefix index of four letters as well.
--
-- A name typed in part is most often four letters of a syllable ("than*"
-- for Thanh, "quyn*" for Quỳnh). Without its own prefix index FTS5 merges
-- the full lists of every word that begins so ("thanh" is in a third of a
-- million records) before it can look at the other words of the search:
-- about 30 ms a search at a million records, 5 ms with it. The index grows
-- by about a sixth. As in 0006, Go refills it (DB.RebuildSearch) on the
-- first search of a catalog that has records.
DROP TABLE search;
CREATE VIRTUAL TABLE search USING fts5 (
	number, subject, issuer, doc_type, field, body,
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 0',
	prefix = '2 3 4'
);
INSERT INTO search (search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 2.0, 2.0, 2.0, 1.0)');
DELETE FROM settings WHERE name = 'search_index';
INSERT INTO settings (name, value) SELECT 'search_index', '0012' WHERE NOT EXISTS (SELECT 1 FROM records);
