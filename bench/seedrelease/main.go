// Command seedrelease fills a fresh corpus for the download benchmark
// (reliability.md L-04): the demo project with its prompts, consenting
// speakers, a reviewer, n accepted clips made by validate/wavtest (16 kHz
// mono 16-bit, a few distinct recordings cycled), and vendor tokens. It
// prints one token a line on standard output.
//
//	seedrelease -dir DATA -clips 1250 -seconds 5 -tokens 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

func main() {
	dir := flag.String("dir", "dialect-data", "corpus data directory (created)")
	n := flag.Int("clips", 1250, "accepted clips")
	seconds := flag.Float64("seconds", 5, "seconds per clip")
	speakers := flag.Int("speakers", 40, "speakers")
	tokens := flag.Int("tokens", 3, "vendor tokens to print")
	flag.Parse()
	if err := seed(*dir, *n, *seconds, *speakers, *tokens); err != nil {
		fmt.Fprintln(os.Stderr, "seedrelease:", err)
		os.Exit(1)
	}
}

func seed(dir string, n int, seconds float64, nspk, ntok int) (err error) {
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
	rv := &corpus.User{Username: "bench-reviewer", Role: corpus.RoleReviewer, ProjectID: p.ID}
	if err := db.CreateUser(ctx, rv); err != nil {
		return err
	}
	regions := []string{"臺南市", "臺北市", "宜蘭縣", "高雄市", "彰化縣"}
	var spk []*corpus.User
	for i := range nspk {
		u := &corpus.User{Username: fmt.Sprintf("bench-speaker-%03d", i), Role: corpus.RoleSpeaker, ProjectID: p.ID,
			ConsentVersion: p.ConsentVersion, DialectRegion: regions[i%len(regions)], AgeBand: []string{"20_29", "30_39", "60_69"}[i%3],
			Gender: []string{"female", "male"}[i%2]}
		if err := db.CreateUser(ctx, u); err != nil {
			return err
		}
		spk = append(spk, u)
	}
	tmp, err := os.MkdirTemp("", "seedrelease")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }() // best effort: generated sample WAVs, already read into memory
	paths, _, err := wavtest.WriteClips(tmp, min(n, 8), seconds)
	if err != nil {
		return err
	}
	var bodies [][]byte
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	var total int64
	for i := range n {
		up, err := db.NewUpload()
		if err != nil {
			return err
		}
		b := bodies[i%len(bodies)]
		if _, err := up.Write(b); err != nil {
			return err
		}
		u := spk[i%len(spk)]
		c := &corpus.Clip{ProjectID: p.ID, SpeakerID: u.ID, ClientClipID: fmt.Sprintf("bench-%06d", i), DurationS: seconds,
			SampleRate: 16000, Channels: 1, Bits: 16, Mode: "prompted", NoiseBand: []string{"low", "medium", "high"}[i%3],
			Transcript: "今仔日天氣真好。", Receipt: []byte(`{"findings":[]}`)}
		if err := db.CommitClip(ctx, c, up); err != nil {
			return err
		}
		if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: c.ID, AuthorID: rv.ID, To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
			return err
		}
		total += int64(len(b))
	}
	for i := range ntok {
		raw, hash := server.NewToken()
		if err := db.CreateToken(ctx, &corpus.Token{Hash: hash, Vendor: fmt.Sprintf("bench-vendor-%d", i), ProjectID: p.ID}); err != nil {
			return err
		}
		// Shown once, stored hashed: a token that cannot be printed is lost.
		if _, err := fmt.Println(raw); err != nil {
			return fmt.Errorf("print token: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "seeded %d accepted clips, %.1f MB, in %s\n", n, float64(total)/1e6, filepath.Join(dir, "clips"))
	return nil
}
