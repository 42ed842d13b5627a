package assets

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoomcheckWasmCurrent fails when the committed room-check estimator is
// not what cmd/roomcheck and validate/ build today: the page and the server
// must run the same estimator, so a change to validate/ needs `make assets`.
func TestRoomcheckWasmCurrent(t *testing.T) {
	committed, err := fs.ReadFile(Static, "recorder/roomcheck.wasm")
	if err != nil {
		t.Fatalf("the embedded roomcheck.wasm is missing (run make assets): %v", err)
	}
	out := filepath.Join(t.TempDir(), "roomcheck.wasm")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -buildid=", "-o", out, "../cmd/roomcheck")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/roomcheck: %v\n%s", err, msg)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, committed) {
		t.Fatalf("assets/static/recorder/roomcheck.wasm (%d bytes) is not what cmd/roomcheck builds now (%d bytes): run make assets", len(committed), len(built))
	}

	goroot, err := exec.CommandContext(context.Background(), "go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(Static, "vendor/go/wasm_exec.js")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("assets/static/vendor/go/wasm_exec.js is not the toolchain's (err %v): run make assets", err)
	}
}
