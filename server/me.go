package server

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
)

// meResponse is GET /api/v1/me.
type meResponse struct {
	User      *corpus.User    `json:"user"`
	Project   *projectSummary `json:"project,omitempty"`
	CSRFToken string          `json:"csrf_token"`
	// ConsentRequired is true until the speaker accepts the project's
	// current consent text.
	ConsentRequired bool `json:"consent_required"`
}

type projectSummary struct {
	ID             int64    `json:"id"`
	Slug           string   `json:"slug"`
	Name           string   `json:"name"`
	Dialect        string   `json:"dialect"`
	Modes          []string `json:"modes"`
	ConsentText    string   `json:"consent_text"`
	ConsentVersion int      `json:"consent_version"`
}

func (s *Server) userProject(ctx context.Context, u *corpus.User) (*corpus.Project, error) {
	if u.ProjectID == 0 {
		return nil, corpus.ErrNotFound
	}
	return s.db.Project(ctx, u.ProjectID)
}

func (s *Server) getMe(c *gin.Context) {
	u := currentUser(c)
	resp := meResponse{User: u, CSRFToken: currentSession(c).CSRFToken}
	if p, err := s.userProject(c.Request.Context(), u); err == nil {
		resp.Project = &projectSummary{ID: p.ID, Slug: p.Slug, Name: p.Name, Dialect: p.Dialect, Modes: p.Modes,
			ConsentText: p.ConsentText, ConsentVersion: p.ConsentVersion}
		resp.ConsentRequired = u.Role == corpus.RoleSpeaker && u.ConsentVersion < p.ConsentVersion
	}
	c.JSON(http.StatusOK, resp)
}

// Profile choices. Regions follow the birthplace list of Taiwanese Common
// Voice: the counties and cities of Taiwan, plus abroad.
var (
	dialectRegions = []string{"基隆市", "臺北市", "新北市", "桃園市", "新竹市", "新竹縣", "苗栗縣", "臺中市", "彰化縣", "南投縣",
		"雲林縣", "嘉義市", "嘉義縣", "臺南市", "高雄市", "屏東縣", "宜蘭縣", "花蓮縣", "臺東縣", "澎湖縣", "金門縣", "連江縣", "海外"}
	ageBands = []string{"under_20", "20_29", "30_39", "40_49", "50_59", "60_69", "70_plus"}
	genders  = []string{"female", "male", "other", "undisclosed"}
)

type profileRequest struct {
	DialectRegion string `json:"dialect_region"`
	AgeBand       string `json:"age_band"`
	Gender        string `json:"gender"`
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Server) putProfile(c *gin.Context) {
	var req profileRequest
	if !decodeJSON(c, &req) {
		return
	}
	switch {
	case !oneOf(req.DialectRegion, dialectRegions):
		fail(c, errf(http.StatusBadRequest, "bad_region", "dialect_region must be one of: "+strings.Join(dialectRegions, ", "), "請從清單選擇腔調地區："+strings.Join(dialectRegions, "、")))
		return
	case !oneOf(req.AgeBand, ageBands):
		fail(c, errf(http.StatusBadRequest, "bad_age_band", "age_band must be one of: "+strings.Join(ageBands, ", "), "請從清單選擇年齡層"))
		return
	case !oneOf(req.Gender, genders):
		fail(c, errf(http.StatusBadRequest, "bad_gender", "gender must be one of: "+strings.Join(genders, ", "), "請從清單選擇性別"))
		return
	}
	u := currentUser(c)
	if err := s.db.UpdateProfile(context.WithoutCancel(c.Request.Context()), u.ID, req.DialectRegion, req.AgeBand, req.Gender); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"dialect_region": req.DialectRegion, "age_band": req.AgeBand, "gender": req.Gender})
}

type consentRequest struct {
	ConsentVersion int `json:"consent_version"`
}

// postConsent records consent to the project's current text; consenting to
// an older version is refused, so nobody agrees to words they were not shown.
func (s *Server) postConsent(c *gin.Context) {
	var req consentRequest
	if !decodeJSON(c, &req) {
		return
	}
	u := currentUser(c)
	p, err := s.userProject(c.Request.Context(), u)
	if err != nil {
		fail(c, err)
		return
	}
	if req.ConsentVersion != p.ConsentVersion {
		fail(c, errf(http.StatusConflict, "consent_version", "the consent text has changed; read the current version", "同意書內容已更新，請閱讀最新版本"))
		return
	}
	if err := s.db.RecordConsent(context.WithoutCancel(c.Request.Context()), u.ID, req.ConsentVersion); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"consent_version": req.ConsentVersion})
}

// validUsername allows what people type, minus what breaks logs and pages.
func validUsername(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' || r == '"' || r == '\'' || r == '&' || r == ' ' {
			return false
		}
	}
	return true
}
