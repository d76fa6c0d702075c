package dashboard

import (
	"slices"

	"sohoa/cmd/sohoa/internal/auth"
)

// access is who may use a route.
type access struct {
	// public routes are for anyone, signed in or not: the sign-in page
	// and the styles it needs.
	public bool
	roles  []auth.Role
}

func allow(roles ...auth.Role) access { return access{roles: roles} }

// allows reports whether role may use the route.
func (a access) allows(role auth.Role) bool { return a.public || slices.Contains(a.roles, role) }

var (
	public = access{public: true}
	// figures are the dashboard's progress and health: for IT, who run
	// the pipeline, the auditor, who reads everything, and the admin.
	figures = allow(auth.IT, auth.Auditor, auth.Admin)
	// records are the search and the evidence view; a clerk sees only
	// its units' records there (scopedSource).
	records = allow(auth.Clerk, auth.IT, auth.Auditor)
	// reviewers correct and confirm records of the units they act for
	// (mayActFor): a clerk its units, IT any unit.
	reviewers = allow(auth.Clerk, auth.IT)
	// signedIn is anyone signed in.
	signedIn = allow(auth.Roles()...)
	// uploaders may send scans for the units they act for (mayActFor):
	// a clerk its units, IT any unit.
	uploaders = allow(auth.Clerk, auth.IT)
)

// routePolicy says who may use each route the dashboard registers, by
// the route's pattern exactly as registered. A route missing here is
// refused to everyone (and TestEveryRouteByRole fails): add its entry in
// the same change that adds the route. A clerk's access to a record is
// further limited to its units by scopedSource.
var routePolicy = map[string]access{
	"GET /{$}":          figures,
	"GET /static/":      public,
	"GET /api/progress": figures,
	"GET /api/units":    figures,
	"GET /api/health":   figures,
	"GET /api/history":  figures,
	"GET /api/fixity":   figures,
	"GET /metrics":      figures,

	"GET /api/search":                records,
	"GET /search":                    records,
	"GET /records/{id}":              records,
	"GET /records/{id}/original":     records,
	"GET /records/{id}/archive.pdf":  records,
	"GET /records/{id}/pages/{file}": records,
	// An export reads: a clerk's bag holds its units' records only.
	"GET /export.zip": records,

	"GET /upload":                  uploaders,
	"POST /api/uploads":            uploaders,
	"PATCH /api/uploads/{id}":      uploaders,
	"GET /api/uploads/{id}/events": uploaders,

	// The review queue and page: a clerk sees and changes its units'
	// records only (scopedReviewer, mayActFor); the auditor reads, and
	// a change it tries is refused and logged.
	"GET /review":             records,
	"GET /review/{id}":        records,
	"POST /review/{id}":       reviewers,
	"POST /review/{id}/pages": reviewers,

	"GET /login":   public,
	"POST /login":  public,
	"POST /logout": signedIn,
}

// home is where a user lands after signing in.
func home(role auth.Role) string {
	if role == auth.Clerk {
		return "/search"
	}
	return "/"
}
