package server

import (
	"crypto/tls"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClientOf is the table of issue #17: the client's address and scheme
// come from a trusted proxy's headers (rightmost untrusted hop), and from
// nobody else's.
func TestClientOf(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted []string
		peer    string
		tls     bool
		hdr     []string // name, value, ...
		ip      string
		https   bool
		proxied bool
	}{
		{name: "direct", peer: "198.51.100.7:5000", ip: "198.51.100.7"},
		{name: "direct TLS", peer: "198.51.100.7:5000", tls: true, ip: "198.51.100.7", https: true},
		{name: "spoofed XFF, no proxy trusted", peer: "198.51.100.7:5000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https", "Forwarded", "for=203.0.113.9;proto=https"},
			ip:  "198.51.100.7"},
		{name: "spoofed XFF from an untrusted peer", trusted: []string{"10.0.0.0/8"}, peer: "198.51.100.7:5000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https"}, ip: "198.51.100.7"},
		{name: "trusted proxy", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https"}, ip: "203.0.113.9", https: true, proxied: true},
		{name: "trusted proxy, single address", trusted: []string{"127.0.0.1"}, peer: "127.0.0.1:40000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "http"}, ip: "203.0.113.9", proxied: true},
		{name: "client-written hops left of the real one prove nothing", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "1.1.1.1, 2.2.2.2, 203.0.113.9"}, ip: "203.0.113.9", proxied: true},
		{name: "chain of trusted proxies", trusted: []string{"10.0.0.0/8", "192.0.2.0/24"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.9, 192.0.2.50"}, ip: "203.0.113.9", proxied: true},
		{name: "XFF over two header lines", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "203.0.113.9:5555"}, ip: "203.0.113.9", proxied: true},
		{name: "every hop trusted: the leftmost", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "10.9.9.9, 10.8.8.8"}, ip: "10.9.9.9", proxied: true},
		{name: "garbage hop ends the walk", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9, unknown, 10.8.8.8"}, ip: "10.8.8.8", proxied: true},
		{name: "proxy without headers (its own health check)", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			ip: "10.1.2.3", proxied: true},
		{name: "IPv6 client through an IPv4-mapped peer", trusted: []string{"10.0.0.0/8"}, peer: "[::ffff:10.1.2.3]:40000",
			hdr: []string{"X-Forwarded-For", "2001:db8::7", "X-Forwarded-Proto", "HTTPS"}, ip: "2001:db8::7", https: true, proxied: true},
		{name: "Forwarded (RFC 7239)", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"Forwarded", `for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711";proto=https`},
			ip:  "2001:db8:cafe::17", https: true, proxied: true},
		{name: "Forwarded, quoted, mixed case", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"Forwarded", `For="198.51.100.17:80";Proto=HTTPS`}, ip: "198.51.100.17", https: true, proxied: true},
		{name: "X-Forwarded-For wins over Forwarded", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"Forwarded", "for=1.1.1.1", "X-Forwarded-For", "203.0.113.9"}, ip: "203.0.113.9", proxied: true},
		{name: "proto per hop", trusted: []string{"10.0.0.0/8", "192.0.2.0/24"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9, 192.0.2.50", "X-Forwarded-Proto", "https, http"}, ip: "203.0.113.9", https: true, proxied: true},
		{name: "proto: the rightmost when counts differ", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000",
			hdr: []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "http, https"}, ip: "203.0.113.9", https: true, proxied: true},
		{name: "proxy says http over our TLS", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000", tls: true,
			hdr: []string{"X-Forwarded-Proto", "http"}, ip: "10.1.2.3", proxied: true},
		{name: "unknown proto: the socket's", trusted: []string{"10.0.0.0/8"}, peer: "10.1.2.3:40000", tls: true,
			hdr: []string{"X-Forwarded-Proto", "gopher"}, ip: "10.1.2.3", https: true, proxied: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proxies, err := ParseTrustedProxies(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			s := &Server{proxies: proxies}
			r, _ := http.NewRequestWithContext(t.Context(), "GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				r.Header.Add(tt.hdr[i], tt.hdr[i+1])
			}
			ci := s.clientOf(r)
			if ci.IP.String() != tt.ip || ci.HTTPS != tt.https || ci.Proxied != tt.proxied {
				t.Errorf("got ip %s https %v proxied %v, want %s %v %v", ci.IP, ci.HTTPS, ci.Proxied, tt.ip, tt.https, tt.proxied)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies([]string{" 127.0.0.1 ", "10.1.2.3/8", "", "::1", "2001:db8::/32", "::ffff:192.168.0.0/112"})
	if err != nil {
		t.Fatal(err)
	}
	want := "[127.0.0.1/32 10.0.0.0/8 ::1/128 2001:db8::/32 192.168.0.0/16]"
	if fmtPrefixes(got) != want {
		t.Errorf("got %s, want %s", fmtPrefixes(got), want)
	}
	for _, bad := range []string{"bogus", "10.0.0.0/33", "fe80::1%eth0", "10.0.0.0/", "::ffff:0:0/64"} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func fmtPrefixes[T interface{ String() string }](ps []T) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return "[" + strings.Join(out, " ") + "]"
}

func TestLimitKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:1":                "192.0.2.1",
		"[::ffff:192.0.2.1]:1":       "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:1":   "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::9]:443": "2001:db8:1:2::/64",
	} {
		a, _ := parseHop(in)
		if got := limitKey(a); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time             { return c.t }
func (c *fakeClock) add(d time.Duration)        { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock                  { return &fakeClock{t: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)} }
func tryOnce(l *signInLimits, a, u string) bool { return l.begin(a, u).wait == 0 }

// TestSignInLimitsAddress: failures per address are a bucket of 20 that
// refills at 10 a minute; successes are refunded, so they never run it
// down.
func TestSignInLimitsAddress(t *testing.T) {
	clk := newFakeClock()
	l := newSignInLimits(10, clk.now)
	// 200 right passwords in a row from one address: never limited.
	for i := range 200 {
		if !tryOnce(l, "192.0.2.1", "student") {
			t.Fatalf("success %d refused", i)
		}
		l.succeeded("192.0.2.1", "student")
	}
	// A guesser over many accounts: 20, then one every 6 s.
	n := 0
	for i := range 100 {
		if tryOnce(l, "192.0.2.1", "acct-"+itoa(i)) {
			n++
		}
	}
	if n != 20 {
		t.Fatalf("%d guesses passed, want the burst of 20", n)
	}
	r := l.check("192.0.2.1", "someone-else")
	if r.why != "address" || r.wait <= 0 || r.wait > 6*time.Second {
		t.Fatalf("refusal %+v", r)
	}
	clk.add(time.Minute)
	n = 0
	for i := range 100 {
		if tryOnce(l, "192.0.2.1", "more-"+itoa(i)) {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("after a minute %d guesses passed, want 10", n)
	}
	// Another address is not affected.
	if !tryOnce(l, "192.0.2.2", "acct-1") {
		t.Fatal("another address limited")
	}
}

// TestSignInLimitsAccount: 5 failures, then 1 s doubling up to 15 min,
// whatever the address; a success clears it.
func TestSignInLimitsAccount(t *testing.T) {
	clk := newFakeClock()
	l := newSignInLimits(10, clk.now)
	for i := range 5 {
		if !tryOnce(l, "198.51.100."+itoa(i), "Ah-Bin") {
			t.Fatalf("failure %d refused", i+1)
		}
	}
	if r := l.check("198.51.100.99", "ah-bin"); r.why != "account" || r.wait != time.Second {
		t.Fatalf("after 5: %+v", r)
	}
	var waits []time.Duration
	for i := range 14 {
		r := l.check("198.51.100.99", "AH-BIN")
		waits = append(waits, r.wait)
		clk.add(r.wait)
		if !tryOnce(l, "203.0.113."+itoa(i), "ah-bin") {
			t.Fatalf("attempt after the wait refused")
		}
	}
	if waits[1] != 2*time.Second || waits[5] != 32*time.Second || waits[13] != 15*time.Minute {
		t.Fatalf("waits %v", waits)
	}
	// Success clears the account.
	clk.add(15 * time.Minute)
	if !tryOnce(l, "203.0.113.1", "ah-bin") {
		t.Fatal("refused after the wait")
	}
	l.succeeded("203.0.113.1", "ah-bin")
	if r := l.check("203.0.113.1", "ah-bin"); r.wait != 0 {
		t.Fatalf("after success: %+v", r)
	}
	// Failures are forgotten a day after the last one.
	for range 4 {
		tryOnce(l, "203.0.113.1", "siu-ing")
	}
	clk.add(25 * time.Hour)
	for i := range 4 {
		if !tryOnce(l, "203.0.113.1", "siu-ing") {
			t.Fatalf("failure %d after a day refused", i)
		}
	}
	if r := l.check("203.0.113.2", "siu-ing"); r.wait != 0 {
		t.Fatalf("4 failures a day after 4 others locked the account: %+v", r)
	}
}

// TestSignInLimitsMemory: a spray of addresses and usernames keeps the
// maps bounded and never frees an account that is waiting.
func TestSignInLimitsMemory(t *testing.T) {
	clk := newFakeClock()
	l := newSignInLimits(10, clk.now)
	for range 5 {
		tryOnce(l, "192.0.2.1", "victim")
	}
	for i := range 2 * limitEntries {
		tryOnce(l, "10."+itoa(i>>16)+"."+itoa(i>>8&255)+"."+itoa(i&255), "ghost-"+itoa(i))
	}
	if len(l.addrs) > limitEntries || len(l.accounts) > limitEntries {
		t.Fatalf("%d addresses, %d accounts", len(l.addrs), len(l.accounts))
	}
	if r := l.check("192.0.2.9", "victim"); r.why != "account" {
		t.Fatalf("the waiting account was dropped: %+v", r)
	}
}

// TestClientSourceOfTruth keeps clientOf (proxy.go) the one place that
// reads the socket's address or TLS state: no other file of the package
// may touch RemoteAddr, TLS, gin's ClientIP or RemoteIP.
func TestClientSourceOfTruth(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "proxy.go" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				switch sel.Sel.Name {
				case "RemoteAddr", "TLS", "ClientIP", "RemoteIP":
					t.Errorf("%s: .%s: ask clientOf / clientFrom / clientIP / secure (proxy.go) instead", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
}
