//go:build linux

package server

import "syscall"

// diskFree is the space an unprivileged process may still write on the
// filesystem holding path.
func diskFree(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil //nolint:gosec // G115: block counts fit in int64 for any real disk
}
