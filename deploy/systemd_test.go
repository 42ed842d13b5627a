package deploy_test

// deploy/dialect.service, dialect-backup.service and dialect-backup.timer
// pass `systemd-analyze verify` (Debian's systemd package), in a root that
// holds the freshly built dialect at the path the units name and the
// host's own unit library; their hardening settings are the ones the
// README promises; and the command lines they run are ones dialect
// accepts.

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var systemdUnits = []string{"dialect.service", "dialect-backup.service", "dialect-backup.timer"}

var systemdOnce = sync.OnceValues(func() (string, error) {
	if p, err := exec.LookPath("systemd-analyze"); err == nil {
		return p, nil
	}
	var log bytes.Buffer
	install := func() {
		cmd := exec.CommandContext(context.Background(), "apt-get", "install", "-y", "systemd")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = &log, &log
		_ = cmd.Run()
	}
	install()
	if p, err := exec.LookPath("systemd-analyze"); err == nil {
		return p, nil
	}
	// A fresh machine finds nothing until the package lists are read.
	cmd := exec.CommandContext(context.Background(), "apt-get", "update")
	cmd.Stdout, cmd.Stderr = &log, &log
	_ = cmd.Run()
	install()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		return "", fmt.Errorf("systemd-analyze is needed (apt-get install -y systemd failed):\n%s", log.String())
	}
	return p, nil
})

// needSystemdAnalyze installs systemd when missing. Without it the test is
// skipped, loudly, except under CI=true, where it fails.
func needSystemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := systemdOnce()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "deploy: SKIPPING the systemd unit test: %v\n", err)
		t.Skip(err)
	}
	return p
}

// TestSystemdUnitsVerify runs systemd-analyze verify on the three units.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := needSystemdAnalyze(t)
	bin := dialectBinary(t)
	root := t.TempDir()
	// The host's unit library (sysinit.target, timers.target…).
	lib := ""
	for _, d := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			lib = d
			break
		}
	}
	if lib == "" {
		t.Fatal("no systemd unit library on this machine")
	}
	copyTree(t, lib, filepath.Join(root, "usr/lib/systemd/system"))
	copyFile(t, bin, filepath.Join(root, "usr/local/bin/dialect"), 0o755)
	etc := filepath.Join(root, "etc/systemd/system")
	for _, u := range systemdUnits {
		copyFile(t, u, filepath.Join(etc, u), 0o644)
	}
	args := append([]string{"verify", "--root=" + root}, systemdUnits...)
	out, err := exec.CommandContext(t.Context(), analyze, args...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("systemd-analyze %s: %v\n%s", strings.Join(args, " "), err, out)
	}

	// A unit that is wrong must fail the same check: the check checks.
	bad := filepath.Join(etc, "broken.service")
	if err := os.WriteFile(bad, []byte("[Service]\nExecStart=/usr/local/bin/dialect-nonexistent serve\nRestart=sometimes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), analyze, "verify", "--root="+root, "broken.service").CombinedOutput(); err == nil {
		t.Errorf("systemd-analyze verify passed a broken unit:\n%s", out)
	}
}

// TestSystemdUnitsSettings: what the README promises is in the files, and
// the command lines they run are accepted by dialect.
func TestSystemdUnitsSettings(t *testing.T) {
	unit := func(name string) map[string][]string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		kv := map[string][]string{}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				kv[k] = append(kv[k], v)
			}
		}
		return kv
	}
	srv, bak, tim := unit("dialect.service"), unit("dialect-backup.service"), unit("dialect-backup.timer")
	for k, want := range map[string]string{"User": "dialect", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/dialect",
		"NoNewPrivileges": "yes", "Restart": "on-failure", "StateDirectory": "dialect"} {
		if got := strings.Join(srv[k], " "); got != want {
			t.Errorf("dialect.service %s=%q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{"User": "dialect", "ProtectSystem": "strict", "NoNewPrivileges": "yes", "Type": "oneshot"} {
		if got := strings.Join(bak[k], " "); got != want {
			t.Errorf("dialect-backup.service %s=%q, want %q", k, got, want)
		}
	}
	if !strings.Contains(strings.Join(bak["ReadWritePaths"], " "), "/var/backups/dialect") {
		t.Errorf("dialect-backup.service cannot write its backup folder: %v", bak["ReadWritePaths"])
	}
	if tim["Unit"] == nil || tim["Unit"][0] != "dialect-backup.service" || tim["Persistent"] == nil || tim["OnCalendar"] == nil {
		t.Errorf("dialect-backup.timer: %v", tim)
	}
	// The ExecStart lines, with --help: dialect knows every flag they use.
	bin := dialectBinary(t)
	for name, exec1 := range map[string]string{"dialect.service": srv["ExecStart"][0], "dialect-backup.service": bak["ExecStart"][0]} {
		fields := strings.Fields(exec1)
		if fields[0] != "/usr/local/bin/dialect" {
			t.Errorf("%s runs %s", name, fields[0])
		}
		cmd := exec.CommandContext(t.Context(), bin, append(fields[1:], "--help")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: dialect %s --help: %v\n%s", name, strings.Join(fields[1:], " "), err, out)
		}
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the regular files and symlinks under from.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
