package server

import (
	"context"
	"time"
)

// Times shown to people are in the project's time zone, with the zone
// named: "2026-12-08 07:09 (Asia/Taipei)" (issue #18: the home page showed
// UTC without saying so, for a campaign in Taipei). APIs and exports keep
// RFC 3339 with an offset.

// localTime is t in loc (UTC when nil), to the minute, the zone named.
func localTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04") + " (" + loc.String() + ")"
}

// isoTime is t in loc as RFC 3339 with the offset, for <time datetime>.
func isoTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.RFC3339)
}

// projectLocation is the time zone of project id (UTC when there is none
// or it cannot be read: the zone is still named on the page).
func (s *Server) projectLocation(ctx context.Context, id int64) *time.Location {
	if id == 0 {
		return time.UTC
	}
	p, err := s.db.Project(ctx, id)
	if err != nil {
		return time.UTC
	}
	return p.Location()
}
