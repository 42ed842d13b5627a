// Command pageseed fills a fresh corpus so that every page has what it
// shows in use, for bench/lighthouse.sh: the demo project; a speaker who has
// consented, with an accepted take, a take a reviewer rejected (so the
// appeal form shows), one the automatic checks rejected (with a finding)
// and an accepted monologue (for the transcription page); a second speaker
// with takes waiting for review; a reviewer, an admin and a vendor; a
// release. Every account's password is -password. It prints the
// monologue's clip id on standard output.
//
//	pageseed -dir DATA -password PASS
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

func main() {
	dir := flag.String("dir", "dialect-data", "corpus data directory (created)")
	pw := flag.String("password", "", "every account's password (required)")
	flag.Parse()
	if *pw == "" {
		fmt.Fprintln(os.Stderr, "pageseed: -password is required")
		os.Exit(2)
	}
	if err := seed(*dir, *pw); err != nil {
		fmt.Fprintln(os.Stderr, "pageseed:", err)
		os.Exit(1)
	}
}

const rejectedReceipt = `{"findings":[{"rule":"A011","severity":"error","message":"SNR 8.0 dB is below the low band's minimum of 25 dB",` +
	`"message_zh":"訊噪比 8.0 dB，低於低噪音等級的下限 25 dB","measured":8,"threshold":">= 25","unit":"dB",` +
	`"measured_text":"8.0 dB","measured_text_zh":"8.0 dB","threshold_text":"at least 25.0 dB","threshold_text_zh":"至少 25.0 dB"}],` +
	`"measurements":{"noise_floor_dbfs":-30,"speech_level_dbfs":-22,"snr_db":8,"noise_band":"high"}}`

func seed(dir, pw string) (err error) {
	ctx := context.Background()
	db, err := corpus.Open(ctx, dir, corpus.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close corpus: %w", cerr)
		}
	}()
	p := recorder.DemoProject()
	if err := db.CreateProject(ctx, &p); err != nil {
		return err
	}
	if _, err := db.AddPrompts(ctx, p.ID, recorder.DemoPrompts()); err != nil {
		return err
	}
	hash, err := server.HashPassword(pw)
	if err != nil {
		return err
	}
	user := func(name string, role corpus.Role, consented bool) (*corpus.User, error) {
		u := &corpus.User{Username: name, Role: role, PasswordHash: hash}
		if role != corpus.RoleAdmin {
			u.ProjectID = p.ID
		}
		if consented {
			u.ConsentVersion, u.DialectRegion, u.AgeBand, u.Gender = p.ConsentVersion, "臺南市", "30_39", "female"
		}
		return u, db.CreateUser(ctx, u)
	}
	sp, err := user("lh-speaker", corpus.RoleSpeaker, true)
	if err != nil {
		return err
	}
	other, err := user("lh-speaker-2", corpus.RoleSpeaker, true)
	if err != nil {
		return err
	}
	helper, err := user("lh-helper", corpus.RoleReviewer, false)
	if err != nil {
		return err
	}
	for _, n := range []string{"lh-reviewer", "lh-vendor", "lh-admin"} {
		role := map[string]corpus.Role{"lh-reviewer": corpus.RoleReviewer, "lh-vendor": corpus.RoleVendor, "lh-admin": corpus.RoleAdmin}[n]
		if _, err := user(n, role, false); err != nil {
			return err
		}
	}
	n := uint64(0)
	clip := func(u *corpus.User, mode string, status corpus.ClipStatus, text string) (string, error) {
		n++
		rng := rand.New(rand.NewPCG(n, 17))
		speech := 3.0
		if mode == "monologue" {
			speech = 40
		}
		mix, _ := wavtest.Clip(rng, 16000, 1, speech, 1, -18, wavtest.White, -65)
		up, err := db.NewUpload()
		if err != nil {
			return "", err
		}
		if _, err := up.Write(wavtest.Encode(wavtest.PCM16, mix)); err != nil {
			return "", err
		}
		receipt := `{"findings":[],"measurements":{"noise_floor_dbfs":-65,"speech_level_dbfs":-18.2,"snr_db":47,"noise_band":"low"}}`
		if status == corpus.StatusRejected {
			receipt = rejectedReceipt
		}
		c := &corpus.Clip{ProjectID: p.ID, SpeakerID: u.ID, ClientClipID: fmt.Sprintf("lh-%03d", n), DurationS: speech + 2,
			SampleRate: 16000, Channels: 1, Bits: 16, Mode: mode, NoiseBand: "low", Transcript: text, Status: status, Receipt: []byte(receipt)}
		return c.ID, db.CommitClip(ctx, c, up)
	}
	vote := func(id string, v corpus.Vote, reason string) error {
		_, err := db.SubmitReview(ctx, corpus.ReviewInput{ClipID: id, ReviewerID: helper.ID, Vote: v, Reason: reason})
		return err
	}
	var mono string
	for _, c := range []struct {
		mode, vote, reason string
		status             corpus.ClipStatus
	}{
		{"prompted", "accept", "", corpus.StatusPendingReview},
		{"prompted", "reject", "wrong_text", corpus.StatusPendingReview},
		{"prompted", "", "", corpus.StatusRejected},
		{"monologue", "accept", "", corpus.StatusPendingReview},
	} {
		id, err := clip(sp, c.mode, c.status, "我是台南人。")
		if err != nil {
			return err
		}
		if c.vote != "" {
			if err := vote(id, corpus.Vote(c.vote), c.reason); err != nil {
				return err
			}
		}
		if c.mode == "monologue" {
			mono = id
		}
	}
	// Takes waiting for review: one for each time the review page is opened.
	for i := range 12 {
		text := []string{"你好,世界", "今仔日天氣真好。", "我是台南人。"}[i%3]
		if _, err := clip(other, "prompted", corpus.StatusPendingReview, text); err != nil {
			return err
		}
	}
	if _, err := db.CreateRelease(ctx, p.ID, corpus.ReleaseOptions{}); err != nil {
		return err
	}
	_, err = fmt.Println(mono)
	return err
}
