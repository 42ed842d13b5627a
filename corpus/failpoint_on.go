//go:build failpoints

package corpus

import "os"

// failpointEnv names the crash point a failpoints build dies at
// (reliability.md F-04): the process exits with status 137, as after
// kill -9, without running deferred functions or closing anything.
const failpointEnv = "DIALECT_FAILPOINT"

var failpointName = os.Getenv(failpointEnv)

// failpoint exits the process at once when DIALECT_FAILPOINT is name.
func failpoint(name string) {
	if failpointName == name {
		os.Exit(137)
	}
}
