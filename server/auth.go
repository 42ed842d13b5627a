package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/dialect-corpus/dialect/corpus"
)

// Session lifetimes (reliability.md C5, ASVS 7.1.1): speakers record in long
// evening sessions on their own phones; reviewers and admins hold powers
// worth a shorter leash.
func sessionLife(r corpus.Role) (idle, absolute time.Duration) {
	if r == corpus.RoleSpeaker {
		return 8 * time.Hour, 7 * 24 * time.Hour
	}
	return 30 * time.Minute, 12 * time.Hour
}

// authState holds the in-memory defences of sign-in: per-IP rate limits
// and per-account backoff.
type authState struct {
	mu       sync.Mutex
	perIP    map[string]*rate.Limiter
	failures map[string]*failure
	ipRate   rate.Limit
	ipBurst  int
	uploads  map[int64]int
	now      func() time.Time
}

type failure struct {
	count int
	until time.Time
}

func newAuthState(o Options) *authState {
	return &authState{perIP: map[string]*rate.Limiter{}, failures: map[string]*failure{}, uploads: map[int64]int{},
		ipRate: rate.Limit(float64(o.LoginPerIPPerMinute) / 60), ipBurst: 2 * o.LoginPerIPPerMinute, now: o.Now}
}

// allowIP spends one sign-in attempt of ip's budget.
func (a *authState) allowIP(ip string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.perIP[ip]
	if l == nil {
		if len(a.perIP) > 100_000 {
			a.perIP = map[string]*rate.Limiter{} // bounded memory under a spray
		}
		l = rate.NewLimiter(a.ipRate, a.ipBurst)
		a.perIP[ip] = l
	}
	return l.AllowN(a.now(), 1)
}

// lockedFor is how long the account must still wait after failures: after
// 5, 1 s doubling per failure up to 15 min (S-14).
func (a *authState) lockedFor(username string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[strings.ToLower(username)]
	if f == nil {
		return 0
	}
	return max(f.until.Sub(a.now()), 0)
}

func (a *authState) recordFailure(username string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := strings.ToLower(username)
	f := a.failures[k]
	if f == nil {
		if len(a.failures) > 100_000 {
			a.failures = map[string]*failure{}
		}
		f = &failure{}
		a.failures[k] = f
	}
	f.count++
	if f.count >= 5 {
		d := time.Second << min(f.count-5, 10)
		f.until = a.now().Add(min(d, 15*time.Minute))
	}
}

func (a *authState) recordSuccess(username string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.failures, strings.ToLower(username))
}

// startUpload takes one of a speaker's concurrent upload slots.
func (a *authState) startUpload(userID int64, limit int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.uploads[userID] >= limit {
		return false
	}
	a.uploads[userID]++
	return true
}

func (a *authState) endUpload(userID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.uploads[userID]--; a.uploads[userID] <= 0 {
		delete(a.uploads, userID)
	}
}

func newToken() (raw string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	raw = base64.RawURLEncoding.EncodeToString(b[:])
	return raw, hashToken(raw)
}

func hashToken(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

func (s *Server) cookieName(r *http.Request) string {
	if s.opts.SecureCookies || r.TLS != nil {
		return "__Host-sid"
	}
	// Plain HTTP on a developer's machine: browsers refuse Secure cookies
	// there, and the __Host- prefix requires Secure.
	return "sid"
}

// setSessionCookie sets the session cookie: HttpOnly (no script reads it),
// SameSite=Lax (not sent on cross-site subrequests or POSTs; every write
// also needs the CSRF token), host-only with Path=/. Secure, with the
// __Host- prefix, whenever the browser reaches us over TLS (directly, or
// behind a TLS-terminating proxy with SecureCookies); only plain-HTTP
// development goes without, since browsers drop a Secure cookie there.
func (s *Server) setSessionCookie(c *gin.Context, raw string, maxAge time.Duration) {
	secure := s.opts.SecureCookies || c.Request.TLS != nil
	//nolint:gosec // G124: Secure is set for every TLS origin (see above); HttpOnly and SameSite=Lax always
	http.SetCookie(c.Writer, &http.Cookie{Name: s.cookieName(c.Request), Value: raw, Path: "/", HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

// authn finds who is calling: a session cookie or a vendor bearer token.
// It never fails; allow decides.
func (s *Server) authn(c *gin.Context) {
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); strings.HasPrefix(h, "Bearer ") {
		if t, err := s.db.TokenByHash(ctx, hashToken(strings.TrimPrefix(h, "Bearer "))); err == nil {
			c.Set("token", t)
		}
		c.Next()
		return
	}
	for _, name := range []string{"__Host-sid", "sid"} {
		ck, err := c.Request.Cookie(name)
		if err != nil || ck.Value == "" {
			continue
		}
		hash := hashToken(ck.Value)
		sess, err := s.db.SessionByHash(ctx, hash)
		if err != nil {
			continue
		}
		u, err := s.db.User(ctx, sess.UserID)
		if err != nil || u.Disabled {
			continue
		}
		if s.opts.Now().Sub(sess.LastSeen) > time.Minute {
			_ = s.db.TouchSession(ctx, hash)
		}
		c.Set("session", sess)
		c.Set("user", u)
		break
	}
	c.Next()
}

func currentUser(c *gin.Context) *corpus.User {
	u, _ := c.Get("user")
	user, _ := u.(*corpus.User)
	return user
}

func currentSession(c *gin.Context) *corpus.Session {
	v, _ := c.Get("session")
	sess, _ := v.(*corpus.Session)
	return sess
}

func roleAccess(r corpus.Role) access {
	switch r {
	case corpus.RoleSpeaker:
		return speaker
	case corpus.RoleReviewer:
		return reviewer
	case corpus.RoleVendor:
		return vendor
	case corpus.RoleAdmin:
		return admin
	}
	return 0
}

// allow admits the roles in a. Anonymous callers of a non-public route get
// 401; a signed-in role that may not use it gets 404, as if it did not
// exist (spec/api.md). State-changing requests from a cookie session must
// carry the session's CSRF token (header X-CSRF-Token, or form field
// csrf_token for pages).
func (s *Server) allow(a access) gin.HandlerFunc {
	return func(c *gin.Context) {
		if a&public != 0 {
			c.Next()
			return
		}
		var who access
		if u := currentUser(c); u != nil {
			who = roleAccess(u.Role)
		} else if _, ok := c.Get("token"); ok {
			who = vendor
		}
		switch {
		case who == 0 && c.Request.Method == http.MethodGet && !strings.HasPrefix(c.Request.URL.Path, "/api/"):
			// A person following a link to a page: to the sign-in page,
			// not a JSON error.
			c.Redirect(http.StatusSeeOther, "/signin")
			c.Abort()
			return
		case who == 0:
			fail(c, errUnauthenticated)
			return
		case who&a == 0:
			fail(c, errNotFound)
			return
		}
		if sess := currentSession(c); sess != nil && !safeMethod(c.Request.Method) && !s.csrfOK(c, sess) {
			fail(c, errCSRF)
			return
		}
		c.Next()
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) csrfOK(c *gin.Context, sess *corpus.Session) bool {
	got := c.GetHeader("X-CSRF-Token")
	if got == "" && strings.HasPrefix(c.ContentType(), "application/x-www-form-urlencoded") {
		got = c.PostForm("csrf_token")
	}
	return got != "" && len(got) == len(sess.CSRFToken) && subtleEq(got, sess.CSRFToken)
}

// signIn checks a username and password and starts a session. Unknown
// users cost a dummy hash, and the answer is the same for both (S-14).
func (s *Server) signIn(c *gin.Context, username, password string) (*corpus.User, string, error) {
	if !s.auth.allowIP(clientIP(c)) {
		c.Header("Retry-After", "60")
		return nil, "", errTooMany
	}
	if len(username) > 256 || len(password) > 1024 {
		return nil, "", errBadCredentials
	}
	if d := s.auth.lockedFor(username); d > 0 {
		c.Header("Retry-After", itoa(int(d.Seconds())+1))
		return nil, "", errTooMany
	}
	ctx := c.Request.Context()
	u, err := s.db.UserByUsername(ctx, username)
	switch {
	case errors.Is(err, corpus.ErrNotFound):
		CheckPassword(dummyHash(), password)
		s.auth.recordFailure(username)
		s.log.Warn("sign-in failed", "username", username, "ip", clientIP(c), "reason", "unknown user")
		return nil, "", errBadCredentials
	case err != nil:
		return nil, "", err
	}
	if !checkPasswordTimed(u.PasswordHash, password) || u.Disabled {
		s.auth.recordFailure(username)
		s.log.Warn("sign-in failed", "username", username, "ip", clientIP(c), "reason", "wrong password or disabled")
		return nil, "", errBadCredentials
	}
	s.auth.recordSuccess(username)
	raw, err := s.startSession(c, u)
	return u, raw, err
}

// startSession issues a new session (a fresh id at every sign-in: no
// fixation) and sets its cookie.
func (s *Server) startSession(c *gin.Context, u *corpus.User) (csrf string, err error) {
	// An old session on this browser ends here.
	if old := currentSession(c); old != nil {
		_ = s.db.DeleteSession(c.Request.Context(), old.TokenHash)
	}
	raw, hash := newToken()
	csrf, _ = newToken()
	idle, abs := sessionLife(u.Role)
	now := s.opts.Now()
	sess := &corpus.Session{TokenHash: hash, UserID: u.ID, CSRFToken: csrf, CreatedAt: now, LastSeen: now,
		IdleTimeout: idle, ExpiresAt: now.Add(abs)}
	if err := s.db.CreateSession(c.Request.Context(), sess); err != nil {
		return "", err
	}
	s.setSessionCookie(c, raw, abs)
	c.Set("session", sess)
	c.Set("user", u)
	s.log.Info("signed in", "user_id", u.ID, "role", string(u.Role), "ip", clientIP(c))
	return csrf, nil
}

func (s *Server) endSession(c *gin.Context) {
	if sess := currentSession(c); sess != nil {
		_ = s.db.DeleteSession(c.Request.Context(), sess.TokenHash)
	}
	s.setSessionCookie(c, "", -time.Second)
}
