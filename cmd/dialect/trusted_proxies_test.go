package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestTrustedProxiesConfig: server.trusted_proxies from the YAML file (a
// list) and from DIALECT_SERVER_TRUSTED_PROXIES (comma-separated, which
// wins); none by default; a value that is not a CIDR or address is a usage
// error (exit 2) naming the key.
func TestTrustedProxiesConfig(t *testing.T) {
	load := func(file string) (Config, error) {
		cmd := &cobra.Command{}
		cmd.Flags().String("config", "", "")
		if file != "" {
			_ = cmd.Flags().Set("config", file)
		}
		return loadConfig(cmd, nil)
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DIALECT_") {
			t.Setenv(k, "")
			_ = os.Unsetenv(k)
		}
	}
	cfg, err := load("")
	if err != nil || len(cfg.Server.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v", cfg.Server.TrustedProxies, err)
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte("server:\n  trusted_proxies: [127.0.0.1/32, \"10.0.0.0/8\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = load(file); err != nil || !slices.Equal(cfg.Server.TrustedProxies, []string{"127.0.0.1/32", "10.0.0.0/8"}) {
		t.Fatalf("from the file: %v %v", cfg.Server.TrustedProxies, err)
	}
	t.Setenv("DIALECT_SERVER_TRUSTED_PROXIES", "192.0.2.10, 2001:db8::/32")
	cfg, err = load(file)
	if err != nil || len(cfg.Server.TrustedProxies) != 2 || strings.TrimSpace(cfg.Server.TrustedProxies[1]) != "2001:db8::/32" {
		t.Fatalf("from the environment: %q %v", cfg.Server.TrustedProxies, err)
	}
	t.Setenv("DIALECT_SERVER_TRUSTED_PROXIES", "127.0.0.1/32,proxy.example.org")
	t.Setenv("DIALECT_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	var out, errb syncBuffer
	if code := run(context.Background(), []string{"serve"}, strings.NewReader(""), &out, &errb); code != exitUsage ||
		!strings.Contains(errb.String(), `server.trusted_proxies: "proxy.example.org"`) {
		t.Fatalf("a name in trusted_proxies: exit %d, %s", code, errb.String())
	}
}
