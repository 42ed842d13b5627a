package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
)

// The admin statistics page (GET /stats): per project, hours collected and
// accepted, clips accepted and rejected by noise band, dialect region,
// gender and age band, the rules and reasons that reject most, band quotas
// against their targets, and the project's releases with a button to make
// a new one. zh-TW first, English beside it.

type statsPage struct {
	Title    string
	User     *corpus.User
	CSRF     string
	Notice   *apiError
	Error    *apiError
	Projects []projectStatsView
}

type projectStatsView struct {
	*corpus.ProjectStats
	HoursAll, HoursOK string
	Tables            []statsTable
	Quotas            []quotaView
	Releases          []releaseView
}

// statsTable is one breakdown of the clips (by band, region, gender, age);
// KeyZH and KeyEN head its first column.
type statsTable struct {
	ID, ZH, EN   string
	KeyZH, KeyEN string
	Rows         []statRowView
}

type statRowView struct {
	Key                          string
	Accepted, Rejected, Pending  int
	AcceptedH, RejectedH, TotalH string
}

type quotaView struct {
	corpus.QuotaRow
	Percent int // accepted / target, capped at 100 for the bar
}

type releaseView struct {
	*corpus.Release
	HoursText string
	ShortSHA  string
	// Loc is the project's time zone (timezone.go).
	Loc *time.Location
	// Archives is how far the archives' SHA-256 has got (ready, pending
	// or hashing with a percentage: corpus.ArchivesStatus).
	Archives string
}

func hours(seconds float64) string { return fmt.Sprintf("%.2f", seconds/3600) }

func statRowsView(rows []corpus.StatRow) []statRowView {
	out := make([]statRowView, len(rows))
	for i, r := range rows {
		out[i] = statRowView{Key: r.Key, Accepted: r.Accepted, Rejected: r.Rejected, Pending: r.Pending,
			AcceptedH: hours(r.AcceptedS), RejectedH: hours(r.RejectedS), TotalH: hours(r.TotalS)}
	}
	return out
}

func (s *Server) pageStats(c *gin.Context) {
	ctx := c.Request.Context()
	ps, err := s.db.Projects(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	d := statsPage{Title: "統計 Statistics", User: currentUser(c)}
	if sess := currentSession(c); sess != nil {
		d.CSRF = sess.CSRFToken
	}
	if id := c.Query("release"); id != "" {
		if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			d.Notice = errf(0, "release", "release "+id+" created", "已建立釋出版本 "+id)
		}
	}
	switch c.Query("error") {
	case "":
	case "empty_release":
		d.Error = errf(0, "empty_release", "no accepted clips from speakers with current consent: nothing to release", "尚無已通過審核、且講者同意書有效的錄音，無法建立釋出版本")
	default:
		d.Error = errf(0, "release_failed", "the release was not created", "釋出版本未建立")
	}
	for _, p := range ps {
		st, err := s.db.Stats(ctx, p.ID)
		if err != nil {
			fail(c, err)
			return
		}
		v := projectStatsView{ProjectStats: st, HoursAll: fmt.Sprintf("%.2f", st.HoursAll), HoursOK: fmt.Sprintf("%.2f", st.HoursOK),
			Tables: []statsTable{
				{"by-band", "依噪音等級", "By noise band", "噪音等級", "Noise band", statRowsView(st.ByBand)},
				{"by-region", "依方言區", "By dialect region", "方言區", "Dialect region", statRowsView(st.ByRegion)},
				{"by-gender", "依性別", "By gender", "性別", "Gender", statRowsView(st.ByGender)},
				{"by-age", "依年齡層", "By age band", "年齡層", "Age band", statRowsView(st.ByAge)},
			}}
		for _, q := range st.Quotas {
			pct := 100
			if q.Target > 0 {
				pct = min(100, 100*q.Accepted/q.Target)
			}
			v.Quotas = append(v.Quotas, quotaView{QuotaRow: q, Percent: pct})
		}
		for _, r := range st.Releases {
			archives, err := s.db.ArchivesStatus(ctx, r.ID)
			if err != nil {
				archives = "?" // the page is still worth showing
			}
			v.Releases = append(v.Releases, releaseView{Release: r, HoursText: fmt.Sprintf("%.2f", r.Hours), ShortSHA: r.ManifestSHA256[:12],
				Archives: archives, Loc: p.Location()})
		}
		d.Projects = append(d.Projects, v)
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := s.pages.ExecuteTemplate(c.Writer, "stats.html", d); err != nil {
		s.log.Error("render", "page", "stats.html", "err", err.Error())
	}
}
