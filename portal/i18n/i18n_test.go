package i18n_test

import (
	"sort"
	"strings"
	"testing"

	"cartera/portal/i18n"
	"cartera/static"
)

// Every key exists in both languages, so no page shows a raw key.
func TestCataloguesMatch(t *testing.T) {
	c, err := i18n.Load(static.FS, "es", "en")
	if err != nil {
		t.Fatal(err)
	}
	es, en := c.Keys("es"), c.Keys("en")
	sort.Strings(es)
	sort.Strings(en)
	if strings.Join(es, ",") != strings.Join(en, ",") {
		missing := map[string]int{}
		for _, k := range es {
			missing[k]++
		}
		for _, k := range en {
			missing[k]--
		}
		for k, v := range missing {
			if v != 0 {
				t.Errorf("key %q only in one language", k)
			}
		}
	}
	if c.T("en", "login.submit") != "Sign in" || c.T("es", "login.submit") != "Ingresar" || c.T("xx", "login.submit") != "Ingresar" {
		t.Fatal("lookup")
	}
}
