//go:build !failpoints

package corpus

// failpoint marks a crash point of CommitClip (reliability.md F-04). In a
// normal build it does nothing and compiles away; build with -tags
// failpoints and set DIALECT_FAILPOINT to die there (failpoint_on.go).
func failpoint(string) {}
