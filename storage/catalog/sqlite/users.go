package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"sohoa/storage/catalog"
)

// ErrUserExists is the answer of AddUser for a name already taken.
var ErrUserExists = errors.New("user exists")

// User is one person who signs in to `sohoa serve`. PasswordHash is the
// bcrypt hash of the password (empty: the user signs in with API tokens
// only); Units are the units a clerk acts for.
type User struct {
	Name         string
	Role         string
	Units        []string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

// Session is a signed-in browser: Hash is the hex sha256 of the id in its
// cookie, CSRF the token its forms send back.
type Session struct {
	Hash      string
	User      string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AddUser adds u and appends ev in one transaction; ErrUserExists if the
// name is taken.
func (db *DB) AddUser(ctx context.Context, u User, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE name = ?`, u.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrUserExists
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.Name, u.Role, u.PasswordHash, u.Disabled, formatTime(db.now())); err != nil {
			return err
		}
		for _, unit := range u.Units {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_units (user_name, unit) VALUES (?, ?)`, u.Name, unit); err != nil {
				return err
			}
		}
		return appendEvent(ctx, tx, db.now(), ev)
	})
	if err != nil {
		return fmt.Errorf("add user %s: %w", u.Name, err)
	}
	return nil
}

// Users returns every user, by name.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	us, err := readAll(ctx, db, `SELECT name, role, password_hash, disabled, created_at,
		coalesce((SELECT group_concat(unit, ',') FROM (SELECT unit FROM user_units WHERE user_name = users.name ORDER BY unit)), '')
		FROM users ORDER BY name`, nil, scanUser)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return us, nil
}

// CountUsers counts the users, disabled ones too: a catalog that ever
// had one is never again without sign-in.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// User returns the user with the name; catalog.ErrNotFound if none.
func (db *DB) User(ctx context.Context, name string) (User, error) {
	us, err := readAll(ctx, db, `SELECT name, role, password_hash, disabled, created_at,
		coalesce((SELECT group_concat(unit, ',') FROM (SELECT unit FROM user_units WHERE user_name = users.name ORDER BY unit)), '')
		FROM users WHERE name = ?`, []any{name}, scanUser)
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	if len(us) == 0 {
		return User{}, fmt.Errorf("user %s: %w", name, catalog.ErrNotFound)
	}
	return us[0], nil
}

func scanUser(rows *sql.Rows) (User, error) {
	var (
		u       User
		created string
		units   string
	)
	if err := rows.Scan(&u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &created, &units); err != nil {
		return u, err
	}
	if units != "" {
		u.Units = strings.Split(units, ",")
	}
	var err error
	u.CreatedAt, err = parseTime(created)
	return u, err
}

// DisableUser disables the user, ends its sessions and revokes its
// tokens, and appends ev, in one transaction; catalog.ErrNotFound if
// there is no such user.
func (db *DB) DisableUser(ctx context.Context, name string, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return catalog.ErrNotFound
		}
		for _, q := range []string{`DELETE FROM sessions WHERE user_name = ?`, `DELETE FROM tokens WHERE user_name = ?`} {
			if _, err := tx.ExecContext(ctx, q, name); err != nil {
				return err
			}
		}
		return appendEvent(ctx, tx, db.now(), ev)
	})
	if err != nil {
		return fmt.Errorf("disable user %s: %w", name, err)
	}
	return nil
}

// AddToken stores the hash of a new API token of the user and appends
// ev; catalog.ErrNotFound if there is no such user.
func (db *DB) AddToken(ctx context.Context, name, hash string, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE name = ? AND disabled = 0`, name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return catalog.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (hash, user_name, created_at) VALUES (?, ?, ?)`, hash, name, formatTime(db.now())); err != nil {
			return err
		}
		return appendEvent(ctx, tx, db.now(), ev)
	})
	if err != nil {
		return fmt.Errorf("add token of user %s: %w", name, err)
	}
	return nil
}

// TokenUser returns the user the token with the hash belongs to;
// catalog.ErrNotFound if there is none.
func (db *DB) TokenUser(ctx context.Context, hash string) (User, error) {
	var name string
	err := db.read.QueryRowContext(ctx, `SELECT user_name FROM tokens WHERE hash = ?`, hash).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("token: %w", catalog.ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read token: %w", err)
	}
	return db.User(ctx, name)
}

// AddSession stores s.
func (db *DB) AddSession(ctx context.Context, s Session) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// Expired sessions go as new ones come, so the table stays small.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, formatTime(db.now())); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			s.Hash, s.User, s.CSRF, formatTime(s.CreatedAt), formatTime(s.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("add session of user %s: %w", s.User, err)
	}
	return nil
}

// Session returns the session with the hash; catalog.ErrNotFound if there
// is none (expired ones included: the caller checks ExpiresAt).
func (db *DB) Session(ctx context.Context, hash string) (Session, error) {
	var s Session
	var created, expires string
	err := db.read.QueryRowContext(ctx, `SELECT hash, user_name, csrf, created_at, expires_at FROM sessions WHERE hash = ?`, hash).
		Scan(&s.Hash, &s.User, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("session: %w", catalog.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("read session: %w", err)
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return s, err
	}
	if s.ExpiresAt, err = parseTime(expires); err != nil {
		return s, err
	}
	return s, nil
}

// DeleteSession ends the session with the hash; none is not an error.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	if err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
		return err
	}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
