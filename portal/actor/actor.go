// Package actor carries who is making a request (and from where) through a
// context.Context, so domain code can authorise and audit without knowing HTTP.
package actor

import "context"

// Actor is the authenticated principal of a request, or an anonymous caller
// (UserID empty) with only its address known.
type Actor struct {
	UserID    string   // user id, or the debtor's _id for role debtor
	Email     string   // users only
	Role      string   // admin, manager, collector, client, debtor, system
	Tenants   []string // tenants the actor belongs to
	IP        string
	UserAgent string
	RequestID string
	// KeyID is set when an API key makes the request (UserID is then
	// "apikey:<KeyID>"); Scopes are what that key may do.
	KeyID  string
	Scopes []string
	// PayLink marks a debtor who came by a payment link: the statement
	// and paying only, until they log in with their code.
	PayLink bool
}

// Member reports whether the actor may act within tenant. Admins see every
// tenant.
func (a Actor) Member(tenant string) bool {
	if a.Role == "admin" {
		return true
	}
	for _, t := range a.Tenants {
		if t == tenant {
			return true
		}
	}
	return false
}

type key struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a Actor) context.Context { return context.WithValue(ctx, key{}, a) }

// From returns the actor in ctx (zero Actor when none).
func From(ctx context.Context) Actor {
	a, _ := ctx.Value(key{}).(Actor)
	return a
}

// System is the actor of background work.
func System(ctx context.Context, job string) context.Context {
	return With(ctx, Actor{UserID: "system:" + job, Role: "system"})
}
