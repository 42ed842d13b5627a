package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
)

// onceToken is the one-time admin sign-in link printed by `dialect serve`:
// held only in memory (hashed), good for one use within its lifetime.
type onceToken struct {
	mu      sync.Mutex
	hash    []byte
	userID  int64
	expires time.Time
}

// OneTimeSignIn makes a one-time sign-in token for user and returns the
// path to print ("/signin/once?token=..."). A new call replaces the old.
func (s *Server) OneTimeSignIn(userID int64, life time.Duration) string {
	raw, hash := newToken()
	s.once = &onceToken{hash: hash, userID: userID, expires: s.opts.Now().Add(life)}
	return "/signin/once?token=" + raw
}

func (o *onceToken) take(raw string, now time.Time) (int64, bool) {
	if o == nil {
		return 0, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.hash == nil || now.After(o.expires) || !subtleEq(string(hashToken(raw)), string(o.hash)) {
		return 0, false
	}
	o.hash = nil
	return o.userID, true
}

var errOnceUsed = errf(http.StatusGone, "link_used", "this sign-in link was already used or has expired; run dialect serve again for a new one", "此登入連結已使用或已過期，請重新執行 dialect serve 取得新連結")

// pageOnce shows a button; signing in is a POST, so that a link preview or
// a prefetch cannot spend the token (no state change on GET).
func (s *Server) pageOnce(c *gin.Context) {
	s.render(c, http.StatusOK, "once.html", pageData{Title: "管理員登入", Token: c.Query("token")})
}

func (s *Server) formOnce(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 4<<10)
	id, ok := s.once.take(c.PostForm("token"), s.opts.Now())
	if !ok {
		s.render(c, http.StatusGone, "once.html", pageData{Title: "管理員登入", Error: errOnceUsed})
		return
	}
	u, err := s.db.User(c.Request.Context(), id)
	if err != nil || u.Role != corpus.RoleAdmin {
		s.render(c, http.StatusGone, "once.html", pageData{Title: "管理員登入", Error: errOnceUsed})
		return
	}
	if _, err := s.startSession(c, u); err != nil {
		fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}
