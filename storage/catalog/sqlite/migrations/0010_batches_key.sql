-- 0010: the latest batch of an invocation, sealed or not (a rerun of a
-- finished ingest, and sohoa watch, which makes a batch per file), is
-- found by key without scanning every batch.
CREATE INDEX batches_key ON batches (key, id);
