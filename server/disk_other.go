//go:build !linux

package server

import "errors"

// diskFree is not measured here: the check is off (Options.Disks empty
// is the portable configuration).
func diskFree(string) (int64, error) {
	return 0, errors.New("free disk space is measured on Linux only")
}
