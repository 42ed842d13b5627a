package corpus

import (
	"fmt"
	"strconv"
	"strings"
)

// LockFile is the file in the data directory that `dialect serve` holds an
// exclusive lock on while it runs; it holds the server's process id.
const LockFile = "LOCK"

// LockedError is LockDir's answer when another process holds the lock.
type LockedError struct {
	// Dir is the data directory, PID the holder's process id (0: unknown).
	Dir string
	PID int
}

func (e *LockedError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("data directory %s is in use by another dialect serve (%s)", e.Dir, pid)
}

// parsePID reads the process id a lock file holds (0 when it holds none).
func parsePID(b []byte) int {
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
