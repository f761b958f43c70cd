package config

import "testing"

// The sandbox gateway runs only when asked for.
func TestSandboxOnlyWhenAsked(t *testing.T) {
	t.Setenv("PORTAL_DATA", t.TempDir())
	t.Setenv("PORTAL_SANDBOX", "")
	c, err := Load()
	if err != nil || c.Sandbox {
		t.Fatalf("default: sandbox %v, %v", c.Sandbox, err)
	}
	t.Setenv("PORTAL_SANDBOX", "1")
	if c, _ := Load(); !c.Sandbox {
		t.Fatal("PORTAL_SANDBOX=1 did not turn the sandbox on")
	}
}

// The embedded database syncs at checkpoints unless full is asked for; a
// typo is refused, not taken for the default.
func TestEmbeddedSync(t *testing.T) {
	t.Setenv("PORTAL_DATA", t.TempDir())
	for v, full := range map[string]bool{"": false, "normal": false, "full": true} {
		t.Setenv("PORTAL_EMBEDDED_SYNC", v)
		c, err := Load()
		if err != nil || c.SyncFull != full {
			t.Fatalf("PORTAL_EMBEDDED_SYNC=%q: full %v, %v; want %v", v, c.SyncFull, err, full)
		}
	}
	t.Setenv("PORTAL_EMBEDDED_SYNC", "FULL!")
	if _, err := Load(); err == nil {
		t.Fatal("PORTAL_EMBEDDED_SYNC=FULL! accepted")
	}
}

// Payments may hold five eighths of the gate's slots unless told
// otherwise; 0 lifts the cap.
func TestMoneyInFlight(t *testing.T) {
	t.Setenv("PORTAL_DATA", t.TempDir())
	for _, c := range []struct {
		all, money string
		want       int
	}{{"16", "", 10}, {"12", "", 7}, {"8", "", 5}, {"1", "", 1}, {"12", "0", 0}, {"12", "3", 3}} {
		t.Setenv("PORTAL_MAX_INFLIGHT", c.all)
		t.Setenv("PORTAL_MONEY_INFLIGHT", c.money)
		cfg, err := Load()
		if err != nil || cfg.MoneyInFlight != c.want {
			t.Fatalf("PORTAL_MAX_INFLIGHT=%s PORTAL_MONEY_INFLIGHT=%q: %d, %v; want %d", c.all, c.money, cfg.MoneyInFlight, err, c.want)
		}
	}
	t.Setenv("PORTAL_MONEY_INFLIGHT", "-1")
	if _, err := Load(); err == nil {
		t.Fatal("PORTAL_MONEY_INFLIGHT=-1 accepted")
	}
}
