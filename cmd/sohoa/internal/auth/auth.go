package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"sohoa/storage/catalog"
)

// Errors of the Authenticator; callers use errors.Is.
var (
	// ErrBadCredentials means the name or the password is wrong, or the
	// user is disabled: which of them is not said.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrRateLimited means too many sign-ins were tried from the address
	// or for the name: wait and try again.
	ErrRateLimited = errors.New("too many sign-in attempts")
	// ErrNoSession means the cookie or token names no live session or
	// token (unknown, expired, or its user disabled).
	ErrNoSession = errors.New("not signed in")
)

// Account is a stored user with what signs it in.
type Account struct {
	User
	PasswordHash string
	Disabled     bool
}

// Session is a signed-in browser. Hash is HashSecret of the id the
// cookie holds; CSRF is the token each of its forms sends back.
type Session struct {
	Hash      string
	User      string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store keeps the users, tokens and sessions.
type Store interface {
	// CountUsers counts the users, disabled ones too.
	CountUsers(ctx context.Context) (int, error)
	// Account returns the user with the name; catalog.ErrNotFound if none.
	Account(ctx context.Context, name string) (Account, error)
	// TokenAccount returns the user of the token with the hash;
	// catalog.ErrNotFound if none.
	TokenAccount(ctx context.Context, hash string) (Account, error)
	// AddSession stores s.
	AddSession(ctx context.Context, s Session) error
	// Session returns the session with the hash, expired or not;
	// catalog.ErrNotFound if none.
	Session(ctx context.Context, hash string) (Session, error)
	// DeleteSession ends the session with the hash.
	DeleteSession(ctx context.Context, hash string) error
}

// Options tune an Authenticator; zero fields take the defaults.
type Options struct {
	// SessionTTL is how long a sign-in lasts: a working day by default.
	SessionTTL time.Duration
	// PerAddress and PerName bound sign-in attempts: Burst at once, then
	// one per Every. Defaults: 20 then one per 3 s from an address; 5
	// then one per 30 s for a name.
	PerAddress, PerName Limit
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Limit is a token bucket's size and refill interval.
type Limit struct {
	Burst int
	Every time.Duration
}

// Authenticator signs users in and finds who a session or token is.
// It is safe for concurrent use.
type Authenticator struct {
	store          Store
	ttl            time.Duration
	now            func() time.Time
	byAddr, byName *limiter
}

// New makes an Authenticator over store.
func New(store Store, o Options) *Authenticator {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	if o.PerAddress.Burst <= 0 {
		o.PerAddress = Limit{Burst: 20, Every: 3 * time.Second}
	}
	if o.PerName.Burst <= 0 {
		o.PerName = Limit{Burst: 5, Every: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Authenticator{
		store: store, ttl: o.SessionTTL, now: o.Now,
		byAddr: newLimiter(o.PerAddress.Burst, o.PerAddress.Every),
		byName: newLimiter(o.PerName.Burst, o.PerName.Every),
	}
}

// SessionTTL is how long a sign-in lasts.
func (a *Authenticator) SessionTTL() time.Duration { return a.ttl }

// Open reports whether no user was ever added: serve then has no one to
// sign in.
func (a *Authenticator) Open(ctx context.Context) (bool, error) {
	n, err := a.store.CountUsers(ctx)
	return n == 0, err
}

// Login checks name and password, tried from addr, and starts a session:
// it returns the user, the id for the cookie (stored hashed only) and the
// session. ErrRateLimited when the address or the name tried too often,
// ErrBadCredentials when anything is wrong.
func (a *Authenticator) Login(ctx context.Context, name, password, addr string) (User, string, Session, error) {
	now := a.now()
	// Both buckets are charged, so neither many names from one address
	// nor one name from many addresses gets more tries.
	okAddr := a.byAddr.allow(addr, now)
	okName := a.byName.allow(name, now)
	if !okAddr || !okName {
		return User{}, "", Session{}, ErrRateLimited
	}
	acc, err := a.store.Account(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		CheckPassword(string(dummyHash), password)
		return User{}, "", Session{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, "", Session{}, fmt.Errorf("sign in %s: %w", name, err)
	}
	if acc.PasswordHash == "" {
		CheckPassword(string(dummyHash), password)
		return User{}, "", Session{}, ErrBadCredentials
	}
	if !CheckPassword(acc.PasswordHash, password) || acc.Disabled {
		return User{}, "", Session{}, ErrBadCredentials
	}
	id := randomString()
	s := Session{Hash: HashSecret(id), User: acc.Name, CSRF: randomString(), CreatedAt: now, ExpiresAt: now.Add(a.ttl)}
	if err := a.store.AddSession(ctx, s); err != nil {
		return User{}, "", Session{}, fmt.Errorf("sign in %s: %w", name, err)
	}
	return acc.User, id, s, nil
}

// SessionUser returns the user and session of the cookie's id;
// ErrNoSession if it is unknown, expired or its user disabled.
func (a *Authenticator) SessionUser(ctx context.Context, id string) (User, Session, error) {
	if id == "" {
		return User{}, Session{}, ErrNoSession
	}
	s, err := a.store.Session(ctx, HashSecret(id))
	if errors.Is(err, catalog.ErrNotFound) {
		return User{}, Session{}, ErrNoSession
	}
	if err != nil {
		return User{}, Session{}, fmt.Errorf("read session: %w", err)
	}
	if !a.now().Before(s.ExpiresAt) {
		return User{}, Session{}, ErrNoSession
	}
	acc, err := a.store.Account(ctx, s.User)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && acc.Disabled) {
		return User{}, Session{}, ErrNoSession
	}
	if err != nil {
		return User{}, Session{}, fmt.Errorf("read user of session: %w", err)
	}
	return acc.User, s, nil
}

// TokenUser returns the user of an API token; ErrNoSession if the token
// is unknown or its user disabled.
func (a *Authenticator) TokenUser(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, ErrNoSession
	}
	acc, err := a.store.TokenAccount(ctx, HashSecret(token))
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && acc.Disabled) {
		return User{}, ErrNoSession
	}
	if err != nil {
		return User{}, fmt.Errorf("read token: %w", err)
	}
	return acc.User, nil
}

// Logout ends the session of the cookie's id.
func (a *Authenticator) Logout(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return a.store.DeleteSession(ctx, HashSecret(id))
}

// SameSecret compares two secrets in constant time.
func SameSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
