// Package auth says who is asking `sohoa serve`: users with a role, who
// sign in with a password (bcrypt) and get a session, or call the API with
// a token; and how often a sign-in may be tried. What each role may open
// is the dashboard's policy table; this package only knows the roles.
package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a user may do.
type Role string

// The roles.
const (
	// Clerk ingests, reviews and sees the records of the units it acts
	// for (and of the units under them), and of no other.
	Clerk Role = "clerk"
	// IT sees every unit: progress, the dashboard, pipeline operations.
	IT Role = "it"
	// Auditor reads everything and changes nothing.
	Auditor Role = "auditor"
	// Admin manages users and settings.
	Admin Role = "admin"
)

// Roles lists the roles in the order the help shows them.
func Roles() []Role { return []Role{Clerk, IT, Auditor, Admin} }

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Roles(), r) {
		return r, nil
	}
	return "", fmt.Errorf("không có vai trò %q (no role %q): chọn / choose clerk, it, auditor, admin", s, s)
}

// Label is the role as a clerk reads it, Vietnamese with English beside.
func (r Role) Label() string {
	switch r {
	case Clerk:
		return "cán bộ một cửa / clerk"
	case IT:
		return "cán bộ CNTT / IT"
	case Auditor:
		return "kiểm toán / auditor"
	case Admin:
		return "quản trị / admin"
	}
	return string(r)
}

// User is who is signed in.
type User struct {
	Name string
	Role Role
	// Units are the units a clerk acts for; empty for the other roles,
	// which see every unit.
	Units []string
}
