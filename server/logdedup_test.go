package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestDedupHandlerFoldsRepeatedErrors: 1,000 identical failures within the
// interval make one line; the next after the interval carries the count;
// other errors, and warnings (audit lines), pass untouched.
func TestDedupHandlerFoldsRepeatedErrors(t *testing.T) {
	var buf bytes.Buffer
	h := NewDedupHandler(slog.NewJSONHandler(&buf, nil), 10*time.Second)
	now := time.Unix(1_800_000_000, 0)
	h.(*dedupHandler).st.now = func() time.Time { return now }
	log := slog.New(h).With("component", "test")
	for i := range 1000 {
		log.Error("request failed", "request_id", i, "path", "/api/v1/clips", "code", "no_space", "err", "write tmp/x"+strings.Repeat("1", i%7)+": no space left on device")
	}
	log.Error("request failed", "path", "/api/v1/clips", "code", "busy", "err", "locked")
	for range 3 {
		log.Warn("sign-in failed", "username", "a")
	}
	now = now.Add(11 * time.Second)
	log.Error("request failed", "path", "/api/v1/clips", "code", "no_space", "err", "write tmp/y: no space left on device")
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		lines = append(lines, m)
	}
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6 (first no_space, busy, 3 warnings, no_space with count):\n%s", len(lines), buf.String())
	}
	last := lines[5]
	if last["code"] != "no_space" || last["repeated"] != float64(999) || last["component"] != "test" || last["repeated_over_s"] != float64(11) {
		t.Errorf("last line: %v", last)
	}
	if _, ok := lines[0]["repeated"]; ok {
		t.Errorf("first line has a count: %v", lines[0])
	}
}

// TestDedupHandlerFlushesOnOtherRecords: a count left behind when the
// errors stop goes out with the next record of any kind after the interval.
func TestDedupHandlerFlushesOnOtherRecords(t *testing.T) {
	var buf bytes.Buffer
	h := NewDedupHandler(slog.NewJSONHandler(&buf, nil), time.Second)
	now := time.Unix(1_800_000_000, 0)
	h.(*dedupHandler).st.now = func() time.Time { return now }
	log := slog.New(h)
	for range 5 {
		log.Error("disk", "err", "full")
	}
	now = now.Add(2 * time.Second)
	log.InfoContext(context.Background(), "request", "status", 200)
	out := buf.String()
	if n := strings.Count(out, `"msg":"disk"`); n != 2 || !strings.Contains(out, `"repeated":4`) {
		t.Errorf("want the first line and one with repeated 4, got:\n%s", out)
	}
}
