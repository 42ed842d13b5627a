package main

// F-03 (reliability.md B1): reviewers submit decisions while the server is
// SIGKILLed; after each restart every acknowledged decision is there, no
// clip is accepted without its ledger entry nor has an entry without being
// accepted, and the B0 audit (items 1–5) passes. Some requests are cancelled
// by their client mid-flight (F-11): their outcome is unknown to the client,
// but never half-written.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

// seedReviewers adds n reviewers to the demo project and returns their names.
func seedReviewers(t *testing.T, db *corpus.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	p, err := db.ProjectBySlug(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("reviewer-%02d", i)
		u := corpus.User{Username: names[i], Role: corpus.RoleReviewer, ProjectID: p.ID, PasswordHash: speakerHash()}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// seedPending adds n clips waiting for review, spread over the speakers.
// The files are small: the review does not look at the audio.
func seedPending(t *testing.T, db *corpus.DB, speakers []string, n, batch int) {
	t.Helper()
	ctx := context.Background()
	p, err := db.ProjectBySlug(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	var sp []*corpus.User
	for _, name := range speakers {
		u, err := db.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		sp = append(sp, u)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			up, err := db.NewUpload()
			if err != nil {
				errs <- err
				return
			}
			if _, err := fmt.Fprintf(up, "RIFF-review-seed-%d-%06d", batch, i); err != nil {
				errs <- err
				return
			}
			c := &corpus.Clip{ProjectID: p.ID, SpeakerID: sp[i%len(sp)].ID, ClientClipID: fmt.Sprintf("seed-%d-%06d", batch, i),
				DurationS: 1 + float64(i%97)*0.137, SampleRate: 16000, Channels: 1, Bits: 16, Mode: "prompted",
				NoiseBand: "low", Transcript: "你好", Receipt: []byte(`{"findings":[]}`)}
			errs <- db.CommitClip(ctx, c, up)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// decisionAck is a decision the server answered 200 to.
type decisionAck struct {
	Reviewer, ClipID, Reason string
	EventID                  int64
	Status                   corpus.ClipStatus
}

type decisionOutcome struct {
	mu        sync.Mutex
	acks      []decisionAck
	attempts  int
	cancelled int // requests the client gave up on (F-11)
	transport int
	statuses  map[int]int
}

var rejectReasons = []string{"wrong_text", "unintelligible", "wrong_dialect", "noise_band_wrong", "multiple_speakers", "clipping_distortion", "other"}

// runReviewers has each reviewer take the next clip and decide it, in a
// loop, until the server stops answering or there is nothing left.
func runReviewers(revs []*speakerClient, o *decisionOutcome) {
	var wg sync.WaitGroup
	for i, rv := range revs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for {
				status, body, _, err := rv.do("GET", "/api/v1/review/next", nil)
				if err != nil || status != 200 {
					return
				}
				var next struct {
					ClipID string `json:"clip_id"`
				}
				if json.Unmarshal(body, &next) != nil {
					return
				}
				req := map[string]any{"decision": "accept"}
				if rng.IntN(3) == 0 {
					r := rejectReasons[rng.IntN(len(rejectReasons))]
					req = map[string]any{"decision": "reject", "reason": r, "note": "F-03 " + r, "marker_s": rng.Float64()}
				}
				// One request in eight is cancelled by its client after a
				// random few milliseconds (F-11).
				cancel := rng.IntN(8) == 0
				status, body, err = postDecision(rv, next.ClipID, req, cancel, time.Duration(rng.IntN(4000))*time.Microsecond)
				o.mu.Lock()
				o.attempts++
				switch {
				case err != nil && cancel:
					o.cancelled++
				case err != nil:
					o.transport++
				case status == 200:
					var res struct {
						Status   corpus.ClipStatus `json:"status"`
						Decision struct {
							ID     int64  `json:"id"`
							Reason string `json:"reason"`
						} `json:"decision"`
					}
					if json.Unmarshal(body, &res) == nil {
						o.acks = append(o.acks, decisionAck{rv.name, next.ClipID, res.Decision.Reason, res.Decision.ID, res.Status})
					}
				default:
					if o.statuses == nil {
						o.statuses = map[int]int{}
					}
					o.statuses[status]++
				}
				o.mu.Unlock()
				if err != nil && !cancel {
					return
				}
				time.Sleep(time.Duration(10+rng.IntN(20)) * time.Millisecond) // listening to the next one
			}
		}()
	}
	wg.Wait()
}

func postDecision(rv *speakerClient, clipID string, req map[string]any, cancel bool, after time.Duration) (int, []byte, error) {
	if !cancel {
		status, body, _, err := rv.do("POST", "/api/v1/review/"+clipID, req)
		return status, body, err
	}
	ctx, stop := context.WithTimeout(context.Background(), after)
	defer stop()
	b, _ := json.Marshal(req)
	r, err := http.NewRequestWithContext(ctx, "POST", rv.base+"/api/v1/review/"+clipID, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-CSRF-Token", rv.csrf)
	resp, err := rv.hc.Do(r)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }() // the answer is decoded below; its close has nothing to add
	var out json.RawMessage
	err = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, err
}

// TestF03KillMidDecision is F-03 with F-11 mixed in: 5 rounds.
func TestF03KillMidDecision(t *testing.T) {
	rounds := envInt("KILL_DECISION_ROUNDS", 5)
	nrev := envInt("KILL_DECISION_REVIEWERS", 20)
	perRound := envInt("KILL_DECISION_CLIPS_PER_ROUND", 300)
	dir := filepath.Join(t.TempDir(), "data")
	speakers := seedCorpus(t, dir, 4)
	var revNames []string
	var all []decisionAck
	for round := 1; round <= rounds; round++ {
		// With the server down: more clips to review (and the reviewers, once).
		db, err := corpus.Open(context.Background(), dir, corpus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if revNames == nil {
			revNames = seedReviewers(t, db, nrev)
		}
		seedPending(t, db, speakers, perRound, round)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		p := serve(t, dir)
		revs := signInAll(t, p.base, revNames)
		var o decisionOutcome
		done := make(chan struct{})
		go func() { runReviewers(revs, &o); close(done) }()
		killAt := 300*time.Millisecond + time.Duration(rand.Int64N(int64(900*time.Millisecond)))
		time.Sleep(killAt)
		p.kill()
		<-done
		for _, rv := range revs {
			rv.close()
		}
		all = append(all, o.acks...)

		// Every acknowledged decision is in the history, as acknowledged.
		db, err = corpus.Open(context.Background(), dir, corpus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, 0, len(all))
		for _, a := range all {
			ids = append(ids, a.ClipID)
		}
		h, err := db.History(context.Background(), ids)
		if err != nil {
			t.Fatal(err)
		}
		lost := 0
		for _, a := range all {
			found := false
			for _, ev := range h[a.ClipID] {
				if ev.ID == a.EventID && ev.Reason == a.Reason && ev.To == a.Status && ev.Kind == corpus.KindReview {
					found = true
				}
			}
			if !found {
				lost++
				t.Errorf("LOST: acknowledged decision %d (%s on %s by %s) is not in the history", a.EventID, a.Reason, a.ClipID, a.Reviewer)
			}
		}
		rep, err := db.Audit(context.Background(), false)
		if cerr := db.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("F-03 round %d: killed at %v; %d decision requests, acked %d (total %d), lost %d, cancelled by client %d, "+
			"transport errors %d, other statuses %v; decisions %d, ledger entries %d, ledger %d cents = accepted %d cents, half states %d",
			round, killAt.Round(time.Millisecond), o.attempts, len(o.acks), len(all), lost, o.cancelled, o.transport, o.statuses,
			rep.Decisions, rep.LedgerEntries, rep.LedgerCents, rep.AcceptedCents, rep.LedgerMismatches)
		if !rep.OK() || rep.LedgerMismatches != 0 || !rep.LedgerChainOK || rep.LedgerCents != rep.AcceptedCents {
			t.Fatalf("round %d: audit %+v", round, *rep)
		}
		if len(o.acks) == 0 {
			t.Errorf("round %d: no decision was acknowledged before the kill", round)
		}
		if lost != 0 {
			t.Fatalf("round %d: %d acknowledged decisions lost", round, lost)
		}
	}
	rep := mustAuditDir(t, dir)
	t.Logf("F-03 total over %d rounds, %d reviewers: acked %d decisions, lost 0; %d ledger entries, %d cents",
		rounds, nrev, len(all), rep.LedgerEntries, rep.LedgerCents)
}
