//go:build unix

package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// DirLock is an exclusive lock on a data directory (see LockDir).
type DirLock struct{ f *os.File }

// LockDir takes the exclusive lock of the data directory dir (created if
// missing): flock(LOCK_EX|LOCK_NB) on dir/LOCK, which then holds this
// process's id. It is what stops two `dialect serve` from running on one
// corpus: each would run its own reconciler, group commit and in-memory
// upload locks over the same files. The kernel drops the lock when the
// process ends, however it ends, so a crash leaves no stale lock; the file
// itself stays (removing it would let two processes lock two different
// files of the same name). When another process holds the lock the error is
// a *LockedError naming its pid.
func LockDir(dir string) (*DirLock, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("lock data directory: %w", mapErr(err))
	}
	path := filepath.Join(abs, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, filePerm) //nolint:gosec // G304: the data directory the operator configured
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", mapErr(err))
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close() // not ours: nothing written
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Dir: abs, PID: holderPID(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &DirLock{f: f}
	if err := l.writePID(os.Getpid()); err != nil {
		_ = l.Release()
		return nil, fmt.Errorf("lock %s: %w", path, mapErr(err))
	}
	return l, nil
}

// flock retries on EINTR.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func (l *DirLock) writePID(pid int) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	if pid > 0 {
		if _, err := l.f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0); err != nil {
			return err
		}
	}
	return l.f.Sync()
}

// holderPID reads the holder's pid, waiting a moment for a holder that has
// just taken the lock and not yet written it.
func holderPID(path string) int {
	for range 20 {
		b, err := os.ReadFile(path) //nolint:gosec // G304: the lock file LockDir names
		if err == nil {
			if pid := parsePID(b); pid > 0 {
				return pid
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

// Release empties the lock file and lets the lock go.
func (l *DirLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	werr := l.writePID(0)
	cerr := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return errors.Join(werr, cerr)
}
