package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

// TestFlow is the speaker's path over HTTP: sign in, consent, task, a good
// clip, a noisy one, a retry, their list; another speaker sees none of it.
func TestFlow(t *testing.T) {
	e := newEnv(t, server.Options{})
	admin := e.signIn("admin")

	// The admin makes a project and a speaker over the API.
	r := admin.do("POST", "/api/v1/admin/projects", map[string]any{"name": "Tainan 2026", "slug": "tainan-2026",
		"modes": []string{"prompted"}, "band_quota": map[string]int{"low": 1}, "consent_text": "我同意。I agree."})
	if r.status != 201 {
		t.Fatalf("create project: %d %s", r.status, r.body)
	}
	pid := int64(r.json()["id"].(float64))
	if r := admin.do("POST", "/api/v1/admin/projects/"+itoa(pid)+"/prompts", map[string]any{"prompts": []map[string]string{{"text": "今仔日天氣真好。", "romanized": "Kin-á-ji̍t thinn-khì tsin hó."}}}); r.status != 200 {
		t.Fatalf("add prompts: %d %s", r.status, r.body)
	}
	r = admin.do("POST", "/api/v1/admin/users", map[string]any{"username": "a-hui", "role": "speaker", "project_id": pid, "password": testPassword})
	if r.status != 201 {
		t.Fatalf("create user: %d %s", r.status, r.body)
	}

	sp := e.signIn("a-hui")
	me := sp.do("GET", "/api/v1/me", nil)
	if me.status != 200 || me.json()["consent_required"] != true {
		t.Fatalf("me: %d %s", me.status, me.body)
	}
	if r := sp.do("GET", "/api/v1/tasks/next", nil); r.status != 409 || r.errCode() != "consent_required" {
		t.Fatalf("task before consent: %d %s", r.status, r.body)
	}
	if r := sp.do("PUT", "/api/v1/me/profile", map[string]string{"dialect_region": "臺南市", "age_band": "20_29", "gender": "female"}); r.status != 200 {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	task := sp.do("GET", "/api/v1/tasks/next", nil)
	if task.status != 200 {
		t.Fatalf("task: %d %s", task.status, task.body)
	}
	tj := task.json()
	taskID, band := tj["task_id"].(string), tj["noise_band"].(string)
	if tj["mode"] != "prompted" || tj["prompt"] != "今仔日天氣真好。" || band != "low" {
		t.Fatalf("task %s", task.body)
	}

	good := sp.upload(uuid(1), taskID, band, "今仔日天氣真好。", clip(1, -65))
	if good.status != 201 || good.json()["status"] != "pending_review" {
		t.Fatalf("good clip: %d %s", good.status, good.body)
	}
	// The same take again (a lost response): the first receipt, 200.
	again := sp.upload(uuid(1), taskID, band, "今仔日天氣真好。", clip(1, -65))
	if again.status != 200 || string(again.body) != string(good.body) {
		t.Fatalf("retry: %d\n%s\nwant\n%s", again.status, again.body, good.body)
	}
	// A noisy take for a low-band task: stored, rejected with A012 and the figure.
	task2 := sp.do("GET", "/api/v1/tasks/next", nil).json()
	noisy := sp.upload(uuid(2), task2["task_id"].(string), task2["noise_band"].(string), "今仔日天氣真好。", clip(2, -38))
	nj := noisy.json()
	if noisy.status != 201 || nj["status"] != "rejected" || !strings.Contains(string(noisy.body), `"rule":"A012"`) {
		t.Fatalf("noisy clip: %d %s", noisy.status, noisy.body)
	}
	list := sp.do("GET", "/api/v1/clips?mine=1", nil)
	if n := len(list.json()["clips"].([]any)); list.status != 200 || n != 2 {
		t.Fatalf("list: %d, %d clips", list.status, n)
	}
	goodID := good.json()["clip_id"].(string)
	if r := sp.do("GET", "/api/v1/clips/"+goodID, nil); r.status != 200 {
		t.Fatalf("own clip: %d", r.status)
	}
	audio := sp.do("GET", "/api/v1/clips/"+goodID+"/audio", nil)
	if audio.status != 200 || audio.header.Get("Content-Type") != "audio/wav" || string(audio.body) != string(clip(1, -65)) {
		t.Fatalf("audio: %d %s", audio.status, audio.header.Get("Content-Type"))
	}

	// Another speaker: the same 404 as a clip that does not exist (S-02).
	other := e.signIn("siu-ing")
	for _, p := range []string{"/api/v1/clips/" + goodID, "/api/v1/clips/" + goodID + "/audio", "/api/v1/clips/00000000000000000000000000000000"} {
		if r := other.do("GET", p, nil); r.status != 404 || r.errCode() != "not_found" {
			t.Fatalf("%s as another speaker: %d %s", p, r.status, r.body)
		}
	}
	if n := len(other.do("GET", "/api/v1/clips?mine=1", nil).json()["clips"].([]any)); n != 0 {
		t.Fatalf("another speaker lists %d clips", n)
	}

	// The page shows the receipts in both languages.
	page := sp.do("GET", "/", nil)
	if page.status != 200 || !strings.Contains(string(page.body), `data-rule="A012"`) || !strings.Contains(string(page.body), "背景噪音") {
		t.Fatalf("speaker page: %d\n%s", page.status, page.body)
	}
	e.mustAudit()
}

// TestUploadBadInputs: what is not a WAV gets its status and code, and
// nothing is stored (reliability.md B2).
func TestUploadBadInputs(t *testing.T) {
	e := newEnv(t, server.Options{MaxClipBytes: 1 << 20})
	sp := e.signIn("ah-bin")
	sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1})
	task := sp.do("GET", "/api/v1/tasks/next", nil).json()
	id, band := task["task_id"].(string), task["noise_band"].(string)
	good := clip(1, -65)
	for i, tt := range []struct {
		name   string
		audio  []byte
		status int
		code   string
	}{
		{"W-01 empty", nil, 400, "empty"},
		{"W-02 header cut", good[:10], 400, "truncated_header"},
		{"W-03 MP3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00 lots of mp3"), 400, "not_wav"},
		{"W-06 cut upload", good[:len(good)/2], 400, "truncated"},
		{"W-10 ADPCM", func() []byte { b := append([]byte(nil), good...); b[20] = 0x11; return b }(), 415, "unsupported_codec"},
		{"W-07 polyglot", append(append([]byte(nil), good...), "<html><script>alert(1)</script>"...), 400, "trailing_data"},
		{"over the limit", make([]byte, 2<<20), 413, "too_large"},
	} {
		r := sp.upload(uuid(100+i), id, band, "", tt.audio)
		if r.status != tt.status || r.errCode() != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
		if e := r.json()["error"].(map[string]any); e["message_zh"] == "" {
			t.Errorf("%s: no zh message", tt.name)
		}
	}
	if r := sp.do("POST", "/api/v1/clips", []byte("x"), "Content-Type", "multipart/form-data; boundary=zz", "Content-Encoding", "gzip"); r.status != 415 {
		t.Errorf("gzip upload: %d", r.status)
	}
	if r := sp.do("POST", "/api/v1/clips", []byte("--zz\r\n"), "Content-Type", "multipart/form-data"); r.status != 400 {
		t.Errorf("no boundary: %d", r.status)
	}
	if r := sp.upload("not-a-uuid", id, band, "", good); r.status != 400 {
		t.Errorf("bad client id: %d %s", r.status, r.body)
	}
	if r := sp.upload(uuid(200), "ffffffffffffffffffffffffffffffff", band, "", good); r.status != 404 {
		t.Errorf("unknown task: %d %s", r.status, r.body)
	}
	clips, _ := e.db.Clips(context.Background(), corpusFilterAll())
	if len(clips) != 0 {
		t.Fatalf("%d clips stored from bad uploads", len(clips))
	}
	for _, dir := range []string{"tmp", "clips"} {
		left, _ := os.ReadDir(filepath.Join(e.db.Dir(), dir))
		if len(left) != 0 {
			t.Errorf("%s/ holds %d files after bad uploads", dir, len(left))
		}
	}
	e.mustAudit()
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newEnv(t, server.Options{})
	c := e.client()
	for _, p := range []string{"/", "/signin", "/nope", "/api/v1/me", "/api/v1/nope", "/healthz", "/assets/app.css"} {
		r := c.do("GET", p, nil)
		h := r.header
		if !strings.Contains(h.Get("Content-Security-Policy"), "object-src 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Permissions-Policy") != "microphone=(self), camera=(), geolocation=()" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s (%d): headers %v", p, r.status, h)
		}
		if strings.HasPrefix(p, "/api/") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, h.Get("Cache-Control"))
		}
	}
	if r := c.do("GET", "/api/v1/nope", nil); r.status != 404 || r.errCode() != "not_found" {
		t.Errorf("unknown API route: %d %s", r.status, r.body)
	}
	if r := c.do("DELETE", "/healthz", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("wrong method: %d", r.status)
	}
}
