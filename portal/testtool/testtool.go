// Package testtool finds the programs tests drive (pdftotext, nginx,
// docker-compose): a missing one skips the test on a developer's machine and
// fails it under CI=true, where .ci/run installs them, so CI never passes a
// test that did not run.
package testtool

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// Bin returns the path of program name (or of the one named by the
// environment variable env, when set). pkg is the Debian package that
// provides it, for the message.
func Bin(t testing.TB, name, pkg, env string) string {
	t.Helper()
	if env != "" {
		if p := os.Getenv(env); p != "" {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found and CI=true (.ci/run installs %s)", name, pkg)
	}
	t.Skipf("%s not installed (apt-get install %s)", name, pkg)
	return ""
}

// PDFText is the text of a PDF by pdftotext (-layout).
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	cmd := exec.Command(Bin(t, "pdftotext", "poppler-utils", ""), "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
