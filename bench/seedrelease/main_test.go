package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stdoutTo points os.Stdout at f for the rest of the test.
func stdoutTo(t *testing.T, f *os.File) {
	t.Helper()
	old := os.Stdout
	os.Stdout = f
	t.Cleanup(func() { os.Stdout = old })
}

// TestSeedPrintsTokens: one token a line on standard output, as
// bench/load-download.sh reads them.
func TestSeedPrintsTokens(t *testing.T) {
	out, err := os.Create(filepath.Join(t.TempDir(), "tokens"))
	if err != nil {
		t.Fatal(err)
	}
	stdoutTo(t, out)
	if err := seed(filepath.Join(t.TempDir(), "data"), 3, 5, 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Fields(string(b)); len(lines) != 2 {
		t.Fatalf("printed %q, want 2 tokens", b)
	}
}

// TestSeedTokenWriteErrorFails: the tokens are shown once and stored
// hashed; when they cannot be written (here /dev/full, a full disk) seed
// fails instead of exiting 0 with no tokens.
func TestSeedTokenWriteErrorFails(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		if os.Getenv("CI") == "true" { // a skip must not hide a missing tool in CI
			t.Fatal("no /dev/full:", err)
		}
		t.Skip("no /dev/full:", err)
	}
	defer func() { _ = full.Close() }() // nothing was written to it
	stdoutTo(t, full)
	if err := seed(filepath.Join(t.TempDir(), "data"), 1, 5, 1, 1); err == nil {
		t.Fatal("seed printing its tokens to /dev/full returned no error")
	}
}
