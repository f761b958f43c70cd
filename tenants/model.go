// Package tenants holds the client companies (tenants), the people who log in
// (users and their roles), passwords and session tokens.
package tenants

import (
	"sync"
	"time"
)

// Roles.
const (
	RoleAdmin     = "admin"
	RoleManager   = "manager"
	RoleCollector = "collector"
	RoleClient    = "client"
	RoleDebtor    = "debtor"
)

// Tenant is a client company whose receivables the BPO collects.
type Tenant struct {
	ID           string    `bson:"_id" json:"slug"`
	Name         string    `bson:"name" json:"name"`
	Country      string    `bson:"country" json:"country"`
	Currency     string    `bson:"currency" json:"currency"`
	Timezone     string    `bson:"timezone" json:"timezone"`
	Locale       string    `bson:"locale" json:"locale"`
	CommissionBP int64     `bson:"commissionBP" json:"-"`
	CreatedAt    time.Time `bson:"createdAt" json:"createdAt"`
	Rev          int64     `bson:"rev" json:"-"`
}

// Location is the tenant's time zone (Bogotá when unset or unknown).
func (t Tenant) Location() *time.Location {
	name := t.Timezone
	if name == "" {
		name = "America/Bogota"
	}
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location)
	}
	// LoadLocation reads and parses the zone file each time (3 % of the
	// CPU under load, called on most requests): each name is loaded once.
	loc, err := time.LoadLocation(name)
	if err != nil {
		if loc, err = time.LoadLocation("America/Bogota"); err != nil {
			loc = time.FixedZone("COT", -5*3600)
		}
	}
	zones.Store(name, loc)
	return loc
}

// zones holds the locations already loaded, by zone name (a handful).
var zones sync.Map

// User is a person who logs in with e-mail and password.
type User struct {
	ID           string    `bson:"_id" json:"id"`
	Email        string    `bson:"email" json:"email"`
	Name         string    `bson:"name" json:"name"`
	Role         string    `bson:"role" json:"role"`
	Tenants      []string  `bson:"tenants" json:"tenants"`
	PasswordHash string    `bson:"passwordHash" json:"-"`
	TokenVersion int64     `bson:"tokenVersion" json:"-"`
	Disabled     bool      `bson:"disabled" json:"disabled,omitempty"`
	Capacity     int       `bson:"capacity,omitempty" json:"capacity,omitempty"`       // collectors: weight in assignment
	MaxAccounts  int       `bson:"maxAccounts,omitempty" json:"maxAccounts,omitempty"` // collectors: open accounts at most (0: no limit)
	CreatedAt    time.Time `bson:"createdAt" json:"createdAt"`
	Rev          int64     `bson:"rev" json:"-"`
}

// countries the portal knows the rules of, with their defaults.
var countries = map[string]struct{ currency, timezone, locale string }{
	"CO": {"COP", "America/Bogota", "es-CO"},
	"MX": {"MXN", "America/Mexico_City", "es-MX"},
	"PE": {"PEN", "America/Lima", "es-PE"},
	"US": {"USD", "America/New_York", "en-US"},
}
