package dashboard

import (
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/storage/catalog"
)

// Actions of the sign-in events.
const (
	actionLogin  = "login"
	actionLogout = "logout"
)

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập / Sign in — sohoa</title>
<link rel="stylesheet" href="/static/dashboard.css">
<style>
main.login { max-width: 26rem; margin: 3rem auto; }
main.login label { display: block; margin: .8rem 0 .2rem; }
main.login input[type=text], main.login input[type=password] { width: 100%; padding: .4rem; font-size: 1rem; box-sizing: border-box; }
main.login button { margin-top: 1rem; padding: .5rem 1.2rem; font-size: 1rem; }
.problem { color: #a40000; }
</style>
</head>
<body>
<main class="login">
{{if .User}}
<h1>Đã đăng nhập <small>Signed in</small></h1>
<p id="signed-in" data-user="{{.User.Name}}" data-role="{{.User.Role}}">{{.User.Name}} — {{.User.Role.Label}}</p>
<p><a href="{{.Home}}">Vào trang làm việc / Go to work</a></p>
<form method="post" action="/logout" id="logout-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" id="logout">Đăng xuất / Sign out</button>
</form>
{{else}}
<h1>Đăng nhập <small>Sign in</small></h1>
{{if .Problem}}<p class="problem" id="problem">{{.Problem}}</p>{{end}}
{{if .Open}}<p id="no-users">Chưa có người dùng nào. Tạo tài khoản quản trị bằng lệnh:<br>
No users yet. Create an admin with:<br><code>sohoa users add TÊN --role admin</code></p>{{end}}
<form method="post" action="/login" id="login-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="next" value="{{.Next}}">
<label for="name">Tên đăng nhập / User name</label>
<input type="text" id="name" name="name" autocomplete="username" required autofocus value="{{.Name}}">
<label for="password">Mật khẩu / Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="sign-in">Đăng nhập / Sign in</button>
</form>
{{end}}
</main>
</body>
</html>
`))

type loginData struct {
	User    *auth.User
	Home    string
	CSRF    string
	Next    string
	Name    string
	Problem string
	Open    bool
}

// addAuth routes the sign-in page, the sign-in and the sign-out.
func (d *Dashboard) addAuth() {
	d.mux.HandleFunc("GET /login", d.serveLogin)
	d.mux.HandleFunc("POST /login", d.serveLoginPost)
	d.mux.HandleFunc("POST /logout", d.serveLogout)
}

// serveLogin shows the sign-in form, or who is signed in with a button
// to sign out.
func (d *Dashboard) serveLogin(w http.ResponseWriter, r *http.Request) {
	data := loginData{Next: localPath(r.URL.Query().Get("next"))}
	if v := viewerFrom(r.Context()); v != nil && !v.open {
		data.User, data.Home, data.CSRF = &v.User, d.landing(v.Role), v.session.CSRF
		d.renderLogin(w, r, http.StatusOK, data)
		return
	} else if v != nil {
		data.Open = true
	}
	d.renderLoginForm(w, r, http.StatusOK, data)
}

// renderLoginForm renders the form with a fresh double-submit token in
// its cookie and its hidden field.
func (d *Dashboard) renderLoginForm(w http.ResponseWriter, r *http.Request, status int, data loginData) {
	data.CSRF = auth.NewToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: data.CSRF, Path: "/login", MaxAge: 3600,
		HttpOnly: true, Secure: d.secure(r), SameSite: http.SameSiteStrictMode})
	d.renderLogin(w, r, status, data)
}

func (d *Dashboard) renderLogin(w http.ResponseWriter, r *http.Request, status int, data loginData) {
	w.Header().Set("X-Frame-Options", "DENY")
	d.render(w, r, loginPage, status, data)
}

// serveLoginPost signs in: the form's token must match its cookie, the
// attempts of the address and the name are rate limited, and a session
// cookie (HttpOnly, SameSite=Lax, Secure over TLS or --secure-cookies)
// replaces any earlier one.
func (d *Dashboard) serveLoginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	name := strings.TrimSpace(r.PostFormValue("name"))
	data := loginData{Next: localPath(r.PostFormValue("next")), Name: name}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !auth.SameSecret(r.PostFormValue(csrfField), c.Value) {
		data.Problem = "biểu mẫu đã cũ, hãy đăng nhập lại (the form expired: sign in again)"
		d.renderLoginForm(w, r, http.StatusForbidden, data)
		return
	}
	if d.auth == nil {
		data.Problem, data.Open = "chưa có người dùng nào (no users yet)", true
		d.renderLoginForm(w, r, http.StatusUnauthorized, data)
		return
	}
	u, id, s, err := d.auth.Login(r.Context(), name, r.PostFormValue("password"), remoteHost(r))
	switch {
	case errors.Is(err, auth.ErrRateLimited):
		w.Header().Set("Retry-After", "30")
		data.Problem = "đăng nhập sai quá nhiều lần, đợi một lát rồi thử lại (too many attempts: wait a little and try again)"
		d.log.Warn("sign-in rate limited", "user", name, "addr", remoteHost(r))
		d.renderLoginForm(w, r, http.StatusTooManyRequests, data)
		return
	case errors.Is(err, auth.ErrBadCredentials):
		data.Problem = "sai tên đăng nhập hoặc mật khẩu (wrong user name or password)"
		d.log.Warn("sign-in failed", "user", name, "addr", remoteHost(r))
		d.renderLoginForm(w, r, http.StatusUnauthorized, data)
		return
	case err != nil:
		d.log.Error("sign in", "user", name, "err", err)
		http.Error(w, "lỗi máy chủ (server error): "+err.Error(), http.StatusInternalServerError)
		return
	}
	d.logSignIn(r, actionLogin, u.Name)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", Expires: s.ExpiresAt,
		MaxAge: int(d.auth.SessionTTL().Seconds()), HttpOnly: true, Secure: d.secure(r), SameSite: http.SameSiteLaxMode})
	d.clearLoginCSRF(w, r)
	next := data.Next
	if next == "" || next == "/login" {
		next = d.landing(u.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// landing is where a user signed in without a next= lands: a clerk's
// work is uploading and reviewing, so the upload page when uploads are
// on, else the review queue when review is on; anyone else (and a clerk
// of a server with neither) lands at home.
func (d *Dashboard) landing(role auth.Role) string {
	if role != auth.Clerk {
		return home(role)
	}
	switch {
	case d.uploads != nil && d.uploads.on():
		return "/upload"
	case d.review.rv != nil:
		return "/review"
	}
	return home(role)
}

func (d *Dashboard) clearLoginCSRF(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, Secure: d.secure(r), SameSite: http.SameSiteStrictMode})
}

// serveLogout ends the session (its CSRF token was checked) and goes
// back to the sign-in page.
func (d *Dashboard) serveLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && d.auth != nil {
		if err := d.auth.Logout(r.Context(), c.Value); err != nil {
			d.log.Error("sign out", "err", err)
			http.Error(w, "lỗi máy chủ (server error): "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if v := viewerFrom(r.Context()); v != nil && !v.open {
		d.logSignIn(r, actionLogout, v.Name)
	}
	d.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// logSignIn appends a sign-in or sign-out event; failing to is logged,
// not shown: the person is signed in (or out) either way.
func (d *Dashboard) logSignIn(r *http.Request, action, name string) {
	b, _ := json.Marshal(map[string]any{"addr": remoteHost(r)})
	if err := d.src.AppendEvent(r.Context(), catalog.Event{Actor: name, Action: action, Details: string(b)}); err != nil {
		d.log.Error("log "+action, "user", name, "err", err)
	}
}

// localPath returns p if it is a path of this server (so a sign-in link
// cannot send the user elsewhere), else "".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return p
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// remoteHost is the address a request came from, without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
