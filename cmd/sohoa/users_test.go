package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// withStdin runs the command with stdin given.
func withStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	old := usersStdin
	usersStdin = strings.NewReader(stdin)
	defer func() { usersStdin = old }()
	return sohoa(t, args...)
}

// TestUsersCommands: add, list, token and disable through run(), on a
// real catalog; only hashes are stored and every change is an event.
func TestUsersCommands(t *testing.T) {
	old := auth.PasswordCost
	auth.PasswordCost = bcrypt.MinCost
	defer func() { auth.PasswordCost = old }()
	data := filepath.Join(t.TempDir(), "data")
	if out, errs, code := sohoa(t, "users", "list", "--data", data); code != 0 || !strings.Contains(out, "sohoa users add") {
		t.Fatalf("users list with none: %d %s%s", code, out, errs)
	}
	if _, errs, code := withStdin(t, "mat-khau-dai-du\n", "users", "add", "lan", "--role", "clerk", "--unit", "21181", "--password-stdin", "--data", data); code != exitFailure || !strings.Contains(errs, "sohoa units import") {
		t.Errorf("clerk before the units are imported: %d %s, want a hint to import them", code, errs)
	}
	if _, errs, code := sohoa(t, "units", "import", "--data", data); code != 0 {
		t.Fatalf("units import: %s", errs)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"clerk", "mat-khau-dai-du\n", []string{"lan", "--role", "clerk", "--unit", "21181", "--unit", "21175"}, exitOK, "21181, 21175"},
		{"it", "mat-khau-cntt-1\n", []string{"cntt", "--role", "it"}, exitOK, "IT"},
		{"taken", "mat-khau-dai-du\n", []string{"lan", "--role", "auditor"}, exitFailure, "exists"},
		{"clerk without unit", "mat-khau-dai-du\n", []string{"x", "--role", "clerk"}, exitUsage, "--unit"},
		{"unknown unit", "mat-khau-dai-du\n", []string{"x", "--role", "clerk", "--unit", "99999"}, exitFailure, "99999"},
		{"it with unit", "mat-khau-dai-du\n", []string{"x", "--role", "it", "--unit", "21181"}, exitUsage, "only a clerk"},
		{"bad role", "mat-khau-dai-du\n", []string{"x", "--role", "root"}, exitUsage, "no role"},
		{"short password", "ngan\n", []string{"x", "--role", "admin"}, exitFailure, "8 to 72"},
		{"empty stdin", "", []string{"x", "--role", "admin"}, exitUsage, "stdin is empty"},
		{"bad name", "mat-khau-dai-du\n", []string{"a b", "--role", "admin"}, exitUsage, "user name"},
	} {
		args := append([]string{"users", "add", "--password-stdin", "--data", data}, tc.args...)
		out, errs, code := withStdin(t, tc.stdin, args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%s: exit %d %s%s, want %d mentioning %q", tc.name, code, out, errs, tc.code, tc.want)
		}
	}

	out, errs, code := sohoa(t, "users", "token", "cntt", "--data", data)
	token := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(token, auth.TokenPrefix) {
		t.Fatalf("users token: %d %q %s", code, out, errs)
	}
	if _, errs, code := sohoa(t, "users", "token", "nobody", "--data", data); code != exitFailure || !strings.Contains(errs, "nobody") {
		t.Errorf("token of no user: %d %s", code, errs)
	}

	out, _, code = sohoa(t, "users", "list", "--json", "--data", data)
	var rows []userRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("users list --json: %d %v\n%s", code, err, out)
	}
	if len(rows) != 2 || rows[0].Name != "cntt" || rows[1].Name != "lan" || rows[1].Role != auth.Clerk ||
		strings.Join(rows[1].Units, ",") != "21175,21181" || !rows[1].Password {
		t.Errorf("users list --json: %+v", rows)
	}
	if strings.Contains(out, "$2a$") || strings.Contains(out, token) {
		t.Error("users list prints a hash or a token")
	}

	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.TokenUser(ctx, token); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("the token is stored as it is: %v", err)
	}
	if u, err := db.TokenUser(ctx, auth.HashSecret(token)); err != nil || u.Name != "cntt" {
		t.Errorf("the token's hash does not find cntt: %+v %v", u, err)
	}
	u, err := db.User(ctx, "lan")
	if err != nil || !auth.CheckPassword(u.PasswordHash, "mat-khau-dai-du") || strings.Contains(u.PasswordHash, "mat-khau") {
		t.Errorf("lan's stored password hash %q does not check (%v)", u.PasswordHash, err)
	}

	if out, errs, code := sohoa(t, "users", "disable", "cntt", "--data", data, "--actor", "quản trị"); code != 0 || !strings.Contains(out, "cntt") {
		t.Fatalf("users disable: %d %s%s", code, out, errs)
	}
	if _, err := db.TokenUser(ctx, auth.HashSecret(token)); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a disabled user's token still works: %v", err)
	}
	out, _, _ = sohoa(t, "users", "list", "--data", data)
	if !strings.Contains(out, "disabled") {
		t.Errorf("users list does not show cntt disabled:\n%s", out)
	}

	evs, err := db.AuditEvents(ctx, catalog.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		if strings.HasPrefix(e.Action, "user_") {
			actions = append(actions, e.Action)
			if strings.Contains(e.Details, token) || strings.Contains(e.Details, "$2a$") {
				t.Errorf("event %s holds a secret: %s", e.Action, e.Details)
			}
		}
	}
	if got := strings.Join(actions, " "); got != "user_add user_add user_token user_disable" {
		t.Errorf("user events %q, want every change logged once", got)
	}
	if evs[len(evs)-1].Actor != "quản trị" {
		t.Errorf("the disable is logged as by %q", evs[len(evs)-1].Actor)
	}
}

// TestServeSignIn: `sohoa serve` with users asks for a token or a
// session; with none it refuses to listen beyond this machine.
func TestServeSignIn(t *testing.T) {
	old := auth.PasswordCost
	auth.PasswordCost = bcrypt.MinCost
	defer func() { auth.PasswordCost = old }()
	data := filepath.Join(t.TempDir(), "data")
	if _, errs, code := sohoa(t, "serve", "--addr", "0.0.0.0:0", "--data", data); code != exitFailure || !strings.Contains(errs, "sohoa users add") {
		t.Errorf("serve on every interface with no users: %d %s, want refused with how to add an admin", code, errs)
	}
	if _, errs, code := withStdin(t, "mat-khau-cntt-1\n", "users", "add", "cntt", "--role", "it", "--password-stdin", "--data", data); code != 0 {
		t.Fatalf("users add: %s", errs)
	}
	out, _, _ := sohoa(t, "users", "token", "cntt", "--data", data)
	token := strings.TrimSpace(out)

	addr := freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	var sout, serr bytes.Buffer
	served := make(chan int, 1)
	go func() { served <- run(ctx, []string{"serve", "--addr", addr, "--data", data}, &sout, &serr) }()
	defer func() {
		stop()
		select {
		case code := <-served:
			if code != exitOK {
				t.Errorf("serve ended with %d\n%s%s", code, sout.String(), serr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop within 15 s")
		}
	}()
	waitServing(t, "http://"+addr+"/login", served)
	get := func(header string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/health", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(""); code != http.StatusUnauthorized {
		t.Errorf("/api/health without a token: %d, want 401", code)
	}
	if code := get("Bearer " + token); code != http.StatusOK {
		t.Errorf("/api/health with cntt's token: %d, want 200", code)
	}
}
