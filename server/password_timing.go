package server

import "strings"

// checkPasswordTimed is CheckPassword at the cost of one hash even when the
// stored value is not a hash at all: an account without a usable password
// (the admin that `dialect serve` creates with "!" until the one-time link
// is used) must answer as slowly as a wrong password or an unknown
// username, or its answer time gives it away (S-14). CheckPassword itself
// returns at once on such a value.
func checkPasswordTimed(phc, pw string) bool {
	if !strings.HasPrefix(phc, "$argon2id$") {
		CheckPassword(dummyHash(), pw)
		return false
	}
	return CheckPassword(phc, pw)
}
