// Package browsertest drives Debian's Chromium headless with chromedp for
// tests that look at the pages as a person would, saving screenshots.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser finds Chromium; without it the test is skipped, except under
// CI=true where a missing browser fails the run.
func Browser(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("browsertest: chromium not found and CI=true (.ci/run installs it)")
	}
	t.Skip("browsertest: chromium not installed (apt-get install chromium)")
	return ""
}

// New starts a headless browser with a window of w x h and returns a
// chromedp context; everything is torn down when the test ends.
func New(t testing.TB, w, h int) context.Context {
	t.Helper()
	exe := Browser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
		// Without these Chromium floods the closed network with lookups.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// A Colombian's browser, as most of the portal's people use: the
		// pages start in the browser's language (English tests choose
		// English on the page, as a person does).
		chromedp.Flag("lang", "es-CO"),
		chromedp.Flag("accept-lang", "es-CO,es"),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	return ctx
}

// Text returns the text of the element matching the CSS selector sel.
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Eval evaluates a JavaScript expression returning a string.
func Eval(t testing.TB, ctx context.Context, js string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
	return s
}

// Shot saves a full-page screenshot as <name>.png in dir (the test's temp
// dir unless SCREENSHOT_DIR is set) and returns its path.
func Shot(t testing.TB, ctx context.Context, dir, name string) string {
	t.Helper()
	return save(t, ctx, dir, name, chromedp.FullScreenshot(100))
}

// ShotView saves what the viewport shows (fixed bars and sheets where a
// person sees them), like Shot.
func ShotView(t testing.TB, ctx context.Context, dir, name string) string {
	t.Helper()
	return save(t, ctx, dir, name, chromedp.CaptureScreenshot())
}

func save(t testing.TB, ctx context.Context, dir, name string, shot chromedp.Action[[]byte]) string {
	t.Helper()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		dir = d
		_ = os.MkdirAll(dir, 0o755)
	}
	buf, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ShotOf saves a screenshot of the element sel only, like Shot.
func ShotOf(t testing.TB, ctx context.Context, dir, name, sel string) string {
	t.Helper()
	return save(t, ctx, dir, name, chromedp.Screenshot(chromedp.CSS(sel)))
}
