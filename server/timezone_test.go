package server_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/server"
)

// TestHomeShowsProjectTimeZone: the speaker's home page shows a clip's time
// in the project's zone (the demo's is Asia/Taipei), with the zone named,
// and the same instant as the API's RFC 3339 time.
func TestHomeShowsProjectTimeZone(t *testing.T) {
	e := newEnv(t, server.Options{})
	if e.project.TimeZone != "Asia/Taipei" {
		t.Fatalf("demo project time zone %q", e.project.TimeZone)
	}
	sp := e.signIn("ah-bin")
	if r := sp.do("PUT", "/api/v1/me/profile", map[string]string{"dialect_region": "臺南市", "age_band": "20_29", "gender": "female"}); r.status != 200 {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	tj := sp.do("GET", "/api/v1/tasks/next", nil).json()
	up := sp.upload(uuid(1), tj["task_id"].(string), tj["noise_band"].(string), "今仔日天氣真好。", clip(1, -65))
	if up.status != 201 {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	list := sp.do("GET", "/api/v1/clips?mine=1", nil).json()["clips"].([]any)
	apiTime, err := time.Parse(time.RFC3339, list[0].(map[string]any)["created_at"].(string))
	if err != nil {
		t.Fatalf("API created_at is not RFC 3339: %v", err)
	}
	page := string(sp.do("GET", "/", nil).body)
	m := regexp.MustCompile(`<time datetime="([^"]+)">(\d{4}-\d\d-\d\d \d\d:\d\d) \(Asia/Taipei\)</time>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no time in Asia/Taipei on the home page:\n%s", page)
	}
	// html/template writes the + as &#43; in an attribute.
	if !strings.HasSuffix(html.UnescapeString(m[1]), "+08:00") {
		t.Errorf("datetime %q lacks the +08:00 offset", m[1])
	}
	taipei, _ := time.LoadLocation("Asia/Taipei")
	if want := apiTime.In(taipei).Format("2006-01-02 15:04"); m[2] != want {
		t.Errorf("page shows %s, want %s (the API's %s in Taipei)", m[2], want, apiTime)
	}
}
