//go:build unix

package server_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, user and system: the
// benchmarks' cost per operation, which other work on a shared machine
// slows down far less than it does the wall clock.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
