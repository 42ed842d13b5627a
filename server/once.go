package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
)

// One-time sign-in links (issue 10 item 1). A link is a random 256-bit token
// whose SHA-256 lives in the corpus (corpus.CreateSignInLink), so that
// `dialect user link USERNAME`, run on the server beside `dialect serve`,
// issues links the running server honours, and a restart neither forgets nor
// re-issues them. `dialect serve` prints one for the admin only while no
// admin has ever signed in; the first admin sign-in voids the links it
// printed (they sit in a service log).

// SignInLinkPath is where a one-time link points; the token follows in the
// query ("/signin/once?token=...").
const SignInLinkPath = "/signin/once"

// IssueSignInLink stores a one-time sign-in link for the user, good for
// life or until used, replacing the user's earlier link, and returns the
// path with its token. origin is corpus.LinkServe or corpus.LinkCLI.
func IssueSignInLink(ctx context.Context, db *corpus.DB, userID int64, origin string, life time.Duration) (string, error) {
	raw, hash := newToken()
	if err := db.CreateSignInLink(ctx, hash, userID, origin, db.Now().Add(life)); err != nil {
		return "", err
	}
	return SignInLinkPath + "?token=" + raw, nil
}

// OneTimeSignIn issues the admin link `dialect serve` prints at start (see
// IssueSignInLink).
func (s *Server) OneTimeSignIn(ctx context.Context, userID int64, life time.Duration) (string, error) {
	return IssueSignInLink(ctx, s.db, userID, corpus.LinkServe, life)
}

var errOnceUsed = errf(http.StatusGone, "link_used",
	"this sign-in link was already used, replaced by a newer one, or has expired; for a new one, run on the server: dialect user link USERNAME",
	"此登入連結已使用、已被新連結取代或已過期；如需新連結，請在伺服器上執行「dialect user link 帳號」")

// pageOnce shows a button; signing in is a POST, so that a link preview or
// a prefetch cannot spend the token (no state change on GET).
func (s *Server) pageOnce(c *gin.Context) {
	s.render(c, http.StatusOK, "once.html", pageData{Title: "一次性登入", Token: c.Query("token")})
}

func (s *Server) formOnce(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 4<<10)
	ctx := c.Request.Context()
	id, err := s.db.TakeSignInLink(ctx, hashToken(c.PostForm("token")))
	if errors.Is(err, corpus.ErrNotFound) {
		s.log.Warn("one-time sign-in refused", "ip", clientIP(c), "reason", "unknown, used or expired link")
		s.render(c, http.StatusGone, "once.html", pageData{Title: "一次性登入", Error: errOnceUsed})
		return
	} else if err != nil {
		fail(c, err)
		return
	}
	u, err := s.db.User(ctx, id)
	if err != nil || u.Disabled {
		s.log.Warn("one-time sign-in refused", "ip", clientIP(c), "user_id", id, "reason", "account gone or disabled")
		s.render(c, http.StatusGone, "once.html", pageData{Title: "一次性登入", Error: errOnceUsed})
		return
	}
	if _, err := s.startSession(c, u); err != nil {
		fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}
