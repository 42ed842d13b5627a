//go:build failpoints

package main

// F-04 (reliability.md B1): deterministic crash points in CommitClip. Run
// with `go test -tags failpoints -run TestF04 ./cmd/dialect` (make test
// does): the corpus package then exits with status 137 at the point named by
// DIALECT_FAILPOINT (corpus/failpoint_on.go).

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestF04CrashPoints dies once at each step of storing a clip, restarts,
// and checks the clip is absent or whole, never half; the speaker's retry
// with the same client_clip_id then leaves exactly one row.
func TestF04CrashPoints(t *testing.T) {
	points := []string{"after-temp-write", "after-fsync", "after-rename", "after-dir-fsync", "in-tx", "after-commit"}
	table := []string{fmt.Sprintf("%-17s %-5s %-22s %-12s %-9s %-5s %s", "crash point", "exit", "after restart", "orphan file", "temp file", "retry", "rows for the take")}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			names := seedCorpus(t, dir, 1)
			p := serve(t, dir, "DIALECT_FAILPOINT="+point)
			sp, err := signInSpeaker(p.base, names[0])
			if err != nil {
				t.Fatal(err)
			}
			tk, err := sp.nextTask()
			if err != nil {
				t.Fatal(err)
			}
			audio := stamp(baseClip(21), 1)
			id := newClientClipID()
			status, body, _, err := sp.upload(id, tk, audio)
			sp.close()
			if err == nil {
				t.Fatalf("the server answered %d %s instead of dying at %s (built without -tags failpoints?)", status, body, point)
			}
			code, ok := p.wait(10 * time.Second)
			if !ok || code != 137 {
				t.Fatalf("crash at %s: exit %d (done %v), want 137", point, code, ok)
			}

			p = serve(t, dir)
			rep := mustAuditDir(t, dir) // never a half clip: rows have whole files
			state := "absent"
			if rep.Clips == 1 {
				state = "present, whole"
			} else if rep.Clips != 0 {
				t.Fatalf("%d rows after one upload", rep.Clips)
			}
			sp, err = signInSpeaker(p.base, names[0])
			if err != nil {
				t.Fatal(err)
			}
			defer sp.close()
			if rep.Clips == 1 {
				// The row that survived is this take, whole.
				var list struct {
					Clips []struct {
						ID     string `json:"id"`
						SHA256 string `json:"sha256"`
					} `json:"clips"`
				}
				_, b, _, _ := sp.do("GET", "/api/v1/clips", nil)
				if err := json.Unmarshal(b, &list); err != nil || len(list.Clips) != 1 || list.Clips[0].SHA256 != sha(audio) {
					t.Fatalf("surviving clip is not the take sent: %s", b)
				}
			}

			// The client never saw an answer: it retries the same take.
			status, body, _, err = sp.upload(id, tk, audio)
			if err != nil {
				t.Fatal(err)
			}
			wantStatus := 201
			if state != "absent" {
				wantStatus = 200 // the first receipt
			}
			if status != wantStatus {
				t.Errorf("retry after a crash at %s (%s): %d %s, want %d", point, state, status, body, wantStatus)
			}
			var r receipt
			_ = json.Unmarshal(body, &r)
			if lost, bad := verifyAcks(t, p.base, []ack{{Speaker: sp.name, ClientClipID: id, ClipID: r.ClipID, SHA256: r.SHA256, SentSHA: sha(audio)}}); lost+bad != 0 {
				t.Fatalf("retried clip not stored whole")
			}
			var list struct {
				Clips []struct {
					ClientClipID string `json:"client_clip_id"`
				} `json:"clips"`
			}
			_, b, _, _ := sp.do("GET", "/api/v1/clips", nil)
			_ = json.Unmarshal(b, &list)
			rows := 0
			for _, c := range list.Clips {
				if c.ClientClipID == id {
					rows++
				}
			}
			if rows != 1 {
				t.Errorf("%d rows for the take after the retry, want exactly 1", rows)
			}
			final := mustAuditDir(t, dir)
			if final.Clips != 1 {
				t.Errorf("audit after the retry: %+v", *final)
			}
			p.term()
			table = append(table, fmt.Sprintf("%-17s %-5d %-22s %-12d %-9d %-5d %d", point, code, state, rep.OrphanFiles, rep.TempFiles, status, rows))
		})
	}
	t.Logf("F-04 outcome per crash point (orphan and temp files as found at restart; the reconciler removes them after the grace period / 24 h):\n%s",
		strings.Join(table, "\n"))
}
