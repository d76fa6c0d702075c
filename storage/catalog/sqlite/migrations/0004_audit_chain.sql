-- 0004: the events become a hash chain (see audit.go). Each event carries
-- the hash of the one before (prev_hash) and its own (hash), a sha256 over
-- a canonical encoding of its columns and prev_hash; the first event's
-- prev_hash is the genesis value below.
--
-- SQLite cannot compute sha256, so events logged before this migration get
-- their hashes from Go: the first append (or `sohoa audit verify`) chains
-- them, in its own write transaction, before anything else. Until then
-- their hash is ''.
ALTER TABLE events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
-- The events logged before this migration that still wait for their hash.
CREATE INDEX events_unchained ON events (id) WHERE hash = '';
-- sohoa audit log --actor.
CREATE INDEX events_actor ON events (actor, id);

-- The one update the log allows: giving an event logged before this
-- migration its hashes, every other column unchanged.
DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
WHEN NOT (OLD.hash = '' AND NEW.hash <> '' AND NEW.prev_hash <> ''
	AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action
	AND NEW.record_id IS OLD.record_id AND NEW.details = OLD.details)
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

-- A new event must extend the chain: the next id, the hash of the last
-- event as its prev_hash, a hash of its own. This catches code that
-- inserts events without going through the chain (DB.AppendEvent); it is
-- no defence against someone with the file, which is what audit verify and
-- the checkpoints in the object store are for.
CREATE TRIGGER events_chained BEFORE INSERT ON events
WHEN NEW.hash = ''
	OR NEW.id IS NOT coalesce((SELECT max(id) FROM events), 0) + 1
	OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM events ORDER BY id DESC LIMIT 1),
		'0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
	SELECT RAISE(ABORT, 'events must be appended through the audit chain (DB.AppendEvent)');
END;
