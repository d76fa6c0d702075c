package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/storage/catalog"
)

// Cookies of the dashboard.
const (
	sessionCookie = "sohoa_session"
	// loginCSRFCookie is the double-submit token of the sign-in form,
	// which has no session yet.
	loginCSRFCookie = "sohoa_login_csrf"
	// csrfField and csrfHeader carry a session's CSRF token: the field
	// in forms, the header from scripts (and for multipart uploads, whose
	// bodies the check must not read).
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

// deniedHeader says why the policy check refused a request: "sign-in",
// "role", "csrf", "cross-origin" or "no-policy" (for scripts and tests; a
// handler's own refusal never has it).
const deniedHeader = "X-Sohoa-Denied"

// actionDenied is the event of a signed-in user refused a change (an
// auditor trying to write, a clerk another unit's form).
const actionDenied = "denied"

// router is the dashboard's mux, which remembers every pattern
// registered, so the policy check and its test know them all.
type router struct {
	mux      *http.ServeMux
	patterns []string
}

func newRouter() *router { return &router{mux: http.NewServeMux()} }

// Handle registers h for pattern; who may use it is routePolicy's entry.
func (rt *router) Handle(pattern string, h http.Handler) {
	rt.patterns = append(rt.patterns, pattern)
	rt.mux.Handle(pattern, h)
}

// HandleFunc registers f for pattern; who may use it is routePolicy's
// entry.
func (rt *router) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, http.HandlerFunc(f))
}

// Routes returns the patterns registered, in order.
func (d *Dashboard) Routes() []string { return append([]string(nil), d.mux.patterns...) }

// crossOrigin refuses unsafe requests a browser says came from another
// site (Sec-Fetch-Site, Origin): a second wall behind the CSRF token.
var crossOrigin = http.NewCrossOriginProtection()

// ServeHTTP routes a request after checking who may: deny by default.
// A path the dashboard does not have is 404; a route with no entry in
// routePolicy is refused to all; a request without a session or token
// goes to the sign-in page (pages) or gets 401 (the API); a role the
// route does not allow gets 403, and a refused change is logged as an
// event. Unsafe methods of a session need its CSRF token.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := d.mux.mux.Handler(r)
	if pattern == "" {
		d.mux.mux.ServeHTTP(w, r) // 404 or 405
		return
	}
	pol, ok := routePolicy[pattern]
	if !ok {
		d.log.Error("route has no policy entry: refused to all (add it to routePolicy in auth_policy.go)", "route", pattern)
		d.deny(w, r, "no-policy", "trang này chưa được phân quyền (this page has no access rule yet)")
		return
	}
	v, err := d.identify(r)
	if errors.Is(err, auth.ErrNoSession) {
		v, err = nil, nil // a stale cookie or token is no one
		d.clearCookie(w, r, sessionCookie)
	}
	if err != nil {
		d.log.Error("identify request", "path", r.URL.Path, "err", err)
		http.Error(w, "lỗi máy chủ (server error): "+err.Error(), http.StatusInternalServerError)
		return
	}
	unsafe := !safeMethod(r.Method)
	switch {
	case pol.public:
	case v == nil:
		d.needSignIn(w, r)
		return
	case !pol.allows(v.Role) || (v.open && unsafe):
		if unsafe {
			d.logDenied(r, v, pattern)
		}
		msg := fmt.Sprintf("vai trò %s không được dùng trang này (the %s role may not use this page)", v.Role.Label(), v.Role)
		if v.open {
			msg = "chưa có người dùng nào: chỉ được xem; tạo quản trị bằng sohoa users add (no users yet, read-only: create an admin with sohoa users add)"
		}
		d.deny(w, r, "role", msg)
		return
	}
	// Public forms (the sign-in) check their own double-submit token.
	if unsafe && !pol.public && v != nil && v.via == "session" && !d.checkCSRF(r, v.session.CSRF) {
		d.deny(w, r, "csrf", "phiên làm việc không khớp, tải lại trang rồi thử lại (the form's CSRF token is missing or wrong: reload the page and try again)")
		return
	}
	if unsafe {
		if err := crossOrigin.Check(r); err != nil {
			d.deny(w, r, "cross-origin", "yêu cầu từ trang khác bị từ chối (cross-origin request refused)")
			return
		}
	}
	if v != nil {
		r = r.WithContext(withViewer(r.Context(), v))
	}
	d.mux.mux.ServeHTTP(w, r)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// identify finds who r is from: its Bearer token, else its session
// cookie, else, when serve has no users at all, the open read-only
// viewer; nil when no one. auth.ErrNoSession for a token or cookie that
// names no one.
func (d *Dashboard) identify(r *http.Request) (*viewer, error) {
	if d.auth == nil {
		return &viewer{open: true, User: auth.User{Role: auth.Auditor}}, nil
	}
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, auth.ErrNoSession
		}
		u, err := d.auth.TokenUser(ctx, strings.TrimSpace(token))
		if err != nil {
			return nil, err
		}
		return &viewer{User: u, via: "token"}, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		u, s, err := d.auth.SessionUser(ctx, c.Value)
		if err != nil {
			return nil, err
		}
		return &viewer{User: u, via: "session", session: s}, nil
	}
	open, err := d.auth.Open(ctx)
	if err != nil {
		return nil, err
	}
	if open {
		return &viewer{open: true, User: auth.User{Role: auth.Auditor}}, nil
	}
	return nil, nil
}

// checkCSRF reports whether r carries the session's CSRF token, in the
// header or, for a form that is not multipart, in its csrf field.
func (d *Dashboard) checkCSRF(r *http.Request, want string) bool {
	if got := r.Header.Get(csrfHeader); got != "" {
		return auth.SameSecret(got, want)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
		return auth.SameSecret(r.PostFormValue(csrfField), want)
	}
	return false
}

// CSRFToken returns the CSRF token forms of r's session must send back
// (as the csrf field, or the X-CSRF-Token header); "" without a session.
func CSRFToken(r *http.Request) string {
	if v := viewerFrom(r.Context()); v != nil {
		return v.session.CSRF
	}
	return ""
}

// needSignIn answers a request from no one: pages go to the sign-in page
// and come back after it, the API and /metrics get 401.
func (d *Dashboard) needSignIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(deniedHeader, "sign-in")
	if isAPI(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sohoa"`)
		d.writeJSONStatus(w, r, http.StatusUnauthorized, apiError{Error: "cần đăng nhập hoặc Authorization: Bearer TOKEN (sign in, or send a token from sohoa users token)"})
		return
	}
	next := r.URL.RequestURI()
	if !safeMethod(r.Method) {
		next = "/"
	}
	http.Redirect(w, r, "/login?next="+urlQueryEscape(next), http.StatusSeeOther)
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics"
}

// deny answers a request refused for reason with 403: a page for
// browsers, JSON for the API and scripts.
func (d *Dashboard) deny(w http.ResponseWriter, r *http.Request, reason, msg string) {
	const status = http.StatusForbidden
	w.Header().Set(deniedHeader, reason)
	if isAPI(r) || !safeMethod(r.Method) && r.Header.Get(csrfHeader) != "" {
		d.writeJSONStatus(w, r, status, apiError{Error: msg})
		return
	}
	d.render(w, r, d.evidence.problem, status, problemData{Status: status, Problem: msg})
}

// logDenied appends the event of a change refused to a signed-in user.
// A failure to log is itself logged: the request is refused either way.
func (d *Dashboard) logDenied(r *http.Request, v *viewer, route string) {
	name := v.Name
	if v.open {
		name = actor(r)
	}
	b, _ := json.Marshal(map[string]any{"method": r.Method, "path": r.URL.Path, "route": route, "role": v.Role})
	if err := d.src.AppendEvent(r.Context(), catalog.Event{Actor: name, Action: actionDenied, Details: string(b)}); err != nil {
		d.log.Error("log refused change", "user", name, "path", r.URL.Path, "err", err)
	}
	d.log.Warn("refused change", "user", name, "role", v.Role, "method", r.Method, "path", r.URL.Path)
}

// secure reports whether cookies of r must be Secure.
func (d *Dashboard) secure(r *http.Request) bool { return d.secureCookies || r.TLS != nil }

func (d *Dashboard) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: d.secure(r), SameSite: http.SameSiteLaxMode})
}
