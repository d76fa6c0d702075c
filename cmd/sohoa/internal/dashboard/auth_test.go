package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/cmd/sohoa/internal/auth/catalogstore"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/dvhc"
	"sohoa/storage/catalog/sqlite"
)

func init() {
	// A fast cost keeps these tests quick; auth's own tests check the
	// real one.
	auth.PasswordCost = bcrypt.MinCost
}

const testPassword = "mat-khau-dai-du"

// clock is a settable clock for session expiry.
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

// authSeeded is the evidence catalog (records of 21181) with users of
// every role, a record of another unit, and a dashboard that signs in.
type authSeeded struct {
	evidence
	dash  *Dashboard
	clock *clock
	other catalog.Record // a record of 21175, not the clerk's
	// early is a record of 21181 ingested before the reorganisation,
	// when 21181 was a commune of a district: the district's clerk sees
	// it (and not those ingested since, as the unit search does not).
	early catalog.Record
}

// parentOf returns the unit 2024-scheme code's parent.
func parentOf(t *testing.T, db *sqlite.DB, code string) string {
	t.Helper()
	units, err := db.Units(context.Background(), catalog.Scheme2024)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if u.Code == code {
			return u.Parent
		}
	}
	t.Fatalf("no unit %s", code)
	return ""
}

func seedAuth(t *testing.T, opts auth.Options, cfg func(*Config)) authSeeded {
	t.Helper()
	ctx := context.Background()
	s := authSeeded{evidence: seedEvidence(t, nil), clock: &clock{t: time.Now()}}
	dvhcOnce.Do(func() { dvhcCat, dvhcErr = dvhc.Load() })
	if dvhcErr != nil {
		t.Fatal(dvhcErr)
	}
	db := s.db
	if err := db.ReplaceUnits(ctx, dvhcCat.Units, dvhcCat.Merges, catalog.Event{Actor: "test", Action: "units_import"}); err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21175", Key: "other"})
	if err != nil {
		t.Fatal(err)
	}
	s.other, err = db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21175", Source: "tho.png", SHA256: s.done.SHA256, Size: s.done.Size,
		ContentType: "image/png", Pages: 1, Status: catalog.StatusDigitized, Original: s.done.Original, Archive: s.done.Archive,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}, false)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC)
	s.early, err = db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21181", Source: "truoc.png", SHA256: s.done.SHA256, Size: s.done.Size,
		ContentType: "image/png", Pages: 1, Status: catalog.StatusDigitized, Original: s.done.Original, Archive: s.done.Archive,
		CreatedAt: before, UpdatedAt: before}, false)
	if err != nil {
		t.Fatal(err)
	}
	users := []sqlite.User{
		{Name: "lan", Role: "clerk", Units: []string{"21181"}},
		{Name: "huyen", Role: "clerk", Units: []string{parentOf(t, db, "21181")}},
		{Name: "tho", Role: "clerk", Units: []string{"21175"}},
		{Name: "hai", Role: "clerk", Units: []string{"21175", "21181"}},
		{Name: "cntt", Role: "it"},
		{Name: "kiemtoan", Role: "auditor"},
		{Name: "quantri", Role: "admin"},
	}
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		u.PasswordHash = hash
		if err := db.AddUser(ctx, u, catalog.Event{Actor: "test", Action: "user_add"}); err != nil {
			t.Fatal(err)
		}
	}
	if opts.Now == nil {
		opts.Now = s.clock.Now
	}
	// Tests sign in far more often than people; TestLoginRateLimit sets
	// the limits it checks.
	if opts.PerName.Burst == 0 {
		opts.PerName = auth.Limit{Burst: 10000, Every: time.Millisecond}
	}
	if opts.PerAddress.Burst == 0 {
		opts.PerAddress = auth.Limit{Burst: 10000, Every: time.Millisecond}
	}
	c := Config{
		Source:       db,
		StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) { return nil, nil },
		Objects:      s.store,
		Fixity:       db,
		Auth:         auth.New(catalogstore.New(db), opts),
		Reviewer:     catalogReviewer{db},
	}
	if cfg != nil {
		cfg(&c)
	}
	s.dash, err = New(c)
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(s.dash)
	t.Cleanup(s.srv.Close)
	return s
}

// browser is a client with its cookies, which does not follow redirects.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string // the session's CSRF token, once signed in
	token  string // a Bearer token instead of a session
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, string(out)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs in through the form as a person would, and returns the
// answer of the POST.
func (b *browser) login(name, password string) *http.Response {
	b.t.Helper()
	_, page := b.do(http.MethodGet, "/login", nil)
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("the sign-in page has no csrf field:\n%.800s", page)
	}
	resp, _ := b.do(http.MethodPost, "/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {password}})
	if resp.StatusCode == http.StatusSeeOther {
		_, page = b.do(http.MethodGet, "/login", nil)
		if m := csrfInput.FindStringSubmatch(page); m != nil {
			b.csrf = m[1]
		}
	}
	return resp
}

func (b *browser) mustLogin(name string) *browser {
	b.t.Helper()
	if resp := b.login(name, testPassword); resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: %d", name, resp.StatusCode)
	}
	return b
}

// outcome is what the policy made of a request.
type outcome string

const (
	allowed  outcome = "allowed"
	signIn   outcome = "sign-in"   // 401 or to the sign-in page
	refused  outcome = "refused"   // 403 for the role
	notFound outcome = "not-found" // the record is another unit's
)

func outcomeOf(resp *http.Response) outcome {
	switch {
	case resp.Header.Get(deniedHeader) == "sign-in":
		return signIn
	case resp.Header.Get(deniedHeader) != "":
		return refused
	case resp.StatusCode == http.StatusNotFound:
		return notFound
	}
	return allowed
}

// The viewers of the route test: anonymous, and a session of each role;
// "clerk-other" is a clerk of another unit than the records'.
var viewers = []string{"anonymous", "clerk", "clerk-district", "clerk-other", "it", "auditor", "admin"}

var viewerUser = map[string]string{
	"clerk": "lan", "clerk-district": "huyen", "clerk-other": "tho", "it": "cntt", "auditor": "kiemtoan", "admin": "quantri",
}

// expect builds a row of wantAccess: roles allowed, everyone else
// refused (anonymous sent to sign in), and a clerk of another unit
// given other (for record routes: not-found).
func expect(other outcome, roles ...string) map[string]outcome {
	m := map[string]outcome{"anonymous": signIn}
	for _, v := range viewers[1:] {
		m[v] = refused
	}
	if other == "" {
		other = allowed
	}
	for _, r := range roles {
		m[r] = allowed
		if r == "clerk" {
			m["clerk-district"] = allowed
			m["clerk-other"] = other
		}
	}
	return m
}

// wantAccess is, for every route the dashboard registers, what each
// viewer gets. It is written out here rather than read from routePolicy,
// so the test checks the policy instead of repeating it; a route missing
// here fails the test.
var wantAccess = map[string]map[string]outcome{
	"GET /{$}":          expect("", "it", "auditor", "admin"),
	"GET /api/progress": expect("", "it", "auditor", "admin"),
	"GET /api/units":    expect("", "it", "auditor", "admin"),
	"GET /api/health":   expect("", "it", "auditor", "admin"),
	"GET /api/history":  expect("", "it", "auditor", "admin"),
	"GET /api/fixity":   expect("", "it", "auditor", "admin"),
	"GET /metrics":      expect("", "it", "auditor", "admin"),

	"GET /search":                    expect(allowed, "clerk", "it", "auditor"),
	"GET /api/search":                expect(allowed, "clerk", "it", "auditor"),
	"GET /records/{id}":              expect(notFound, "clerk", "it", "auditor"),
	"GET /records/{id}/original":     expect(notFound, "clerk", "it", "auditor"),
	"GET /records/{id}/archive.pdf":  expect(notFound, "clerk", "it", "auditor"),
	"GET /records/{id}/pages/{file}": expect(notFound, "clerk", "it", "auditor"),
	"GET /export.zip":                expect(allowed, "clerk", "it", "auditor"),

	// Uploads: a clerk (for its units) or IT. The walk's {id} names no
	// upload of the viewer's, so past the policy the handler says 404.
	"GET /upload":                  expect("", "clerk", "it"),
	"POST /api/uploads":            expect("", "clerk", "it"),
	"PATCH /api/uploads/{id}":      {"anonymous": signIn, "clerk": notFound, "clerk-district": notFound, "clerk-other": notFound, "it": notFound, "auditor": refused, "admin": refused},
	"GET /api/uploads/{id}/events": {"anonymous": signIn, "clerk": notFound, "clerk-district": notFound, "clerk-other": notFound, "it": notFound, "auditor": refused, "admin": refused},

	// Review: clerks read and change their units' records, IT any; the
	// auditor reads, its changes refused. The walk's POST sends no field:
	// nothing to correct, a page op missing (422), both past the policy.
	"GET /review":             expect(allowed, "clerk", "it", "auditor"),
	"GET /review/{id}":        expect(notFound, "clerk", "it", "auditor"),
	"POST /review/{id}":       expect(notFound, "clerk", "it"),
	"POST /review/{id}/pages": expect(notFound, "clerk", "it"),

	"GET /static/": {"anonymous": allowed, "clerk": allowed, "clerk-district": allowed, "clerk-other": allowed, "it": allowed, "auditor": allowed, "admin": allowed},
	"GET /login":   {"anonymous": allowed, "clerk": allowed, "clerk-district": allowed, "clerk-other": allowed, "it": allowed, "auditor": allowed, "admin": allowed},
	"POST /login":  {"anonymous": allowed, "clerk": allowed, "clerk-district": allowed, "clerk-other": allowed, "it": allowed, "auditor": allowed, "admin": allowed},
	"POST /logout": expect("", "clerk", "it", "auditor", "admin"),
}

// concrete turns a route pattern into a request path for record id.
func concrete(pattern string, id int64) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.NewReplacer("{$}", "", "{id}", fmt.Sprint(id), "{file}", "1.png").Replace(path)
	if path == "/static/" {
		path = "/static/dashboard.css"
	}
	if path == "/export.zip" {
		path += "?all=1" // a bag of whatever the viewer may see
	}
	return method, path
}

// TestEveryRouteByRole walks every route the dashboard registers with
// every role, anonymous, and a clerk of another unit, and checks each is
// allowed or refused as wantAccess says; a registered route without an
// entry in wantAccess (or routePolicy) fails.
func TestEveryRouteByRole(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	routes := s.dash.Routes()
	if len(routes) < len(wantAccess) {
		t.Errorf("the dashboard registers %d routes, wantAccess has %d", len(routes), len(wantAccess))
	}
	for _, pattern := range routes {
		want, ok := wantAccess[pattern]
		if !ok {
			t.Errorf("route %q has no entry in wantAccess: say who may use it here and in routePolicy (auth_policy.go)", pattern)
			continue
		}
		if _, ok := routePolicy[pattern]; !ok {
			t.Errorf("route %q has no entry in routePolicy: it is refused to everyone", pattern)
		}
		for _, v := range viewers {
			t.Run(pattern+"/"+v, func(t *testing.T) {
				b := newBrowser(t, s.srv.URL)
				if v != "anonymous" {
					b.mustLogin(viewerUser[v])
				}
				method, path := concrete(pattern, s.early.ID)
				var form url.Values
				if method != http.MethodGet {
					form = url.Values{"csrf": {b.csrf}} // every change carries its token, as the pages send it
				}
				resp, body := b.do(method, path, form)
				if got := outcomeOf(resp); got != want[v] {
					t.Errorf("%s %s as %s: %s (%d %s), want %s\n%.300s", method, path, v, got, resp.StatusCode, resp.Header.Get(deniedHeader), want[v], body)
				}
				if got := outcomeOf(resp); got == allowed && strings.HasPrefix(path, "/records/") && resp.StatusCode != http.StatusOK {
					t.Errorf("%s as %s: %d, want 200\n%.300s", path, v, resp.StatusCode, body)
				}
			})
		}
	}
}

// TestRouteWithoutPolicyIsRefused: deny by default — a route registered
// with no policy entry is refused to every role, the admin included.
func TestRouteWithoutPolicyIsRefused(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	s.dash.mux.HandleFunc("GET /unlisted", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") })
	for _, v := range []string{"admin", "auditor"} {
		b := newBrowser(t, s.srv.URL).mustLogin(viewerUser[v])
		resp, body := b.do(http.MethodGet, "/unlisted", nil)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get(deniedHeader) != "no-policy" || strings.Contains(body, "secret") {
			t.Errorf("GET /unlisted as %s: %d %q, want 403 no-policy", v, resp.StatusCode, resp.Header.Get(deniedHeader))
		}
	}
}

// TestClerkSearchSeesOnlyItsUnits: the search page and /api/search list
// a clerk's units' records only, whatever unit the query asks for.
func TestClerkSearchSeesOnlyItsUnits(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	ids := func(b *browser, query string) map[int64]bool {
		t.Helper()
		resp, body := b.do(http.MethodGet, "/api/search?"+query, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/api/search?%s: %d %s", query, resp.StatusCode, body)
		}
		var a SearchAnswer
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatal(err)
		}
		out := map[int64]bool{}
		for _, h := range a.Hits {
			out[h.ID] = true
		}
		return out
	}
	all := map[int64]bool{s.done.ID: true, s.failed.ID: true, s.other.ID: true, s.early.ID: true}
	mine := map[int64]bool{s.done.ID: true, s.failed.ID: true, s.early.ID: true}
	early := map[int64]bool{s.early.ID: true}
	for _, tc := range []struct {
		user, query string
		want        map[int64]bool
	}{
		{"kiemtoan", "", all},
		{"cntt", "", all},
		{"lan", "", mine},
		{"huyen", "", early}, // the district's communes, while there were districts
		{"tho", "", map[int64]bool{s.other.ID: true}},
		{"hai", "", all}, // two units: the hits are filtered, not the query
		{"lan", "unit=21175", map[int64]bool{}},
		{"tho", "unit=21181", map[int64]bool{}},
		{"lan", "unit=" + parentOf(t, s.db, "21181"), early},
		{"tho", "q=giao+%C4%91%E1%BA%A5t", map[int64]bool{}}, // the words are in 21181's record only
		{"lan", "q=giao+dat", map[int64]bool{s.done.ID: true}},
	} {
		t.Run(tc.user+"?"+tc.query, func(t *testing.T) {
			b := newBrowser(t, s.srv.URL).mustLogin(tc.user)
			if got := ids(b, tc.query); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("hits %v, want %v", got, tc.want)
			}
		})
	}
	// A page of a filtered search counts the clerk's hits only.
	hai := newBrowser(t, s.srv.URL).mustLogin("hai")
	seen := map[int64]bool{}
	for off := range 5 {
		got := ids(hai, fmt.Sprintf("limit=1&offset=%d", off))
		if want := min(1, 4-off); len(got) != want {
			t.Errorf("clerk of two units, limit=1 offset=%d: %d hits, want %d", off, len(got), want)
		}
		for id := range got {
			if seen[id] {
				t.Errorf("record %d on two pages", id)
			}
			seen[id] = true
		}
	}
	// The page lists the same.
	b := newBrowser(t, s.srv.URL).mustLogin("tho")
	_, page := b.do(http.MethodGet, "/search", nil)
	if !strings.Contains(page, fmt.Sprintf(`/records/%d"`, s.other.ID)) || strings.Contains(page, fmt.Sprintf(`/records/%d"`, s.done.ID)) {
		t.Errorf("the search page of a clerk of 21175 does not list only record %d", s.other.ID)
	}
}

// TestWritesNeedRoleAndCSRF: an auditor's change is refused and logged;
// a clerk's needs the session's CSRF token; a Bearer token needs none.
func TestWritesNeedRoleAndCSRF(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	var wrote int
	s.dash.mux.HandleFunc("POST /write-test", func(w http.ResponseWriter, r *http.Request) { wrote++ })
	routePolicy["POST /write-test"] = allow(auth.Clerk)
	t.Cleanup(func() { delete(routePolicy, "POST /write-test") })

	aud := newBrowser(t, s.srv.URL).mustLogin("kiemtoan")
	if resp, _ := aud.do(http.MethodPost, "/write-test", url.Values{"csrf": {aud.csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor's write: %d, want 403", resp.StatusCode)
	}
	events := s.deniedEvents(t)
	if len(events) != 1 || events[0].Actor != "kiemtoan" || !strings.Contains(events[0].Details, `"path":"/write-test"`) {
		t.Errorf("the refused write is not logged as an event of kiemtoan: %+v", events)
	}

	clerk := newBrowser(t, s.srv.URL).mustLogin("lan")
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{"x": {"1"}}},
		{"wrong token", url.Values{"csrf": {"not-the-token"}}},
		{"another session's token", url.Values{"csrf": {aud.csrf}}},
	} {
		if resp, _ := clerk.do(http.MethodPost, "/write-test", tc.form); resp.StatusCode != http.StatusForbidden || resp.Header.Get(deniedHeader) != "csrf" {
			t.Errorf("clerk's write with %s: %d %q, want 403 csrf", tc.name, resp.StatusCode, resp.Header.Get(deniedHeader))
		}
	}
	if wrote != 0 {
		t.Fatalf("%d refused writes reached the handler", wrote)
	}
	if resp, _ := clerk.do(http.MethodPost, "/write-test", url.Values{"csrf": {clerk.csrf}}); resp.StatusCode != http.StatusOK || wrote != 1 {
		t.Errorf("clerk's write with the session's token: %d, handler ran %d times", resp.StatusCode, wrote)
	}

	// A token authenticates without a cookie, so it needs no CSRF token.
	tok := auth.NewToken()
	if err := s.db.AddToken(context.Background(), "lan", auth.HashSecret(tok), catalog.Event{}); err != nil {
		t.Fatal(err)
	}
	api := newBrowser(t, s.srv.URL)
	api.token = tok
	if resp, _ := api.do(http.MethodPost, "/write-test", url.Values{}); resp.StatusCode != http.StatusOK || wrote != 2 {
		t.Errorf("write with a Bearer token: %d", resp.StatusCode)
	}
}

func (s authSeeded) deniedEvents(t *testing.T) []catalog.Event {
	t.Helper()
	evs, err := s.db.AuditEvents(context.Background(), catalog.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []catalog.Event
	for _, e := range evs {
		if e.Action == actionDenied {
			out = append(out, e.Event)
		}
	}
	return out
}

// TestTokenAuth: /api/ takes Authorization: Bearer; a wrong, unknown or
// revoked token is 401; the view events name the token's user, not a
// header anyone could send.
func TestTokenAuth(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	ctx := context.Background()
	tok := auth.NewToken()
	if err := s.db.AddToken(ctx, "cntt", auth.HashSecret(tok), catalog.Event{}); err != nil {
		t.Fatal(err)
	}
	call := func(header, path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		req.Header.Set(userHeader, "someone-else")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := call("Bearer "+tok, "/api/health"); resp.StatusCode != http.StatusOK {
		t.Errorf("with the token: %d", resp.StatusCode)
	}
	if resp := call("bearer "+tok, "/metrics"); resp.StatusCode != http.StatusOK {
		t.Errorf("/metrics with the token (scheme in lower case): %d", resp.StatusCode)
	}
	for _, h := range []string{"", "Bearer " + auth.NewToken(), "Bearer " + tok[:len(tok)-1], "Basic " + tok} {
		if resp := call(h, "/api/health"); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("with %q: %d, want 401 with WWW-Authenticate", h, resp.StatusCode)
		}
	}
	if resp := call("Bearer "+tok, fmt.Sprintf("/records/%d", s.done.ID)); resp.StatusCode != http.StatusOK {
		t.Fatalf("record with the token: %d", resp.StatusCode)
	}
	evs := accessEvents(t, s.db, s.done.ID)
	if len(evs) == 0 || evs[len(evs)-1].Actor != "cntt" {
		t.Errorf("the view is logged as by %+v, want cntt", evs)
	}
	if err := s.db.DisableUser(ctx, "cntt", catalog.Event{}); err != nil {
		t.Fatal(err)
	}
	if resp := call("Bearer "+tok, "/api/health"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("with the token of a disabled user: %d, want 401", resp.StatusCode)
	}
}

// TestSessionCookieAndExpiry: the session cookie is HttpOnly, SameSite
// and Secure when asked; the session ends when it expires, on sign-out,
// and when the user is disabled; the id is stored hashed.
func TestSessionCookieAndExpiry(t *testing.T) {
	s := seedAuth(t, auth.Options{SessionTTL: time.Hour}, func(c *Config) { c.SecureCookies = true })
	b := newBrowser(t, s.srv.URL)
	resp := b.login("cntt", testPassword)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, Path=/", session)
	}
	if _, err := s.db.Session(context.Background(), session.Value); err == nil {
		t.Error("the session id is stored as it is, not hashed")
	}
	if _, err := s.db.Session(context.Background(), auth.HashSecret(session.Value)); err != nil {
		t.Errorf("the session is not stored under its hash: %v", err)
	}
	// The cookie jar keeps Secure cookies off plain http; send it by hand.
	get := func(path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session.Value})
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/api/health"); resp.StatusCode != http.StatusOK {
		t.Fatalf("with the session: %d", resp.StatusCode)
	}
	s.clock.Add(59 * time.Minute)
	if resp := get("/api/health"); resp.StatusCode != http.StatusOK {
		t.Errorf("59 minutes into an hour's session: %d", resp.StatusCode)
	}
	s.clock.Add(2 * time.Minute)
	if resp := get("/api/health"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after the session expired: %d, want 401", resp.StatusCode)
	}
	if resp := get("/"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("a page after the session expired: %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Sign-out ends the session on the server, not only in the browser.
	plain := seedAuth(t, auth.Options{}, nil)
	b = newBrowser(t, plain.srv.URL).mustLogin("kiemtoan")
	u, _ := url.Parse(plain.srv.URL)
	var id string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			id = c.Value
		}
	}
	if resp, _ := b.do(http.MethodPost, "/logout", url.Values{"csrf": {b.csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if _, err := plain.db.Session(context.Background(), auth.HashSecret(id)); err == nil {
		t.Error("the session is still stored after signing out")
	}
	if resp, _ := b.do(http.MethodGet, "/api/health", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after signing out: %d, want 401", resp.StatusCode)
	}
	// Disabling a user ends its open sessions.
	b = newBrowser(t, plain.srv.URL).mustLogin("kiemtoan")
	if err := plain.db.DisableUser(context.Background(), "kiemtoan", catalog.Event{}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.do(http.MethodGet, "/api/health", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a disabled user's session: %d, want 401", resp.StatusCode)
	}
	if resp := b.login("kiemtoan", testPassword); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a disabled user signs in: %d, want 401", resp.StatusCode)
	}
}

// TestLoginRateLimit: after the name's burst of wrong passwords even the
// right one is refused with 429 until the bucket refills; many names from
// one address run into the address's limit.
func TestLoginRateLimit(t *testing.T) {
	s := seedAuth(t, auth.Options{
		PerName:    auth.Limit{Burst: 3, Every: time.Minute},
		PerAddress: auth.Limit{Burst: 8, Every: time.Minute},
	}, nil)
	b := newBrowser(t, s.srv.URL)
	for i := range 3 {
		if resp := b.login("lan", "sai-mat-khau"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	if resp := b.login("lan", testPassword); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("right password after 3 wrong ones: %d, want 429 with Retry-After", resp.StatusCode)
	}
	s.clock.Add(time.Minute)
	if resp := b.login("lan", testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a minute later: %d, want signed in", resp.StatusCode)
	}
	// Of the address's 8 tries, lan's took 5 and one came back in the
	// minute: four other names take the rest.
	for _, name := range []string{"x1", "x2", "x3", "x4"} {
		if resp := newBrowser(t, s.srv.URL).login(name, "whatever-password"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, resp.StatusCode)
		}
	}
	if resp := newBrowser(t, s.srv.URL).login("kiemtoan", testPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the address's 9th try: %d, want 429", resp.StatusCode)
	}
}

// TestLoginForm: the form needs its double-submit token, an unknown name
// and a wrong password answer alike, and next only leads within the
// site.
func TestLoginForm(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	b := newBrowser(t, s.srv.URL)
	if resp, _ := b.do(http.MethodPost, "/login", url.Values{"name": {"lan"}, "password": {testPassword}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d, want 403", resp.StatusCode)
	}
	_, unknown := b.do(http.MethodGet, "/login", nil)
	r1 := b.login("no-such-user", testPassword)
	r2 := b.login("lan", "sai-mat-khau")
	if r1.StatusCode != r2.StatusCode || r1.StatusCode != http.StatusUnauthorized || !strings.Contains(unknown, "Đăng nhập") {
		t.Errorf("unknown name %d, wrong password %d: want both 401", r1.StatusCode, r2.StatusCode)
	}
	// lan is a clerk: with review on and uploads off, the queue.
	for next, want := range map[string]string{
		"/records/1":           "/records/1",
		"//evil.example/x":     "/review",
		"https://evil.example": "/review",
		"/\\evil.example":      "/review",
	} {
		b := newBrowser(t, s.srv.URL)
		_, page := b.do(http.MethodGet, "/login?next="+url.QueryEscape(next), nil)
		csrf := csrfInput.FindStringSubmatch(page)[1]
		resp, _ := b.do(http.MethodPost, "/login", url.Values{"csrf": {csrf}, "name": {"lan"}, "password": {testPassword}, "next": {next}})
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("next=%q: to %q, want %q", next, got, want)
		}
	}
}

// TestNoUsersIsReadOnly: with no user yet, every read works as before
// sign-in existed (actor from the proxy's header) and a change is refused.
func TestNoUsersIsReadOnly(t *testing.T) {
	e := seedEvidence(t, nil)
	d, err := New(Config{Source: e.db, StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) { return nil, nil },
		Objects: e.store, Auth: auth.New(catalogstore.New(e.db), auth.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	d.mux.HandleFunc("POST /write-test", func(w http.ResponseWriter, r *http.Request) {})
	routePolicy["POST /write-test"] = allow(auth.Clerk, auth.Auditor)
	t.Cleanup(func() { delete(routePolicy, "POST /write-test") })
	srv := httptest.NewServer(d)
	defer srv.Close()
	resp, _ := request(t, fmt.Sprintf("%s/records/%d", srv.URL, e.done.ID), "Kiểm toán viên")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("record with no users: %d", resp.StatusCode)
	}
	evs := accessEvents(t, e.db, e.done.ID)
	if len(evs) == 0 || evs[len(evs)-1].Actor != "Kiểm toán viên" {
		t.Errorf("view logged as %+v, want the header's user", evs)
	}
	b := newBrowser(t, srv.URL)
	if resp, _ := b.do(http.MethodPost, "/write-test", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a change with no users: %d, want 403", resp.StatusCode)
	}
	_, page := b.do(http.MethodGet, "/login", nil)
	if !strings.Contains(page, `id="no-users"`) {
		t.Error("the sign-in page does not say there are no users yet")
	}
}

// TestMayActFor: a clerk acts for its units and those under them, IT for
// all, the auditor, the admin and the open view for none.
func TestMayActFor(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	district := parentOf(t, s.db, "21181")
	for _, tc := range []struct {
		v    *viewer
		unit string
		want bool
	}{
		{&viewer{User: auth.User{Name: "lan", Role: auth.Clerk, Units: []string{"21181"}}}, "21181", true},
		{&viewer{User: auth.User{Name: "lan", Role: auth.Clerk, Units: []string{"21181"}}}, "21175", true}, // merged whole into 21181
		{&viewer{User: auth.User{Name: "tho", Role: auth.Clerk, Units: []string{"21175"}}}, "21181", false},
		{&viewer{User: auth.User{Name: "lan", Role: auth.Clerk, Units: []string{"21181"}}}, district, false},
		{&viewer{User: auth.User{Name: "huyen", Role: auth.Clerk, Units: []string{district}}}, "21181", true},
		{&viewer{User: auth.User{Name: "cntt", Role: auth.IT}}, "21175", true},
		{&viewer{User: auth.User{Name: "kiemtoan", Role: auth.Auditor}}, "21181", false},
		{&viewer{User: auth.User{Name: "quantri", Role: auth.Admin}}, "21181", false},
		{&viewer{open: true, User: auth.User{Role: auth.Auditor}}, "21181", false},
	} {
		got, err := s.dash.mayActFor(withViewer(context.Background(), tc.v), tc.unit)
		if err != nil || got != tc.want {
			t.Errorf("%s (%s) for %s: %v %v, want %v", tc.v.Name, tc.v.Role, tc.unit, got, err, tc.want)
		}
	}
}
