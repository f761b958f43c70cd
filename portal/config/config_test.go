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
