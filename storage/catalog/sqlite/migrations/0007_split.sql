-- 0007: splitting a scanned stack into documents. A clerk feeds many
-- results through the scanner as one file; each document of it is its own
-- record holding a page range of the one original, stored once.

-- split is how an ingested file is to be split ('' for one document;
-- 'blank', 'blank-duplex' or 'pages:N'). The pipeline decides the ranges
-- from the page images once the original is stored.
ALTER TABLE records ADD COLUMN split TEXT NOT NULL DEFAULT '';
-- first_page..last_page is the record's page range of its original, from
-- 1; both 0 for the whole file (and for a stack not yet split).
ALTER TABLE records ADD COLUMN first_page INTEGER NOT NULL DEFAULT 0 CHECK (first_page >= 0);
ALTER TABLE records ADD COLUMN last_page INTEGER NOT NULL DEFAULT 0 CHECK (last_page >= first_page);
-- split_from is the record the ingest made for the stack (it becomes the
-- stack's first document); NULL for records ingest made itself.
ALTER TABLE records ADD COLUMN split_from INTEGER REFERENCES records (id);

-- One record per file of a batch and page range: a resumed ingest or a
-- resumed split finds it instead of adding it twice.
DROP INDEX records_batch_source;
CREATE UNIQUE INDEX records_batch_source ON records (batch_id, source, first_page, last_page);
CREATE INDEX records_split_from ON records (split_from) WHERE split_from IS NOT NULL;
