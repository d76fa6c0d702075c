-- 0008: users of `sohoa serve`, the units a clerk acts for, their API
-- tokens and their signed-in sessions. Passwords, tokens and session ids
-- are stored hashed only: a copy of the catalog signs no one in.

CREATE TABLE users (
	name          TEXT    PRIMARY KEY,
	role          TEXT    NOT NULL CHECK (role IN ('clerk', 'it', 'auditor', 'admin')),
	password_hash TEXT    NOT NULL DEFAULT '', -- bcrypt; empty: no password sign-in
	disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created_at    TEXT    NOT NULL
) WITHOUT ROWID;

-- user_units are the units a clerk acts for (with every unit under them).
CREATE TABLE user_units (
	user_name TEXT NOT NULL REFERENCES users (name),
	unit      TEXT NOT NULL,
	PRIMARY KEY (user_name, unit)
) WITHOUT ROWID;

-- tokens are API tokens, by the hex sha256 of the token.
CREATE TABLE tokens (
	hash       TEXT PRIMARY KEY,
	user_name  TEXT NOT NULL REFERENCES users (name),
	created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX tokens_user ON tokens (user_name);

-- sessions are signed-in browsers, by the hex sha256 of the cookie's id;
-- csrf is the token every form of the session sends back.
CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	user_name  TEXT NOT NULL REFERENCES users (name),
	csrf       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expiry ON sessions (expires_at);
