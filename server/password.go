package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters of OWASP's minimum (reliability.md C5): 19 MiB, two
// passes, one lane. Each hash holds 19 MiB, so at most GOMAXPROCS run at
// once (S-25).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

var hashSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// takeHashSlot waits for one of the GOMAXPROCS hash slots; the caller
// calls release once its hashing is done.
func takeHashSlot() (release func()) {
	hashSlots <- struct{}{}
	return func() { <-hashSlots }
}

// HashPassword returns the PHC string of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	<-hashSlots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the PHC string, in constant time.
func CheckPassword(phc, pw string) bool {
	defer takeHashSlot()()
	return checkPasswordHeld(phc, pw)
}

// checkPasswordHeld is CheckPassword for a caller that holds a hash slot
// (signIn checks its limits under the same slot).
func checkPasswordHeld(phc, pw string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 256*1024 || t > 10 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want))) //nolint:gosec // G115: 1 ≤ len(want) ≤ 64, checked above
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against for unknown usernames, so that a wrong
// username costs the same time as a wrong password (S-14). It is made on
// first use: at package init it cost every `dialect check` 19 MiB and 50 ms.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("dummy password for timing")
	return h
})

// ErrWeakPassword explains why a password is refused.
var ErrWeakPassword = errors.New("weak password")

// CheckPasswordPolicy applies ASVS: 8 to 256 characters, no composition
// rules, not one of the most common passwords, not the username.
func CheckPasswordPolicy(username, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < 8:
		return fmt.Errorf("%w: at least 8 characters", ErrWeakPassword)
	case n > 256:
		return fmt.Errorf("%w: at most 256 characters", ErrWeakPassword)
	case strings.EqualFold(pw, username):
		return fmt.Errorf("%w: the same as the username", ErrWeakPassword)
	case commonPasswords[strings.ToLower(pw)]:
		return fmt.Errorf("%w: one of the most common passwords", ErrWeakPassword)
	}
	return nil
}

// commonPasswords holds the most common leaked passwords of 8 characters or
// more (the shorter ones fail on length anyway).
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Fields(`12345678 123456789 1234567890 password password1 password123
		qwertyui qwerty123 qwertyuiop 11111111 00000000 88888888 12341234 87654321 iloveyou
		1q2w3e4r 1qaz2wsx zaq12wsx abcd1234 abc12345 aa123456 a1234567 sunshine princess
		football baseball welcome1 superman trustno1 starwars whatever dragon12 monkey12
		letmein1 passw0rd p@ssw0rd admin123 administrator changeme asdfghjk asdf1234 zxcvbnm1
		computer internet michelle jennifer 123123123 147258369 987654321 1qazxsw2 q1w2e3r4
		taiwan123 taipei101 woaini520 5201314520 a123456789 qq123456 11223344 12344321 66666666
		99999999 12121212 123qweasd qweasdzxc 1234qwer password12 welcome123 test1234 dialect123`) {
		m[p] = true
	}
	return m
}()
