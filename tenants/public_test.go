package tenants

import "testing"

func TestCompanyKey(t *testing.T) {
	same := [][2]string{
		{"Distribuidora Andina S.A.S.", "distribuidora andina"},
		{"Distribuidora Andina S.A.S.", "DISTRIBUIDORA ANDINA SAS"},
		{"Ferretería Núñez Ltda.", "ferreteria nunez"},
		{"Abarrotes del Norte, S.A. de C.V.", "abarrotes del norte"},
		{"Acme Supply Co., Inc.", "acme supply"},
	}
	for _, p := range same {
		if a, b := companyKey(p[0]), companyKey(p[1]); a != b {
			t.Errorf("%q → %q and %q → %q should match", p[0], a, p[1], b)
		}
	}
	if companyKey("Andina") == companyKey("Distribuidora Andina") {
		t.Error("a part of a name must not match the whole")
	}
	if companyKey("SAS") != "sas" {
		t.Errorf("a name made only of a legal form keeps it: %q", companyKey("SAS"))
	}
}
