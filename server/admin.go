package server

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
)

// The admin API does over HTTP what `dialect project|user|import` do on the
// command line.

type projectRequest struct {
	Name               string         `json:"name"`
	Slug               string         `json:"slug"`
	Dialect            string         `json:"dialect"`
	Modes              []string       `json:"modes"`
	BandQuota          map[string]int `json:"band_quota"`
	RateCentsPerMinute int64          `json:"rate_cents_per_minute"`
	Currency           string         `json:"currency"`
	ConsentText        string         `json:"consent_text"`
	ReviewsRequired    int            `json:"reviews_required"` // 1–3; 0 means 1
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

func (s *Server) adminCreateProject(c *gin.Context) {
	var req projectRequest
	if !decodeJSON(c, &req) {
		return
	}
	if req.Name == "" || !slugRE.MatchString(req.Slug) {
		fail(c, errf(http.StatusBadRequest, "bad_project", "a project needs a name and a slug of a-z, 0-9 and -", "計畫需要名稱，以及由 a-z、0-9、- 組成的代號"))
		return
	}
	for _, m := range req.Modes {
		if m != "prompted" && m != "monologue" && m != "dialogue" {
			fail(c, errf(http.StatusBadRequest, "bad_mode", "modes are prompted, monologue and dialogue", "錄音模式只能是 prompted、monologue、dialogue"))
			return
		}
	}
	p := &corpus.Project{Name: req.Name, Slug: req.Slug, Dialect: req.Dialect, Modes: req.Modes, BandQuota: req.BandQuota,
		RateCentsPerMinute: req.RateCentsPerMinute, Currency: req.Currency, ConsentText: req.ConsentText,
		ReviewsRequired: req.ReviewsRequired}
	if len(p.Modes) == 0 {
		p.Modes = []string{"prompted"}
	}
	if p.Dialect == "" {
		p.Dialect = "nan-TW"
	}
	if len(p.BandQuota) == 0 {
		p.BandQuota = map[string]int{"low": 1, "medium": 1, "high": 1}
	}
	if err := s.db.CreateProject(context.WithoutCancel(c.Request.Context()), p); err != nil {
		fail(c, err)
		return
	}
	s.log.Info("project created", "by", currentUser(c).ID, "project_id", p.ID, "slug", p.Slug)
	c.JSON(http.StatusCreated, p)
}

func (s *Server) adminListProjects(c *gin.Context) {
	ps, err := s.db.Projects(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"projects": ps})
}

type userRequest struct {
	Username  string      `json:"username"`
	Role      corpus.Role `json:"role"`
	ProjectID int64       `json:"project_id"`
	Password  string      `json:"password"`
}

func (s *Server) adminCreateUser(c *gin.Context) {
	var req userRequest
	if !decodeJSON(c, &req) {
		return
	}
	if !validUsername(req.Username) {
		fail(c, errf(http.StatusBadRequest, "bad_username", "usernames are 1–64 characters without spaces, quotes or <>&", "帳號須為 1 至 64 個字元，不可有空白、引號或 <>&"))
		return
	}
	switch req.Role {
	case corpus.RoleSpeaker, corpus.RoleReviewer, corpus.RoleVendor, corpus.RoleAdmin:
	default:
		fail(c, errf(http.StatusBadRequest, "bad_role", "role is speaker, reviewer, vendor or admin", "角色須為 speaker、reviewer、vendor 或 admin"))
		return
	}
	if err := CheckPasswordPolicy(req.Username, req.Password); err != nil {
		fail(c, passwordError(err))
		return
	}
	ctx := context.WithoutCancel(c.Request.Context())
	if req.Role != corpus.RoleAdmin {
		if _, err := s.db.Project(ctx, req.ProjectID); err != nil {
			fail(c, errf(http.StatusBadRequest, "bad_project", "no such project", "沒有這個計畫"))
			return
		}
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		fail(c, err)
		return
	}
	u := &corpus.User{Username: req.Username, Role: req.Role, ProjectID: req.ProjectID, PasswordHash: hash}
	if err := s.db.CreateUser(ctx, u); err != nil {
		if errors.Is(err, corpus.ErrConflict) {
			fail(c, errf(http.StatusConflict, "username_taken", "that username is taken", "此帳號已被使用"))
			return
		}
		fail(c, err)
		return
	}
	s.log.Info("user created", "by", currentUser(c).ID, "user_id", u.ID, "role", string(u.Role))
	c.JSON(http.StatusCreated, u)
}

type promptsRequest struct {
	Prompts []struct {
		Text      string `json:"text"`
		Romanized string `json:"romanized"`
		Note      string `json:"note"`
	} `json:"prompts"`
}

func (s *Server) adminAddPrompts(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, errNotFound)
		return
	}
	var req promptsRequest
	if !decodeJSON(c, &req) {
		return
	}
	ps := make([]corpus.Prompt, 0, len(req.Prompts))
	for _, p := range req.Prompts {
		if p.Text == "" {
			continue
		}
		ps = append(ps, corpus.Prompt{Text: p.Text, Romanized: p.Romanized, Note: p.Note})
	}
	ctx := context.WithoutCancel(c.Request.Context())
	if _, err := s.db.Project(ctx, id); err != nil {
		fail(c, err)
		return
	}
	n, err := s.db.AddPrompts(ctx, id, ps)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"added": n})
}
