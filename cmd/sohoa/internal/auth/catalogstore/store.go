// Package catalogstore keeps the users, API tokens and sessions of
// package auth in the SQLite catalog (storage/catalog/sqlite).
package catalogstore

import (
	"context"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/storage/catalog/sqlite"
)

// Store is the catalog's users, tokens and sessions as auth.Store.
type Store struct{ db *sqlite.DB }

var _ auth.Store = Store{}

// New returns db as an auth.Store.
func New(db *sqlite.DB) Store { return Store{db} }

func account(u sqlite.User) auth.Account {
	return auth.Account{User: auth.User{Name: u.Name, Role: auth.Role(u.Role), Units: u.Units}, PasswordHash: u.PasswordHash, Disabled: u.Disabled}
}

func (s Store) CountUsers(ctx context.Context) (int, error) { return s.db.CountUsers(ctx) }

func (s Store) Account(ctx context.Context, name string) (auth.Account, error) {
	u, err := s.db.User(ctx, name)
	return account(u), err
}

func (s Store) TokenAccount(ctx context.Context, hash string) (auth.Account, error) {
	u, err := s.db.TokenUser(ctx, hash)
	return account(u), err
}

func (s Store) AddSession(ctx context.Context, ss auth.Session) error {
	return s.db.AddSession(ctx, sqlite.Session(ss))
}

func (s Store) Session(ctx context.Context, hash string) (auth.Session, error) {
	ss, err := s.db.Session(ctx, hash)
	return auth.Session(ss), err
}

func (s Store) DeleteSession(ctx context.Context, hash string) error {
	return s.db.DeleteSession(ctx, hash)
}
