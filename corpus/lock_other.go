//go:build !unix

package corpus

// DirLock is an exclusive lock on a data directory. Without flock (not
// unix) it is not taken: one server per data directory is then the
// operator's to ensure.
type DirLock struct{}

// LockDir does nothing where flock does not exist.
func LockDir(string) (*DirLock, error) { return &DirLock{}, nil }

// Release does nothing.
func (*DirLock) Release() error { return nil }
