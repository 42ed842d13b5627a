package server

import (
	"testing"
	"time"
)

// TestLocalTime: issue #18's "2026-12-07 23:09" (UTC, unnamed) is shown as
// Taipei's morning, zone named; without a zone, UTC is named too.
func TestLocalTime(t *testing.T) {
	at := time.Date(2026, 12, 7, 23, 9, 0, 0, time.UTC)
	taipei, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	if got := localTime(at, taipei); got != "2026-12-08 07:09 (Asia/Taipei)" {
		t.Errorf("localTime = %q", got)
	}
	if got := isoTime(at, taipei); got != "2026-12-08T07:09:00+08:00" {
		t.Errorf("isoTime = %q", got)
	}
	if got := localTime(at, nil); got != "2026-12-07 23:09 (UTC)" {
		t.Errorf("localTime without a zone = %q", got)
	}
}
