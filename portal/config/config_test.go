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
