package corpus

import (
	"context"
	"slices"
)

// StatRow is the clips of one value of an attribute, by status.
type StatRow struct {
	Key       string  `json:"key"` // "" = not given
	Accepted  int     `json:"accepted"`
	Rejected  int     `json:"rejected"`
	Pending   int     `json:"pending"`
	AcceptedS float64 `json:"accepted_s"`
	RejectedS float64 `json:"rejected_s"`
	TotalS    float64 `json:"total_s"`
}

// RuleCount is how many clips a rule or reason rejected.
type RuleCount struct {
	Rule  string `json:"rule"`
	Clips int    `json:"clips"`
}

// QuotaRow compares a noise band's target with what was collected.
type QuotaRow struct {
	Band      string `json:"band"`
	Target    int    `json:"target"`
	Accepted  int    `json:"accepted"`
	Collected int    `json:"collected"` // every clip, whatever its status
}

// ProjectStats is the admin's view of a project's collection (GET /stats).
type ProjectStats struct {
	Project   *Project `json:"project"`
	Clips     int      `json:"clips"`
	Accepted  int      `json:"accepted"`
	Rejected  int      `json:"rejected"`
	Pending   int      `json:"pending"`
	Speakers  int      `json:"speakers"`
	HoursAll  float64  `json:"hours_collected"`
	HoursOK   float64  `json:"hours_accepted"`
	ByBand    []StatRow
	ByRegion  []StatRow
	ByGender  []StatRow
	ByAge     []StatRow
	TopRules  []RuleCount // automatic checks: error findings of rejected clips' receipts
	TopReview []RuleCount // reviewers' reject reasons
	Quotas    []QuotaRow
	Releases  []*Release
	Downloads int
}

// Stats returns a project's collection statistics, read in one short
// transaction of aggregate queries.
func (db *DB) Stats(ctx context.Context, projectID int64) (st *ProjectStats, err error) {
	err = db.view(ctx, func(t *tx) error {
		p, err := findProject(ctx, t, `WHERE id = ?`, projectID)
		if err != nil {
			return err
		}
		st = &ProjectStats{Project: p}
		for _, dim := range []struct {
			expr string
			out  *[]StatRow
		}{
			{"c.noise_band", &st.ByBand},
			{"u.dialect_region", &st.ByRegion},
			{"u.gender", &st.ByGender},
			{"u.age_band", &st.ByAge},
		} {
			if *dim.out, err = statRows(ctx, t, dim.expr, projectID); err != nil {
				return err
			}
		}
		for _, r := range st.ByBand {
			st.Accepted += r.Accepted
			st.Rejected += r.Rejected
			st.Pending += r.Pending
			st.HoursAll += r.TotalS / 3600
			st.HoursOK += r.AcceptedS / 3600
		}
		st.Clips = st.Accepted + st.Rejected + st.Pending
		if err := t.QueryRowContext(ctx, `SELECT COUNT(DISTINCT speaker_id) FROM clips WHERE project_id = ?`, projectID).Scan(&st.Speakers); err != nil {
			return mapErr(err)
		}
		// The receipt is the JSON the speaker got: its error findings say
		// which automatic rule rejected the clip. A clip counts once per rule.
		if st.TopRules, err = ruleCounts(ctx, t, `SELECT json_extract(f.value, '$.rule') AS rule, COUNT(DISTINCT c.id)
			FROM clips c, json_each(CASE WHEN json_valid(c.receipt) THEN c.receipt ELSE '{}' END, '$.findings') f
			WHERE c.project_id = ? AND c.status = 'rejected' AND json_extract(f.value, '$.severity') = 'error'
			GROUP BY rule ORDER BY 2 DESC, rule LIMIT 10`, projectID); err != nil {
			return err
		}
		if st.TopReview, err = ruleCounts(ctx, t, `SELECT d.reason, COUNT(DISTINCT d.clip_id) FROM decision_events d
			JOIN clips c ON c.id = d.clip_id
			WHERE c.project_id = ? AND d.to_status = 'rejected' AND d.author_id != 0
			GROUP BY d.reason ORDER BY 2 DESC, d.reason LIMIT 10`, projectID); err != nil {
			return err
		}
		bands := map[string]*QuotaRow{}
		for b, target := range p.BandQuota {
			bands[b] = &QuotaRow{Band: b, Target: target}
		}
		for _, r := range st.ByBand {
			q := bands[r.Key]
			if q == nil {
				q = &QuotaRow{Band: r.Key}
				bands[r.Key] = q
			}
			q.Accepted, q.Collected = r.Accepted, r.Accepted+r.Rejected+r.Pending
		}
		for _, q := range bands {
			st.Quotas = append(st.Quotas, *q)
		}
		order := map[string]int{"low": 0, "medium": 1, "high": 2}
		slices.SortFunc(st.Quotas, func(a, b QuotaRow) int {
			oa, oka := order[a.Band]
			ob, okb := order[b.Band]
			switch {
			case oka && okb:
				return oa - ob
			case oka:
				return -1
			case okb:
				return 1
			}
			return compareStrings(a.Band, b.Band)
		})
		return mapErr(t.QueryRowContext(ctx, `SELECT COUNT(*) FROM release_downloads d JOIN releases r ON r.id = d.release_id
			WHERE r.project_id = ?`, projectID).Scan(&st.Downloads))
	})
	if err != nil {
		return nil, err
	}
	if st.Releases, err = db.Releases(ctx, projectID); err != nil {
		return nil, err
	}
	return st, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// statRows groups a project's clips by expr (a column of c = clips or
// u = users).
func statRows(ctx context.Context, t *tx, expr string, projectID int64) ([]StatRow, error) {
	rows, err := t.QueryContext(ctx, `SELECT `+expr+` AS k,
		SUM(c.status = 'accepted'), SUM(c.status = 'rejected'), SUM(c.status = 'pending_review'),
		TOTAL(CASE WHEN c.status = 'accepted' THEN c.duration_s END),
		TOTAL(CASE WHEN c.status = 'rejected' THEN c.duration_s END), TOTAL(c.duration_s)
		FROM clips c JOIN users u ON u.id = c.speaker_id WHERE c.project_id = ? GROUP BY k ORDER BY k`, projectID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	var out []StatRow
	for rows.Next() {
		var r StatRow
		if err := rows.Scan(&r.Key, &r.Accepted, &r.Rejected, &r.Pending, &r.AcceptedS, &r.RejectedS, &r.TotalS); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

func ruleCounts(ctx context.Context, t *tx, q string, args ...any) ([]RuleCount, error) {
	rows, err := t.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	var out []RuleCount
	for rows.Next() {
		var r RuleCount
		var rule nullStr
		if err := rows.Scan(&rule, &r.Clips); err != nil {
			return nil, mapErr(err)
		}
		r.Rule = rule.String
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}
