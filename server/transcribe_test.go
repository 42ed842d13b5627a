package server_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// TestTranscribeFlow drives the transcription API over a monologue: the
// proposed segments, peaks, the versioned draft, a submission refused for a
// lint error with its position, then accepted and applied to the clip.
func TestTranscribeFlow(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	sp := e.speaker("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	r := sp.upload(uuid(1), task, "low", "", monologue(1))
	if r.status != 201 || r.json()["status"] != "pending_review" {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	id := r.json()["clip_id"].(string)
	base := "/api/v1/clips/" + id

	r = sp.do("GET", base+"/segments/proposed", nil)
	var prop struct {
		Segments []corpus.Segment `json:"segments"`
	}
	if err := json.Unmarshal(r.body, &prop); r.status != 200 || err != nil || len(prop.Segments) == 0 {
		t.Fatalf("proposed: %d %s", r.status, r.body)
	}
	// The take is 1 s of noise, 10 s of speech, 1 s of noise.
	if first, last := prop.Segments[0], prop.Segments[len(prop.Segments)-1]; math.Abs(first.Start-1) > 0.15 || last.End > 11.3 {
		t.Errorf("proposed %+v: want speech from about 1 s to at most 11 s", prop.Segments)
	}
	if r := sp.do("GET", base+"/segments/proposed?gap=99", nil); r.status != 400 {
		t.Errorf("gap 99: %d", r.status)
	}

	r = sp.do("GET", base+"/peaks?count=100", nil)
	var peaks struct {
		Hops     int `json:"hops"`
		Per      int `json:"per"`
		Channels []struct {
			Min []int8 `json:"min"`
			Max []int8 `json:"max"`
		} `json:"channels"`
	}
	if err := json.Unmarshal(r.body, &peaks); r.status != 200 || err != nil || len(peaks.Channels) != 1 || len(peaks.Channels[0].Max) != 100 {
		t.Fatalf("peaks: %d %s", r.status, r.body)
	}
	if r := sp.do("GET", base+"/peaks?count=9000", nil); r.status != 400 {
		t.Errorf("9000 peaks: %d, want 400 (bounded)", r.status)
	}

	if r := sp.do("GET", base+"/transcription/draft", nil); r.status != 200 || r.json()["version"].(float64) != 0 {
		t.Fatalf("no draft yet: %d %s", r.status, r.body)
	}
	segs := []corpus.Segment{{Start: 1, End: 5, Text: "我、你"}, {Start: 5.5, End: 10.5, Text: "好。"}}
	draft := map[string]any{"version": 0, "segments": segs, "cursor": map[string]int{"segment": 0, "offset": 2}}
	if r := sp.do("PUT", base+"/transcription/draft", draft); r.status != 200 || r.json()["version"].(float64) != 1 {
		t.Fatalf("save draft: %d %s", r.status, r.body)
	}
	if r := sp.do("PUT", base+"/transcription/draft", draft); r.status != 409 || r.errCode() != "stale_draft" {
		t.Fatalf("stale draft: %d %s", r.status, r.body)
	}
	bad := map[string]any{"version": 1, "segments": []corpus.Segment{{Start: 1, End: 99, Text: "x"}}}
	if r := sp.do("PUT", base+"/transcription/draft", bad); r.status != 400 {
		t.Fatalf("segment past the end: %d %s", r.status, r.body)
	}
	r = sp.do("GET", base+"/transcription/draft", nil)
	if r.status != 200 || r.json()["version"].(float64) != 1 || r.json()["cursor"].(map[string]any)["offset"].(float64) != 2 {
		t.Fatalf("draft back: %d %s", r.status, r.body)
	}

	// A lint error refuses the submission, with where it is.
	r = sp.do("POST", base+"/transcription", map[string]any{"segments": segs})
	if r.status != 422 || r.errCode() != "transcript_errors" {
		t.Fatalf("submit with 、: %d %s", r.status, r.body)
	}
	fs := r.json()["error"].(map[string]any)["finding"].([]any)
	f := fs[0].(map[string]any)
	if f["segment"].(float64) != 0 || f["column"].(float64) != 2 || f["rule"] != "T001" || f["fix"] != "，" {
		t.Fatalf("finding %v", f)
	}
	if r := sp.do("GET", base+"/transcription", nil); r.status != 404 {
		t.Fatalf("a refused submission was stored: %d", r.status)
	}

	segs[0].Text = "我，你"
	r = sp.do("POST", base+"/transcription", map[string]any{"segments": []corpus.Segment{segs[1], segs[0]}})
	if r.status != 201 || r.json()["applied"] != true {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	cl, err := e.db.Clip(context.Background(), id)
	if err != nil || cl.Transcript != "我，你\n好。" || cl.Status != corpus.StatusPendingReview {
		t.Fatalf("clip after submit: %+v %v", cl, err)
	}
	ds, _ := e.db.Decisions(context.Background(), id)
	if last := ds[len(ds)-1]; last.Reason != corpus.ReasonTranscription || last.From != last.To {
		t.Fatalf("last event %+v", last)
	}
	if r := sp.do("GET", base+"/transcription", nil); r.status != 200 || !strings.Contains(string(r.body), "我，你") {
		t.Fatalf("transcription back: %d %s", r.status, r.body)
	}
	if r := sp.do("POST", base+"/transcription", map[string]any{"segments": []corpus.Segment{}}); r.status != 422 || r.errCode() != "empty_transcription" {
		t.Fatalf("empty: %d %s", r.status, r.body)
	}

	// Who may: the speaker, reviewers of the project, admins; another
	// speaker gets the 404 of a clip that does not exist.
	for name, want := range map[string]int{"siu-ing": 404, "reviewer": 200, "admin": 200} {
		c := e.signIn(name)
		for _, p := range []string{"/transcription/draft", "/peaks", "/segments/proposed", "/transcription/audio"} {
			if r := c.do("GET", base+p, nil, "Range", "bytes=0-99"); r.status != want && (want != 200 || r.status != 206) {
				t.Errorf("%s GET %s: %d, want %d", name, p, r.status, want)
			}
		}
		if r := c.do("GET", "/transcribe/"+id, nil); r.status != want {
			t.Errorf("%s page: %d, want %d", name, r.status, want)
		}
	}
	if r := sp.do("GET", base+"/transcription/audio", nil, "Range", "bytes=0-99"); r.status != 206 || len(r.body) != 100 {
		t.Errorf("audio range: %d, %d bytes", r.status, len(r.body))
	}

	// A prompted clip is not transcribed here.
	pid, _ := sp.record(2, "", nil)
	if r := sp.do("GET", "/api/v1/clips/"+pid+"/transcription/draft", nil); r.status != 409 || r.errCode() != "not_transcribable" {
		t.Errorf("prompted clip: %d %s", r.status, r.body)
	}

	// The home pages link here: the speaker's monologue (not the prompted
	// clip, nor the monologue once rejected), and the admin's statistics.
	home := string(sp.do("GET", "/", nil).body)
	if !strings.Contains(home, `href="/transcribe/`+id+`"`) || !strings.Contains(home, `轉寫 <span class="en" lang="en">Transcribe</span>`) {
		t.Errorf("speaker's home has no transcribe link for %s", id)
	}
	if strings.Contains(home, `href="/transcribe/`+pid+`"`) {
		t.Errorf("speaker's home links the prompted clip %s to the transcription page", pid)
	}
	if home := string(e.signIn("admin").do("GET", "/", nil).body); !strings.Contains(home, `href="/stats"`) || !strings.Contains(home, "統計") {
		t.Error("admin's home has no link to /stats")
	}
	if home := string(e.signIn("reviewer").do("GET", "/", nil).body); !strings.Contains(home, `href="/review"`) || strings.Contains(home, `href="/stats"`) {
		t.Error("reviewer's home: want the /review link and no /stats link")
	}
	if err := e.db.AppendDecision(context.Background(), &corpus.Decision{ClipID: id, AuthorID: e.users["reviewer"].ID,
		To: corpus.StatusRejected, Reason: "noise"}); err != nil {
		t.Fatal(err)
	}
	if home := string(sp.do("GET", "/", nil).body); strings.Contains(home, `href="/transcribe/`+id+`"`) {
		t.Error("a rejected clip still links to the transcription page")
	}
	e.mustAudit()
}
