package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/assets"
	"github.com/dialect-corpus/dialect/corpus"
)

func parsePages(bundle *assets.Bundle) (*template.Template, error) {
	funcs := template.FuncMap{
		// asset is the content-hashed URL of a static file ("app.css" →
		// "/assets/app.3f9a1c2b4d5e.css"), served with a year's caching.
		"asset": bundle.URL,
		"statusZH": func(s corpus.ClipStatus) string {
			return map[corpus.ClipStatus]string{corpus.StatusPendingReview: "已收到，等待審核", corpus.StatusRejected: "未通過", corpus.StatusAccepted: "已通過審核"}[s]
		},
		"statusEN": func(s corpus.ClipStatus) string {
			return map[corpus.ClipStatus]string{corpus.StatusPendingReview: "received, waiting for review", corpus.StatusRejected: "rejected", corpus.StatusAccepted: "accepted"}[s]
		},
		// deref and historyOf serve review_history.html.
		"deref":     func(p *float64) float64 { return *p },
		"historyOf": func(v clipView, csrf string) historyArgs { return historyArgs{Clip: v, CSRF: csrf} },
		// localTime and isoTime show a time in a project's zone
		// (timezone.go): "2026-12-08 07:09 (Asia/Taipei)", and RFC 3339
		// with its offset for <time datetime>.
		"localTime": localTime,
		"isoTime":   isoTime,
		"bandZH": func(b string) string {
			return map[string]string{"low": "低噪音", "medium": "中噪音", "high": "高噪音"}[b]
		},
	}
	return template.New("").Funcs(funcs).ParseFS(assets.FS, "templates/*.html")
}

// pageData is what every page template gets.
type pageData struct {
	Title      string
	User       *corpus.User
	CSRF       string
	Error      *apiError
	Notice     *apiError
	Username   string
	Token      string
	Speaker    bool
	Admin      bool
	Clips      []clipView
	Projects   []*corpus.Project
	UserCounts map[int64]int
	// Ledger is the speaker's balance (ledger.go).
	Ledger *ledgerSummary
	// The error page (error.html, errors.go): the heading's English half,
	// the status, the request id, and whether to offer the sign-in page.
	TitleEN    string
	Status     int
	RequestID  string
	SignInLink bool
}

func (s *Server) render(c *gin.Context, status int, name string, d pageData) {
	d.User = currentUser(c)
	if sess := currentSession(c); sess != nil {
		d.CSRF = sess.CSRFToken
	}
	s.renderPage(c.Writer, status, name, d)
}

// renderPage writes the page name with status; render fills in who is
// signed in, writeError does so itself.
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.pages.ExecuteTemplate(w, name, d); err != nil {
		s.log.Error("render", "page", name, "err", err.Error())
	}
}

// pageHome is the signed-in start page: a speaker's recordings with their
// receipts, or the admin overview.
func (s *Server) pageHome(c *gin.Context) {
	u := currentUser(c)
	if u == nil {
		c.Redirect(http.StatusSeeOther, "/signin")
		return
	}
	ctx := c.Request.Context()
	d := pageData{Title: "首頁"}
	switch c.Query("notice") {
	case "password":
		d.Notice = errf(0, "password", "password saved", "密碼已儲存")
	}
	switch u.Role {
	case corpus.RoleSpeaker:
		d.Speaker = true
		clips, err := s.db.Clips(ctx, corpus.ClipFilter{SpeakerID: u.ID, Limit: 200})
		if err != nil {
			fail(c, err)
			return
		}
		loc := s.projectLocation(ctx, u.ProjectID)
		for _, cl := range clips {
			v := viewClip(cl)
			v.Loc = loc
			d.Clips = append(d.Clips, v)
		}
		s.addHistory(ctx, d.Clips)
		if l, err := s.db.SpeakerLedger(ctx, u.ID); err == nil {
			d.Ledger = summarizeLedger(l)
		}
	case corpus.RoleAdmin:
		d.Admin = true
		ps, err := s.db.Projects(ctx)
		if err != nil {
			fail(c, err)
			return
		}
		d.Projects = ps
		d.UserCounts = map[int64]int{}
		for _, p := range ps {
			us, _ := s.db.Users(ctx, p.ID)
			d.UserCounts[p.ID] = len(us)
		}
	case corpus.RoleReviewer, corpus.RoleVendor:
		// Nothing to load: a reviewer's link to /review is in the template
		// (reviewer-link); a vendor downloads through the API. Both get the
		// password form.
	}
	s.render(c, http.StatusOK, "home.html", d)
}

func (s *Server) pageSignIn(c *gin.Context) {
	if currentUser(c) != nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	s.render(c, http.StatusOK, "signin.html", pageData{Title: "登入"})
}

// formSignIn is the form twin of POST /api/v1/session, for browsers without
// scripts; cross-site posts are refused by CrossOriginProtection.
func (s *Server) formSignIn(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10)
	username, password := c.PostForm("username"), c.PostForm("password")
	if _, _, err := s.signIn(c, username, password); err != nil {
		ae := toAPIError(err)
		if ae.Status >= 500 {
			fail(c, err)
			return
		}
		s.render(c, ae.Status, "signin.html", pageData{Title: "登入", Error: ae, Username: username})
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) formSignOut(c *gin.Context) {
	s.endSession(c)
	c.Redirect(http.StatusSeeOther, "/signin")
}

// formPassword changes the signed-in user's password; every other session
// of the account ends (S-12), and this browser gets a fresh one.
func (s *Server) formPassword(c *gin.Context) {
	u := currentUser(c)
	pw := c.PostForm("password")
	if err := CheckPasswordPolicy(u.Username, pw); err != nil {
		s.render(c, http.StatusBadRequest, "home.html", pageData{Title: "首頁", Error: passwordError(err)})
		return
	}
	hash, err := HashPassword(pw)
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.db.SetPassword(c.Request.Context(), u.ID, hash); err != nil {
		fail(c, err)
		return
	}
	c.Set("session", nil)
	if _, err := s.startSession(c, u); err != nil {
		fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/?notice=password")
}

func passwordError(err error) *apiError {
	msg := strings.TrimPrefix(err.Error(), ErrWeakPassword.Error()+": ")
	zh := map[string]string{ //nolint:gosec // G101: the policy's refusal messages, keyed by their English text; no credential
		"at least 8 characters":            "密碼至少需要 8 個字元",
		"at most 256 characters":           "密碼最多 256 個字元",
		"the same as the username":         "密碼不可與帳號相同",
		"one of the most common passwords": "這是最常見的密碼之一，請換一個",
	}[msg]
	return errf(http.StatusBadRequest, "weak_password", "password refused: "+msg, zh)
}

// favicon serves the site icon at the address browsers ask for on their own
// (an ICO made for this project; pages also link the SVG under /assets/).
func (s *Server) favicon(c *gin.Context) {
	b, err := fs.ReadFile(assets.Static, "favicon.ico")
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "image/x-icon", b)
}

// assets serves /assets/*path from the bundle (assets.Bundle): under a
// current hashed name, cached for a year as immutable; under its plain name
// or a stale hash (a page from before a deploy), the current content, to be
// revalidated (ETag) every time. Compressed files go gzip-encoded to
// clients that accept it, made once at start-up; Vary tells caches so.
// Range works on either (http.ServeContent).
func (s *Server) assets(c *gin.Context) {
	f, current := s.bundle.Lookup(strings.TrimPrefix(c.Param("path"), "/"))
	if f == nil {
		fail(c, errNotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", f.Type)
	if current {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, no-cache")
	}
	body, etag := f.Body, `"`+f.Hash+`"`
	if gz := f.Gzip(); gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(c.Request) {
			body, etag = gz, `"`+f.Hash+`.gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(body))
}

func jsonUnmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return errors.New("empty")
	}
	return json.Unmarshal(b, v)
}
