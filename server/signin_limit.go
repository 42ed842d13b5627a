package server

import (
	"math"
	"strings"
	"sync"
	"time"
)

// Sign-in limits that fit a classroom (issue #17). Only FAILED sign-ins
// are limited, two ways (reliability.md S-14, C5):
//
//   - per address (an IPv4 address or an IPv6 /64, after trusted proxies):
//     limits.login_per_ip_per_minute failures a minute (default 10) with a
//     burst of twice that, a token bucket. Sixty students behind one
//     campus NAT or proxy signing in correctly all get in; a guesser who
//     spreads guesses over many accounts from one address gets 20 at once
//     and then 10 a minute, as before.
//   - per account (the username, case-folded, known or not): after 5
//     failures, a wait of 1 s doubling with each further failure up to 15
//     minutes; a success clears it. A guesser who spreads guesses for one
//     account over many addresses gets 5, then one per wait, as before.
//
// An attempt is charged as a failure before its password is checked, while
// it holds one of the GOMAXPROCS argon2 slots, and refunded when the
// password is right. So parallel guesses cannot slip past the limits in
// the window between check and verdict (at most GOMAXPROCS attempts are in
// that window, and each is already counted), while a right password costs
// nothing: the classroom's successes never use up its budget.
//
// State is in memory, per process. Memory is bounded: above 100,000
// addresses or accounts, entries that no longer restrict anyone are
// dropped first.

const (
	accountFreeFailures = 5
	accountMaxWait      = 15 * time.Minute
	// accountForget is how long an account's failures are remembered
	// after the last one.
	accountForget = 24 * time.Hour
	limitEntries  = 100_000
)

// signInLimits holds the failure counts.
type signInLimits struct {
	mu       sync.Mutex
	now      func() time.Time
	rate     float64 // failures per second per address
	burst    float64
	addrs    map[string]*bucket
	accounts map[string]*failures
}

// bucket is a token bucket of failures an address may still make.
type bucket struct {
	tokens float64
	at     time.Time
}

// failures is one account's recent failed sign-ins.
type failures struct {
	count int
	last  time.Time
	until time.Time // no attempt before this
}

func newSignInLimits(perMinute int, now func() time.Time) *signInLimits {
	return &signInLimits{now: now, rate: float64(perMinute) / 60, burst: float64(2 * perMinute),
		addrs: map[string]*bucket{}, accounts: map[string]*failures{}}
}

// refill brings b up to now.
func (l *signInLimits) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.tokens = math.Min(l.burst, b.tokens+d*l.rate)
		b.at = now
	}
}

// refusal is why an attempt may not go on, and for how long.
type refusal struct {
	wait time.Duration
	why  string // "address" or "account"
}

// check reports whether addr and account may try now, without charging.
func (l *signInLimits) check(addr, account string) refusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.checkLocked(l.now(), addr, strings.ToLower(account))
}

func (l *signInLimits) checkLocked(now time.Time, addr, account string) refusal {
	var r refusal
	if f := l.accounts[account]; f != nil && f.until.After(now) {
		r = refusal{wait: f.until.Sub(now), why: "account"}
	}
	if b := l.addrs[addr]; b != nil {
		l.refill(b, now)
		if b.tokens < 1 {
			if w := time.Duration((1 - b.tokens) / l.rate * float64(time.Second)); w > r.wait {
				r = refusal{wait: w, why: "address"}
			}
		}
	}
	return r
}

// begin checks the limits and, when the attempt may go on, charges it to
// addr and account as a failure; succeeded refunds it. The caller holds a
// hash slot (see above).
func (l *signInLimits) begin(addr, account string) refusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	account = strings.ToLower(account)
	if r := l.checkLocked(now, addr, account); r.wait > 0 {
		return r
	}
	b := l.addrs[addr]
	if b == nil {
		l.sweep(now)
		b = &bucket{tokens: l.burst, at: now}
		l.addrs[addr] = b
	}
	b.tokens--
	f := l.accounts[account]
	if f != nil && now.Sub(f.last) > accountForget {
		f.count = 0
	}
	if f == nil {
		l.sweep(now)
		f = &failures{}
		l.accounts[account] = f
	}
	f.count++
	f.last = now
	if f.count >= accountFreeFailures {
		f.until = now.Add(min(time.Second<<min(f.count-accountFreeFailures, 20), accountMaxWait))
	}
	return refusal{}
}

// succeeded refunds what begin charged, and forgets the account's failures.
func (l *signInLimits) succeeded(addr, account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.addrs[addr]; b != nil {
		l.refill(b, l.now())
		b.tokens = math.Min(l.burst, b.tokens+1)
	}
	delete(l.accounts, strings.ToLower(account))
}

// sweep bounds memory: above limitEntries entries, those that restrict
// nobody any more go (full buckets; accounts not waiting whose last
// failure is old), then accounts not yet waiting (they lose at most their
// 4 free failures), then, if a spray still fills the map, everything.
func (l *signInLimits) sweep(now time.Time) {
	if len(l.addrs) >= limitEntries {
		for k, b := range l.addrs {
			if l.refill(b, now); b.tokens >= l.burst {
				delete(l.addrs, k)
			}
		}
		if len(l.addrs) >= limitEntries {
			l.addrs = map[string]*bucket{}
		}
	}
	if len(l.accounts) >= limitEntries {
		for k, f := range l.accounts {
			if !f.until.After(now) && now.Sub(f.last) > time.Hour {
				delete(l.accounts, k)
			}
		}
		for k, f := range l.accounts {
			if len(l.accounts) < limitEntries/2 {
				break
			}
			if !f.until.After(now) {
				delete(l.accounts, k)
			}
		}
		if len(l.accounts) >= limitEntries {
			l.accounts = map[string]*failures{}
		}
	}
}
