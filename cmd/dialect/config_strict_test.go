package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestConfigNearestKey: the misspellings of issue #18 are answered with
// the key that was meant.
func TestConfigNearestKey(t *testing.T) {
	keys := configKeys()
	for in, want := range map[string]string{
		"server.secure_cookie":          "server.secure_cookies",
		"server.tls_cert":               "server.tls.cert_file",
		"tls_cert":                      "server.tls.cert_file",
		"limits.login_per_ip_per_minit": "limits.login_per_ip_per_minute",
		"login_per_ip_per_minit":        "limits.login_per_ip_per_minute",
		"datadir":                       "data_dir",
	} {
		if got := nearest(in, keys); got != want {
			t.Errorf("nearest(%q) = %q, want %q", in, got, want)
		}
	}
	envs := make([]string, len(keys))
	for i, k := range keys {
		envs[i] = envName(k)
	}
	if got := nearest("DIALECT_SERVER_ADR", envs); got != "DIALECT_SERVER_ADDR" {
		t.Errorf("nearest(DIALECT_SERVER_ADR) = %q", got)
	}
}

// TestConfigUnknownFileKeyExits2 runs the real binary: a misspelt key in the
// file stops serve with exit 2, naming the key and the nearest known one,
// before anything listens.
func TestConfigUnknownFileKeyExits2(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ yaml, key, near string }{
		{"server:\n  secure_cookie: true\n", "server.secure_cookie", "server.secure_cookies"},
		{"server:\n  tls_cert: /etc/cert.pem\n", "server.tls_cert", "server.tls.cert_file"},
		{"limits:\n  login_per_ip_per_minit: 5\n", "limits.login_per_ip_per_minit", "limits.login_per_ip_per_minute"},
		{"data_dir: x\nserver:\n  tls:\n    acme_domain: [a.example]\n", "server.tls.acme_domain", "server.tls.acme_domains"},
	} {
		file := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(file, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runDialect(t, filepath.Join(dir, "data"), "serve", "--config", file)
		if code != exitUsage || strings.Contains(stdout, "serving") {
			t.Errorf("%s: exit %d, want 2 without serving\nstdout: %s\nstderr: %s", tc.key, code, stdout, stderr)
		}
		if !strings.Contains(stderr, `"`+tc.key+`"`) || !strings.Contains(stderr, "nearest known: "+tc.near) {
			t.Errorf("%s: stderr does not name the key and %s:\n%s", tc.key, tc.near, stderr)
		}
	}
}

// TestConfigUnknownEnvExits2: an unknown DIALECT_* variable exits 2 for
// every command that reads the configuration, naming the nearest variable.
func TestConfigUnknownEnvExits2(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"serve"}, {"config"}, {"project", "list"}} {
		p := startDialect(t, dir, []string{"DIALECT_SERVER_SECURE_COOKIE=true"}, args...)
		code, _ := p.wait(60e9)
		if code != exitUsage || !strings.Contains(p.err.String(), "DIALECT_SERVER_SECURE_COOKIE") ||
			!strings.Contains(p.err.String(), "nearest known: DIALECT_SERVER_SECURE_COOKIES") {
			t.Errorf("%v: exit %d, want 2 naming the variable and its nearest\nstderr: %s", args, code, p.err)
		}
	}
	// Variables of tests and the failpoints build are not configuration.
	p := startDialect(t, dir, []string{"DIALECT_FAILPOINT=", "DIALECT_BENCH_ROUNDS=1"}, "config")
	if code, _ := p.wait(60e9); code != 0 {
		t.Errorf("config with DIALECT_FAILPOINT: exit %d\nstderr: %s", code, p.err)
	}
}

// TestConfigExampleLoads: config.example.yaml holds only known keys (and
// the values it documents are the defaults).
func TestConfigExampleLoads(t *testing.T) {
	example, err := filepath.Abs("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runDialect(t, t.TempDir(), "config", "--config", example)
	if code != 0 {
		t.Fatalf("config.example.yaml: exit %d\n%s", code, stderr)
	}
	// Each key the example sets is reported as coming from it.
	if !strings.Contains(stdout, "limits.uploads_per_speaker:") || !strings.Contains(stdout, "# file "+example) {
		t.Errorf("config output lacks the file's keys:\n%s", stdout)
	}
}

// TestConfigCommandSources: dialect config prints every key with its
// value and source, default < file < environment < flag, secrets masked.
func TestConfigCommandSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("limits:\n  uploads_per_speaker: 7\nserver:\n  addr: 127.0.0.1:7000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startDialect(t, filepath.Join(dir, "data"), []string{"DIALECT_CHECK_LOW_MAX_NOISE_DBFS=-50"}, "config", "--config", file, "--addr", "127.0.0.1:9999")
	code, _ := p.wait(60e9)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, p.err)
	}
	out := p.out.String()
	for _, re := range []string{
		`(?m)^limits\.uploads_per_speaker:\s+7\s+# file ` + regexp.QuoteMeta(file) + `$`,
		`(?m)^check\.low\.max_noise_dbfs:\s+-50\s+# environment DIALECT_CHECK_LOW_MAX_NOISE_DBFS$`,
		`(?m)^server\.addr:\s+"127\.0\.0\.1:9999"\s+# flag --addr$`,
		`(?m)^limits\.max_clip_bytes:\s+67108864\s+# default$`,
		`(?m)^data_dir:\s+".*data"\s+# environment DIALECT_DATA_DIR$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
	for _, k := range configKeys() {
		if !strings.Contains(out, "\n"+k+":") && !strings.HasPrefix(out, k+":") {
			t.Errorf("key %s missing from dialect config", k)
		}
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	if got := maskValue("storage.database", "postgres://dialect:hunter2@db/corpus"); got != "postgres://dialect:********@db/corpus" {
		t.Errorf("URL password not masked: %v", got)
	}
	if got := maskValue("smtp.password", "hunter2"); got != "********" {
		t.Errorf("password not masked: %v", got)
	}
	if got := maskValue("server.addr", "127.0.0.1:8080"); got != "127.0.0.1:8080" {
		t.Errorf("plain value changed: %v", got)
	}
}

// TestUnknownSubcommandExits2 runs the real binary: an unknown subcommand at
// any level exits 2 with a suggestion; a group alone prints its help.
func TestUnknownSubcommandExits2(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args    []string
		suggest string
	}{
		{[]string{"user", "ad"}, `did you mean "add"`},
		{[]string{"token", "craete"}, `did you mean "create"`},
		{[]string{"sevre"}, `did you mean "serve"`},
		{[]string{"project", "lst"}, `did you mean "list"`},
		{[]string{"release", "nonsense"}, `unknown command "nonsense" for "dialect release"`},
	} {
		code, stdout, stderr := runDialect(t, dir, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.suggest) {
			t.Errorf("%v: exit %d, want 2 and %s\nstdout: %s\nstderr: %s", tc.args, code, tc.suggest, stdout, stderr)
		}
	}
	if code, stdout, _ := runDialect(t, dir, "user"); code != 0 || !strings.Contains(stdout, "Available Commands") {
		t.Errorf("dialect user: exit %d, want 0 with help\n%s", code, stdout)
	}
}
