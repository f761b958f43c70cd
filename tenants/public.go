package tenants

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// PublicTenant is what anyone may know of a tenant: the debtor's login
// page names the company its link points at.
type PublicTenant struct {
	Slug    string `json:"slug"`
	Name    string `json:"name"`
	Locale  string `json:"locale"`
	Country string `json:"country"`
}

// Public returns the public face of the tenant with this slug (no
// membership check: it is printed on letters), or ErrNotFound.
func (s *Service) Public(ctx context.Context, slug string) (PublicTenant, error) {
	t, err := s.TenantByID(ctx, strings.ToLower(strings.TrimSpace(slug)))
	if err != nil {
		return PublicTenant{}, err
	}
	return PublicTenant{Slug: t.ID, Name: t.Name, Locale: t.Locale, Country: t.Country}, nil
}

// FindCompany resolves what a debtor typed in the company field: a slug
// as is, else the company's name however it was written ("distribuidora
// andina", "Distribuidora Andina SAS"): case, accents, punctuation and
// the legal form do not matter. A name that fits no company, or several,
// comes back unchanged, so the login fails the way a wrong code does.
func (s *Service) FindCompany(ctx context.Context, typed string) string {
	typed = strings.TrimSpace(typed)
	slug := strings.ToLower(typed)
	if _, err := s.TenantByID(ctx, slug); err == nil {
		return slug
	}
	want := companyKey(typed)
	if want == "" {
		return typed
	}
	var ts []struct {
		Slug string `bson:"_id"`
		Name string `bson:"name"`
	}
	if err := s.db.C("tenants").Find(ctx, bson.D{}, &ts, options.Find().SetProjection(bson.D{{Key: "name", Value: 1}})); err != nil {
		return typed
	}
	found := ""
	for _, t := range ts {
		if companyKey(t.Name) == want {
			if found != "" {
				return typed // two companies answer to it: neither
			}
			found = t.Slug
		}
	}
	if found == "" {
		return typed
	}
	return found
}

// legalForms are the company-type suffixes people leave out or write in
// many ways (CO, MX, PE, US).
var legalForms = map[string]bool{"sas": true, "sa": true, "ltda": true, "sacv": true, "sadecv": true, "cv": true, "de": true,
	"srl": true, "sac": true, "eirl": true, "saa": true, "inc": true, "llc": true, "corp": true, "co": true, "ltd": true, "eu": true}

// companyKey folds a company name for comparison.
func companyKey(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, strings.ToLower(name))
	if err != nil {
		folded = strings.ToLower(name)
	}
	// Dots inside legal forms go first (S.A.S. → sas), then any other
	// punctuation separates words.
	folded = strings.ReplaceAll(folded, ".", "")
	words := strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for len(words) > 1 && legalForms[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	return strings.Join(words, " ")
}

// DebtorURL is the address debtors of the tenant use: printed on letters
// and sent in messages; it opens the login with the company named.
func DebtorURL(publicURL, slug string) string {
	return fmt.Sprintf("%s/pay/%s", strings.TrimRight(publicURL, "/"), slug)
}
