//go:build unix

package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLockDir: the data directory's lock is exclusive (a second taker gets
// a LockedError naming the holder's pid), holds the pid while taken, and is
// free again once released; the file stays.
func TestLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("LOCK holds %q (%v), want pid %d", b, err, os.Getpid())
	}
	_, err = LockDir(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second LockDir: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, LockFile)); err != nil || len(b) != 0 {
		t.Errorf("released LOCK holds %q (%v)", b, err)
	}
	l2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
}
