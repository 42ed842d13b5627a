package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

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

// authState holds the in-memory defences of sign-in (failed sign-ins per
// address and per account, signin_limit.go) and the concurrent uploads
// per speaker.
type authState struct {
	mu      sync.Mutex
	signIns *signInLimits
	uploads map[int64]int
}

func newAuthState(o Options) *authState {
	return &authState{signIns: newSignInLimits(o.LoginPerIPPerMinute, o.Now), uploads: map[int64]int{}}
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
	if s.secure(r) {
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
	secure := s.secure(c.Request)
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
	// Only the cookie this request would have been given counts. Over TLS
	// (or with SecureCookies) that is __Host-sid, which a browser accepts
	// only from a secure origin of this very host; a plain "sid" there could
	// have been planted by a sibling subdomain or a plain-HTTP
	// man-in-the-middle, to sign the victim into the planter's account.
	if ck, err := c.Request.Cookie(s.cookieName(c.Request)); err == nil && ck.Value != "" {
		hash := hashToken(ck.Value)
		if sess, err := s.db.SessionByHash(ctx, hash); err == nil {
			if u, err := s.db.User(ctx, sess.UserID); err == nil && !u.Disabled {
				if s.opts.Now().Sub(sess.LastSeen) > time.Minute {
					_ = s.db.TouchSession(ctx, hash)
				}
				c.Set("session", sess)
				c.Set("user", u)
			}
		}
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
// Failed attempts are limited per address and per account
// (signin_limit.go); the attempt is charged while it holds a hash slot,
// before its verdict, and refunded when the password is right.
func (s *Server) signIn(c *gin.Context, username, password string) (*corpus.User, string, error) {
	ip := clientIP(c)
	addr := limitKey(clientFrom(c).IP)
	limits := s.auth.signIns
	// Refused at once when already limited, without queueing for a slot.
	if r := limits.check(addr, username); r.wait > 0 {
		return nil, "", s.refuseSignIn(c, username, ip, r)
	}
	if len(username) > 256 || len(password) > 1024 {
		return nil, "", errBadCredentials
	}
	ctx := c.Request.Context()
	u, err := s.db.UserByUsername(ctx, username)
	switch {
	case errors.Is(err, corpus.ErrNotFound):
		u = nil
	case err != nil:
		return nil, "", err
	}
	// An account without a usable password (the admin `dialect serve`
	// creates with "!") and an unknown username cost the same hash as a
	// wrong password. The dummy hash is made before a slot is held: making
	// it takes one.
	phc := dummyHash()
	usable := u != nil && strings.HasPrefix(u.PasswordHash, "$argon2id$")
	if usable {
		phc = u.PasswordHash
	}
	release := takeHashSlot()
	if r := limits.begin(addr, username); r.wait > 0 {
		release()
		return nil, "", s.refuseSignIn(c, username, ip, r)
	}
	match := checkPasswordHeld(phc, password)
	release()
	if !match || !usable || u.Disabled {
		reason := "wrong password or disabled"
		if u == nil {
			reason = "unknown user"
		}
		s.log.Warn("sign-in failed", "username", username, "ip", ip, "reason", reason)
		return nil, "", errBadCredentials
	}
	limits.succeeded(addr, username)
	raw, err := s.startSession(c, u)
	return u, raw, err
}

// refuseSignIn answers a sign-in the limits refuse: 429 with Retry-After,
// and an audit line naming the limit.
func (s *Server) refuseSignIn(c *gin.Context, username, ip string, r refusal) error {
	secs := int(math.Ceil(r.wait.Seconds()))
	c.Header("Retry-After", itoa(max(secs, 1)))
	s.log.Warn("sign-in refused", "username", username, "ip", ip, "limit", r.why, "retry_after_s", max(secs, 1))
	return errTooMany
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
