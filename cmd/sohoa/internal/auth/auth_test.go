package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/cmd/sohoa/internal/auth/catalogstore"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

func TestPasswordHash(t *testing.T) {
	h1, err := auth.HashPassword("mat-khau-dai-du")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := auth.HashPassword("mat-khau-dai-du")
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if strings.Contains(h1, "mat-khau") {
		t.Error("the hash contains the password")
	}
	if cost, err := bcrypt.Cost([]byte(h1)); err != nil || cost != auth.PasswordCost || cost < 10 {
		t.Errorf("bcrypt cost %d (%v), want %d and at least 10", cost, err, auth.PasswordCost)
	}
	if !auth.CheckPassword(h1, "mat-khau-dai-du") || !auth.CheckPassword(h2, "mat-khau-dai-du") {
		t.Error("the right password does not match its hash")
	}
	for _, wrong := range []string{"", "mat-khau-dai-d", "mat-khau-dai-duu", "MAT-KHAU-DAI-DU"} {
		if auth.CheckPassword(h1, wrong) {
			t.Errorf("%q matches", wrong)
		}
	}
	for _, bad := range []string{"", "ngan", strings.Repeat("x", 73)} {
		if _, err := auth.HashPassword(bad); !errors.Is(err, auth.ErrWeakPassword) {
			t.Errorf("HashPassword(%d bytes): %v, want ErrWeakPassword", len(bad), err)
		}
	}
}

func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok := auth.NewToken()
		if !strings.HasPrefix(tok, auth.TokenPrefix) || len(tok) < len(auth.TokenPrefix)+43 || seen[tok] {
			t.Fatalf("token %q: want a new prefixed 32-byte token", tok)
		}
		seen[tok] = true
		if h := auth.HashSecret(tok); len(h) != 64 || strings.Contains(h, tok) || h != auth.HashSecret(tok) {
			t.Fatalf("HashSecret(%q) = %q", tok, h)
		}
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// seedUsers opens a real catalog with two users (one disabled) and a
// token of the first.
func seedUsers(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	ctx := context.Background()
	old := auth.PasswordCost
	auth.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { auth.PasswordCost = old })
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hash, err := auth.HashPassword("mat-khau-dai-du")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []sqlite.User{{Name: "lan", Role: "clerk", Units: []string{"21181"}, PasswordHash: hash}, {Name: "cu", Role: "it", PasswordHash: hash}} {
		if err := db.AddUser(ctx, u, catalog.Event{Actor: "test", Action: "user_add"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DisableUser(ctx, "cu", catalog.Event{}); err != nil {
		t.Fatal(err)
	}
	tok := auth.NewToken()
	if err := db.AddToken(ctx, "lan", auth.HashSecret(tok), catalog.Event{}); err != nil {
		t.Fatal(err)
	}
	return db, tok
}

func TestLoginAndSessions(t *testing.T) {
	db, tok := seedUsers(t)
	ctx := context.Background()
	c := &clock{t: time.Now()}
	a := auth.New(catalogstore.New(db), auth.Options{SessionTTL: time.Hour, Now: c.Now})
	if open, err := a.Open(ctx); err != nil || open {
		t.Fatalf("Open with users: %v %v", open, err)
	}
	for _, tc := range []struct{ name, password string }{{"lan", "sai"}, {"khong-co", "mat-khau-dai-du"}, {"cu", "mat-khau-dai-du"}} {
		if _, _, _, err := a.Login(ctx, tc.name, tc.password, "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("Login(%s, %s): %v, want ErrBadCredentials", tc.name, tc.password, err)
		}
	}
	u, id, s, err := a.Login(ctx, "lan", "mat-khau-dai-du", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != auth.Clerk || len(u.Units) != 1 || u.Units[0] != "21181" || s.CSRF == "" || s.Hash != auth.HashSecret(id) {
		t.Errorf("Login: %+v %+v", u, s)
	}
	if got, _, err := a.SessionUser(ctx, id); err != nil || got.Name != "lan" {
		t.Errorf("SessionUser: %+v %v", got, err)
	}
	if _, _, err := a.SessionUser(ctx, s.Hash); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("the stored hash used as a cookie: %v, want ErrNoSession", err)
	}
	c.Add(time.Hour)
	if _, _, err := a.SessionUser(ctx, id); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("an hour later: %v, want ErrNoSession", err)
	}
	if got, err := a.TokenUser(ctx, tok); err != nil || got.Name != "lan" {
		t.Errorf("TokenUser: %+v %v", got, err)
	}
	if _, err := a.TokenUser(ctx, auth.NewToken()); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("an unknown token: %v, want ErrNoSession", err)
	}
	_, id, _, err = a.Login(ctx, "lan", "mat-khau-dai-du", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Logout(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SessionUser(ctx, id); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("after Logout: %v, want ErrNoSession", err)
	}
}

func TestLoginRateLimit(t *testing.T) {
	db, _ := seedUsers(t)
	ctx := context.Background()
	c := &clock{t: time.Now()}
	a := auth.New(catalogstore.New(db), auth.Options{Now: c.Now,
		PerName: auth.Limit{Burst: 2, Every: 10 * time.Second}, PerAddress: auth.Limit{Burst: 4, Every: 10 * time.Second}})
	login := func(name, pw, addr string) error { _, _, _, err := a.Login(ctx, name, pw, addr); return err }
	// The name's bucket: two tries, then none from any address.
	for _, addr := range []string{"10.0.0.1", "10.0.0.2"} {
		if err := login("lan", "sai-mat-khau", addr); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("try from %s: %v", addr, err)
		}
	}
	if err := login("lan", "mat-khau-dai-du", "10.0.0.3"); !errors.Is(err, auth.ErrRateLimited) {
		t.Errorf("third try for lan: %v, want ErrRateLimited", err)
	}
	c.Add(10 * time.Second)
	if err := login("lan", "mat-khau-dai-du", "10.0.0.3"); err != nil {
		t.Errorf("10 s later: %v", err)
	}
	// The address's bucket: four tries whatever the names.
	for i, name := range []string{"a", "b", "c", "d"} {
		if err := login(name, "x", "10.0.0.9"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("try %d from 10.0.0.9: %v", i+1, err)
		}
	}
	if err := login("e", "x", "10.0.0.9"); !errors.Is(err, auth.ErrRateLimited) {
		t.Errorf("fifth try from 10.0.0.9: %v, want ErrRateLimited", err)
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range auth.Roles() {
		if got, err := auth.ParseRole(" " + strings.ToUpper(string(r)) + " "); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %s, %v", r, got, err)
		}
	}
	if _, err := auth.ParseRole("root"); err == nil {
		t.Error("ParseRole(root) succeeded")
	}
}
