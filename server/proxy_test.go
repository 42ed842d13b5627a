package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// Issue #17, part 2: a classroom behind one address, and the clients of a
// trusted reverse proxy. Over real HTTP (httptest on 127.0.0.1); the
// proxies themselves (Caddy, nginx) are exercised in deploy/.

// addSpeakers creates n speakers named prefix-00… with testPassword.
func (e *env) addSpeakers(prefix string, n int) []string {
	e.t.Helper()
	hash, err := server.HashPassword(testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("%s-%02d", prefix, i)
		u := corpus.User{Username: names[i], Role: corpus.RoleSpeaker, ProjectID: e.project.ID, PasswordHash: hash}
		if err := e.db.CreateUser(context.Background(), &u); err != nil {
			e.t.Fatal(err)
		}
	}
	return names
}

// signInAs tries one sign-in; hdr are extra headers (a proxy's).
func (e *env) signInAs(user, password string, hdr ...string) response {
	return e.client().do("POST", "/api/v1/session", map[string]string{"username": user, "password": password}, hdr...)
}

// parallel runs f(i) for i in [0, n) at once and returns the statuses.
func parallel(n int, f func(i int) response) (codes []int, tally map[int]int) {
	codes = make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = f(i).status
		}()
	}
	wg.Wait()
	tally = map[int]int{}
	for _, c := range codes {
		tally[c]++
	}
	return codes, tally
}

// TestSignInClassroomOneAddress: 60 students behind one address (a campus
// NAT; here all of them on 127.0.0.1) sign in at the bell, with the
// default limit of 10 failures a minute per address, after 10 of them
// mistyped their password once: every right password gets in.
func TestSignInClassroomOneAddress(t *testing.T) {
	e := newEnv(t, server.Options{}) // default limits
	names := e.addSpeakers("student", 60)
	start := time.Now()
	_, typos := parallel(10, func(i int) response { return e.signInAs(names[i], "wrong password") })
	_, tally := parallel(len(names), func(i int) response { return e.signInAs(names[i], testPassword) })
	took := time.Since(start)
	t.Logf("classroom behind one address: 10 typos %v, then 60 sign-ins %v, in %v", typos, tally, took.Round(time.Millisecond))
	if typos[401] != 10 {
		t.Errorf("typos: %v, want 10 × 401", typos)
	}
	if tally[200] != 60 {
		t.Errorf("sign-ins: %v, want 60 × 200", tally)
	}
	if took > time.Minute {
		t.Errorf("took %v, more than the minute the limit is about", took)
	}
}

// TestSignInGuesserManyAccounts: one address guessing over many accounts
// gets the burst (20 failures) and then 429, for every account, even a
// right password; another address is not affected.
func TestSignInGuesserManyAccounts(t *testing.T) {
	e := newEnv(t, server.Options{TrustedProxies: []string{"127.0.0.1/32"}})
	e.addSpeakers("victim", 30)
	guesser := []string{"X-Forwarded-For", "203.0.113.66"}
	start := time.Now()
	var codes []int
	for i := range 30 {
		codes = append(codes, e.signInAs(fmt.Sprintf("victim-%02d", i), "guess "+fmt.Sprint(i), guesser...).status)
	}
	// 10 a minute refill while it runs.
	allowed := 20 + int(time.Since(start).Seconds()/6)
	n401 := strings.Count(fmt.Sprint(codes), "401")
	if n401 < 20 || n401 > allowed || codes[len(codes)-1] != 429 {
		t.Fatalf("guesses: %v (%d × 401, allowed %d)", codes, n401, allowed)
	}
	r := e.signInAs("ah-bin", testPassword, guesser...)
	if r.status != 429 || r.header.Get("Retry-After") == "" || r.errCode() != "rate_limited" {
		t.Fatalf("right password from the guessing address: %d %v %s", r.status, r.header, r.body)
	}
	if r := e.signInAs("ah-bin", testPassword, "X-Forwarded-For", "198.51.100.20"); r.status != 200 {
		t.Fatalf("another address: %d %s", r.status, r.body)
	}
	t.Logf("one address over 30 accounts: %d × 401 then 429", n401)
}

// TestSignInOneAccountManyAddresses: 20 guesses at one account at once,
// each from its own address (a botnet, through the trusted proxy): 5 are
// checked, the rest wait, and so does the right password.
func TestSignInOneAccountManyAddresses(t *testing.T) {
	e := newEnv(t, server.Options{TrustedProxies: []string{"127.0.0.1/32"}})
	start := time.Now()
	codes, tally := parallel(20, func(i int) response {
		return e.signInAs("ah-bin", fmt.Sprintf("guess %d", i), "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
	})
	// 5 free failures, then one after each wait (1 s, 2 s, …).
	allowed := 5 + waitsWithin(time.Since(start))
	if tally[401] < 5 || tally[401] > allowed || tally[401]+tally[429] != 20 {
		t.Fatalf("guesses: %v (allowed %d × 401)", codes, allowed)
	}
	r := e.signInAs("ah-bin", testPassword, "X-Forwarded-For", "192.0.2.200")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("right password during the account's wait: %d %v", r.status, r.header)
	}
	t.Logf("one account from 20 addresses at once: %v", tally)
}

// waitsWithin is how many per-account waits (1 s, 2 s, 4 s, …) end
// within d: the extra attempts a guesser may have made.
func waitsWithin(d time.Duration) int {
	n := 0
	for w := time.Second; d >= w; w *= 2 {
		d -= w
		n++
	}
	return n
}

// TestSpoofedForwardingIgnored is S-15 with proxies in the picture: with
// no trusted proxy, X-Forwarded-For, Forwarded and X-Forwarded-Proto
// change nothing: rotating them does not reset the address's limit, the
// log shows the socket's address, and the cookie is not made Secure.
func TestSpoofedForwardingIgnored(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 2, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	// A right password first: the address is limited after the loop.
	r := e.client().do("POST", "/api/v1/session", map[string]string{"username": "siu-ing", "password": testPassword},
		"X-Forwarded-Proto", "https", "X-Forwarded-For", "10.9.9.9")
	ck := r.header.Get("Set-Cookie")
	if r.status != 200 || !strings.HasPrefix(ck, "sid=") || strings.Contains(ck, "Secure") || r.header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("spoofed X-Forwarded-Proto: %d cookie %q HSTS %q", r.status, ck, r.header.Get("Strict-Transport-Security"))
	}
	var codes []int
	for i := range 6 {
		codes = append(codes, e.signInAs(fmt.Sprintf("ghost-%d", i), "y",
			"X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i), "Forwarded", fmt.Sprintf("for=10.1.0.%d;proto=https", i),
			"X-Forwarded-Proto", "https").status)
	}
	if codes[3] != 401 || codes[4] != 429 {
		t.Fatalf("per-address limit (burst 4) with rotating forwarding headers: %v", codes)
	}
	failed, refused := logLines(logs.String(), "sign-in failed"), logLines(logs.String(), "sign-in refused")
	if len(failed) != 4 || len(refused) != 2 {
		t.Fatalf("%d failed and %d refused lines, want 4 and 2:\n%s", len(failed), len(refused), logs.String())
	}
	for _, l := range append(failed, refused...) {
		if l["ip"] != "127.0.0.1" {
			t.Errorf("logged ip %v, want the socket's 127.0.0.1", l["ip"])
		}
	}
	if refused[0]["limit"] != "address" {
		t.Errorf("refusal names limit %v, want address", refused[0]["limit"])
	}
}

// TestTrustedProxyClient: behind a trusted proxy, the client's address
// comes from X-Forwarded-For (logs, limits) and HTTPS from
// X-Forwarded-Proto (the __Host- Secure cookie, HSTS).
func TestTrustedProxyClient(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, server.Options{TrustedProxies: []string{"127.0.0.1"}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	c := e.client()
	r := c.do("POST", "/api/v1/session", map[string]string{"username": "ah-bin", "password": testPassword},
		"X-Forwarded-For", "6.6.6.6, 203.0.113.7", "X-Forwarded-Proto", "https")
	ck := r.header.Get("Set-Cookie")
	if r.status != 200 || !strings.HasPrefix(ck, "__Host-sid=") || !strings.Contains(ck, "; Secure") {
		t.Fatalf("sign-in through the proxy: %d cookie %q", r.status, ck)
	}
	if !strings.HasPrefix(r.header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS behind an HTTPS proxy: %v", r.header)
	}
	signed := logLines(logs.String(), "signed in")
	if len(signed) != 1 || signed[0]["ip"] != "203.0.113.7" {
		t.Errorf("signed-in log: %v", signed)
	}
	found := false
	for _, l := range logLines(logs.String(), "request") {
		if l["route"] == "/api/v1/session" {
			found = true
			if l["ip"] != "203.0.113.7" || l["via"] != "127.0.0.1" || l["https"] != true {
				t.Errorf("request log: %v", l)
			}
		}
	}
	if !found {
		t.Error("no request log line")
	}
	// Plain HTTP at the proxy: no Secure cookie, no HSTS.
	r = e.client().do("POST", "/api/v1/session", map[string]string{"username": "siu-ing", "password": testPassword},
		"X-Forwarded-For", "203.0.113.8", "X-Forwarded-Proto", "http")
	if ck := r.header.Get("Set-Cookie"); r.status != 200 || !strings.HasPrefix(ck, "sid=") || r.header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("plain HTTP proxy: %d %q", r.status, ck)
	}
}

// logLines returns the JSON log records with the given msg.
func logLines(s, msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(s, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}
