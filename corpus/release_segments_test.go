package corpus_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release/releasetest"
	"github.com/dialect-corpus/dialect/transcript"
)

// submitTranscription stores segs as the clip's transcription, as the
// transcription API does after its checks (ValidateSegments, lint).
func submitTranscription(tb testing.TB, db *corpus.DB, clipID string, author int64, segs []corpus.Segment) *corpus.Transcription {
	tb.Helper()
	if err := corpus.ValidateSegments(segs, 30, 1); err != nil {
		tb.Fatal(err)
	}
	var texts []string
	for _, s := range segs {
		texts = append(texts, s.Text)
	}
	tr := &corpus.Transcription{ClipID: clipID, AuthorID: author, Segments: segs, Text: strings.Join(texts, "\n")}
	if err := db.SubmitTranscription(context.Background(), tr); err != nil {
		tb.Fatalf("SubmitTranscription: %v", err)
	}
	return tr
}

// lintTexts reads data as `dialect lint` does (transcript.LintStream) and
// returns the findings of the project's default rules and, with T014 set to
// one character so that every utterance reports itself, the texts read.
func lintTexts(tb testing.TB, data []byte, f transcript.Format) (findings, texts []string) {
	tb.Helper()
	echo := transcript.DefaultConfig()
	echo.MaxLength = 1
	for _, cfg := range []transcript.Config{transcript.DefaultConfig(), echo} {
		err := transcript.LintStream(bytes.NewReader(data), transcript.ReadOptions{Format: f}, cfg, func(u transcript.Utterance, fs []transcript.Finding) error {
			if cfg.MaxLength == 1 {
				texts = append(texts, u.Text)
				return nil
			}
			for _, x := range fs {
				findings = append(findings, x.Rule+" "+x.Message+": "+u.Text)
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("lint %s: %v", f, err)
		}
	}
	return findings, texts
}

// kaldiFile is a Kaldi file of the archive: the top-level one of a flat
// archive, or those of its split directories, one after the other.
func kaldiFile(a *releasetest.Archive, name string) string {
	if a.Top == "" {
		return string(a.Files[name])
	}
	var b strings.Builder
	for _, s := range []string{"train", "dev", "test"} {
		b.Write(a.Files["data/"+s+"/"+name])
	}
	return b.String()
}

// TestDB_ReleaseSegments (issue 7 item 6): a release of a project with a
// transcribed monologue and prompted clips carries the monologue's
// segments: a Kaldi directory with `segments` and text keyed by segment
// that passes validate_data_dir.sh's rules, and a TextGrid and an SRT file
// that dialect lint reads back with no finding and the same texts. The
// archives are byte-identical at every build, and a transcription submitted
// after the release, even one the clock dates before it, changes none of
// them.
func TestDB_ReleaseSegments(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	ctx := context.Background()
	clk := newClock(testEpoch)
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustReleaseFixture(t, db)
	p1 := f.addClip(t, db, f.speaker, 1, true)
	f.addClip(t, db, f.other, 2, true)

	mono := newClip(f.fixture, nil, "monologue-1")
	mono.Mode, mono.DurationS, mono.Transcript = "monologue", 30, ""
	mustCommitClip(t, db, mono, wav(4000))
	clk.Add(time.Minute)
	// A first try, then the corrected transcription: the release carries
	// the one that became the transcript.
	submitTranscription(t, db, mono.ID, f.speaker.ID, []corpus.Segment{{Start: 1, End: 9.5, Text: "今仔日天氣真好"}})
	clk.Add(time.Minute)
	segs := []corpus.Segment{
		{Start: 20, End: 30.004, Text: "Guá tsin huann-hí."}, // ends within the corpus's 10 ms of slack
		{Start: 1, End: 9.5, Text: "今仔日天氣真好。"},
		{Start: 10, End: 18.25, Text: "阮兜佇台南，真歡喜。"},
	}
	if tr := submitTranscription(t, db, mono.ID, f.speaker.ID, segs); !tr.Applied {
		t.Fatal("transcription of a clip waiting for review not applied")
	}
	clk.Add(time.Minute)
	if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: mono.ID, AuthorID: f.reviewer.ID, To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	r := mustRelease(t, db, f.project.ID)
	cs, err := db.ReleaseClips(ctx, r.ID, "", 100)
	if err != nil || len(cs) != 3 {
		t.Fatalf("release clips %v %v", cs, err)
	}
	utt := map[string]string{}
	for _, c := range cs {
		utt[c.ClipID] = c.Speaker + "-" + c.ClipID
	}
	m, prompted := utt[mono.ID], utt[p1]

	formats := []string{"kaldi", "hf", "nemo", "cv"}
	built := map[string][]byte{}
	for _, format := range formats {
		b := archiveBytes(t, db, r.ID, format)
		built[format] = b
		a, err := releasetest.Verify(bytes.NewReader(b), format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		var direct bytes.Buffer
		if _, err := db.WriteReleaseArchive(ctx, &direct, r, format); err != nil || !bytes.Equal(direct.Bytes(), b) {
			t.Fatalf("%s: a second build differs (%v)", format, err)
		}
		tg, srt := a.Files["textgrid/"+m+".TextGrid"], a.Files["srt/"+m+".srt"]
		if tg == nil || srt == nil {
			t.Fatalf("%s: no TextGrid or SRT of the monologue in %q", format, a.Names)
		}
		if _, ok := a.Files["textgrid/"+prompted+".TextGrid"]; ok {
			t.Fatalf("%s: a prompted clip has a TextGrid", format)
		}
		want := []string{segs[1].Text, segs[2].Text, segs[0].Text} // in time order
		for name, data := range map[transcript.Format][]byte{transcript.TextGrid: tg, transcript.SRT: srt} {
			findings, texts := lintTexts(t, data, name)
			if len(findings) > 0 {
				t.Errorf("%s %s: dialect lint finds %q", format, name, findings)
			}
			if strings.Join(texts, "|") != strings.Join(want, "|") {
				t.Errorf("%s %s: read back %q, want %q", format, name, texts, want)
			}
		}
		if format != "kaldi" {
			continue
		}
		wantSegs := m + "-1-00001 " + m + " 1.000 9.500\n" + m + "-1-00002 " + m + " 10.000 18.250\n" + m + "-1-00003 " + m + " 20.000 30.000\n"
		segsFile, textFile, u2s := kaldiFile(a, "segments"), kaldiFile(a, "text"), kaldiFile(a, "utt2spk")
		if !strings.Contains(segsFile, wantSegs) {
			t.Errorf("segments:\n%s\nwant the monologue's\n%s", segsFile, wantSegs)
		}
		// The prompted clip is a whole-file segment when its split's
		// directory is segmented (it shares one with the monologue).
		if a.Split[prompted] == a.Split[m] && !strings.Contains(segsFile, prompted+" "+prompted+" 0.000 5.000\n") {
			t.Errorf("segments:\n%s\nwant a whole-file segment of %s", segsFile, prompted)
		}
		wantText := m + "-1-00001 今仔日天氣真好。\n" + m + "-1-00002 阮兜佇台南，真歡喜。\n" + m + "-1-00003 Guá tsin huann-hí.\n"
		if !strings.Contains(textFile, wantText) {
			t.Errorf("text:\n%s\nwant\n%s", textFile, wantText)
		}
		if strings.Contains(textFile, m+" ") || !strings.Contains(u2s, m+"-1-00002 ") {
			t.Errorf("text or utt2spk not keyed by segment:\n%s%s", textFile, u2s)
		}
		if !strings.Contains(string(a.Files["README.md"]), "segments") {
			t.Error("README.md does not describe the segments")
		}
	}

	// After the release: a transcription of the accepted clip (stored
	// unapplied); then, with the clock set back before the release, the clip
	// taken back into review, transcribed again (applied) and accepted.
	later := []corpus.Segment{{Start: 1, End: 9.5, Text: "後來的轉寫。"}}
	clk.Add(time.Minute)
	if tr := submitTranscription(t, db, mono.ID, f.reviewer.ID, later); tr.Applied {
		t.Fatal("a transcription of an accepted clip was applied")
	}
	clk.Add(-time.Hour)
	for _, to := range []corpus.ClipStatus{corpus.StatusPendingReview, corpus.StatusAccepted} {
		if to == corpus.StatusAccepted {
			if tr := submitTranscription(t, db, mono.ID, f.speaker.ID, later); !tr.Applied || !tr.CreatedAt.Before(r.CreatedAt) {
				t.Fatalf("setup: transcription applied %v at %v, release at %v", tr.Applied, tr.CreatedAt, r.CreatedAt)
			}
		}
		if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: mono.ID, AuthorID: f.reviewer.ID, To: to, Reason: "re-review"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range formats {
		var again bytes.Buffer
		if _, err := db.WriteReleaseArchive(ctx, &again, r, format); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), built[format]) {
			t.Errorf("%s: a later transcription changed the release's archive", format)
		}
	}
	// The next release carries the new transcription.
	r2 := mustRelease(t, db, f.project.ID)
	a, err := releasetest.Verify(bytes.NewReader(archiveBytes(t, db, r2.ID, "kaldi")), "kaldi")
	if err != nil {
		t.Fatal(err)
	}
	if _, texts := lintTexts(t, a.Files["srt/"+m+".srt"], transcript.SRT); len(texts) != 1 || texts[0] != later[0].Text {
		t.Fatalf("release 2's SRT reads %q, want the new transcription", texts)
	}
	MustAudit(t, db)
}
