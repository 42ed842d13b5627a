package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// recordData is what the recorder page gets besides pageData: the profile
// choices of PUT /api/v1/me/profile, so the form offers exactly what the
// API accepts.
type recordData struct {
	pageData
	Regions  []string
	AgeBands []choice
	Genders  []choice
}

// choice is one option of a select: the value the API takes and its labels.
type choice struct{ Value, ZH, EN string }

var (
	ageBandLabels = map[string][2]string{
		"under_20": {"未滿 20 歲", "under 20"}, "20_29": {"20–29 歲", "20–29"}, "30_39": {"30–39 歲", "30–39"},
		"40_49": {"40–49 歲", "40–49"}, "50_59": {"50–59 歲", "50–59"}, "60_69": {"60–69 歲", "60–69"},
		"70_plus": {"70 歲以上", "70 or over"},
	}
	genderLabels = map[string][2]string{
		"female": {"女", "female"}, "male": {"男", "male"}, "other": {"其他", "other"}, "undisclosed": {"不透露", "prefer not to say"},
	}
)

func choices(values []string, labels map[string][2]string) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		l := labels[v]
		out[i] = choice{Value: v, ZH: l[0], EN: l[1]}
	}
	return out
}

// pageRecord is GET /record, the speaker's recorder. The page is a shell:
// consent, room check, recording, the upload queue and receipts are driven
// by /assets/record.js over the JSON API (spec/api.md), so what the page
// does is what a script or a vendor tool could do.
func (s *Server) pageRecord(c *gin.Context) {
	d := recordData{pageData: pageData{Title: "錄音", Speaker: true}, Regions: dialectRegions,
		AgeBands: choices(ageBands, ageBandLabels), Genders: choices(genders, genderLabels)}
	d.User = currentUser(c)
	if sess := currentSession(c); sess != nil {
		d.CSRF = sess.CSRFToken
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := s.pages.ExecuteTemplate(c.Writer, "record.html", d); err != nil {
		s.log.Error("render", "page", "record.html", "err", err.Error())
	}
}
