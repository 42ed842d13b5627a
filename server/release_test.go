package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release/releasetest"
	"github.com/dialect-corpus/dialect/server"
)

// bandNoise is a noise level inside each band's limits.
var bandNoise = map[string]float64{"low": -65, "medium": -48, "high": -33}

// acceptClips has speaker record n clips through the API (consent,
// profile, task, upload) and a reviewer accept each one, as the review
// code does. It returns the WAV bytes by clip id.
func (e *env) acceptClips(t *testing.T, speaker string, n int, seed uint64) map[string][]byte {
	t.Helper()
	sp := e.signIn(speaker)
	if r := sp.do("PUT", "/api/v1/me/profile", map[string]string{"dialect_region": "臺南市", "age_band": "20_29", "gender": "female"}); r.status != 200 {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": e.project.ConsentVersion}); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	out := map[string][]byte{}
	for i := range n {
		task := sp.do("GET", "/api/v1/tasks/next", nil).json()
		band := task["noise_band"].(string)
		audio := clip(seed+uint64(i), bandNoise[band])
		r := sp.upload(uuid(int(seed)*100+i), task["task_id"].(string), band, "今仔日天氣真好。", audio)
		if r.status != 201 || r.json()["status"] != "pending_review" {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		id := r.json()["clip_id"].(string)
		if err := e.db.AppendDecision(context.Background(), &corpus.Decision{ClipID: id, AuthorID: e.users["reviewer"].ID,
			To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
			t.Fatal(err)
		}
		out[id] = audio
	}
	return out
}

// vendorClient is a client with a bearer token for project.
func (e *env) vendorClient(t *testing.T, name string, projectID int64) (*bearerClient, *corpus.Token) {
	t.Helper()
	raw, hash := server.NewToken()
	tok := &corpus.Token{Hash: hash, Vendor: name, ProjectID: projectID}
	if err := e.db.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return &bearerClient{e.client(), raw}, tok
}

// bearerClient calls the API with a vendor's bearer token.
type bearerClient struct {
	c     *client
	token string
}

func (b *bearerClient) get(path string, hdr ...string) response {
	b.c.e.t.Helper()
	return b.c.do("GET", path, nil, append(hdr, "Authorization", "Bearer "+b.token)...)
}

func TestReleaseDownload(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	e := newEnv(t, server.Options{})
	clips := e.acceptClips(t, "ah-bin", 3, 10)
	for id, b := range e.acceptClips(t, "siu-ing", 2, 20) {
		clips[id] = b
	}
	admin := e.signIn("admin")
	r := admin.do("POST", "/api/v1/admin/releases", map[string]any{"project_id": e.project.ID})
	if r.status != 201 || r.json()["clips"].(float64) != 5 || r.json()["status"] != "published" {
		t.Fatalf("create release: %d %s", r.status, r.body)
	}
	rid := int64(r.json()["id"].(float64))
	vendor, tok := e.vendorClient(t, "acme", e.project.ID)

	list := vendor.get("/api/v1/releases")
	if rs := list.json()["releases"].([]any); list.status != 200 || len(rs) != 1 || rs[0].(map[string]any)["id"].(float64) != float64(rid) {
		t.Fatalf("vendor's list: %d %s", list.status, list.body)
	}

	base := fmt.Sprintf("/api/v1/releases/%d/download?format=", rid)
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		t.Run(format, func(t *testing.T) {
			d := vendor.get(base + format)
			if d.status != 200 {
				t.Fatalf("download: %d %s", d.status, d.body)
			}
			if ct := d.header.Get("Content-Type"); ct != "application/x-tar" {
				t.Errorf("Content-Type = %q", ct)
			}
			// The file is named after the one folder it unpacks into
			// (spec/api.md): dialect-<project>-r<release>-<format>/.
			_, params, err := mime.ParseMediaType(d.header.Get("Content-Disposition"))
			if want := fmt.Sprintf("dialect-%s-r1-%s.tar", e.project.Slug, format); err != nil || params["filename"] != want ||
				!strings.HasPrefix(d.header.Get("Content-Disposition"), "attachment;") {
				t.Errorf("Content-Disposition = %q, want attachment %s", d.header.Get("Content-Disposition"), want)
			}
			a, err := releasetest.Verify(bytes.NewReader(d.body), format)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(params["filename"], ".tar") + "/"; a.Top != want {
				t.Errorf("archive unpacks into %q, want %q", a.Top, want)
			}
			if len(a.Audio) != len(clips) {
				t.Fatalf("%d audio files, want %d", len(a.Audio), len(clips))
			}
			for utt, wav := range a.Audio {
				if !bytes.Equal(wav, clips[utt[strings.IndexByte(utt, '-')+1:]]) {
					t.Errorf("%s is not the uploaded WAV", utt)
				}
			}
			if again := vendor.get(base + format); !bytes.Equal(again.body, d.body) {
				t.Fatal("two downloads differ")
			}
			// A resume from a random offset, guarded by the ETag.
			off := rand.N(len(d.body)-1) + 1
			part := vendor.get(base+format, "Range", fmt.Sprintf("bytes=%d-", off), "If-Range", d.header.Get("ETag"))
			if part.status != http.StatusPartialContent || !bytes.Equal(append(d.body[:off:off], part.body...), d.body) {
				t.Fatalf("resume at %d: %d, %d bytes", off, part.status, len(part.body))
			}
		})
	}
	if n, err := e.db.Downloads(context.Background(), rid); err != nil || n < 12 {
		t.Fatalf("downloads logged = %d, %v; want 12", n, err)
	}

	t.Run("S-04", func(t *testing.T) {
		other := &corpus.Project{Slug: "other", Name: "Other", Dialect: "cmn-TW"}
		if err := e.db.CreateProject(context.Background(), other); err != nil {
			t.Fatal(err)
		}
		stranger, _ := e.vendorClient(t, "rival", other.ID)
		if r := stranger.get(base + "kaldi"); r.status != 404 || r.errCode() != "not_found" {
			t.Fatalf("another project's vendor: %d %s", r.status, r.body)
		}
		if r := stranger.get("/api/v1/releases"); r.status != 200 || len(r.json()["releases"].([]any)) != 0 {
			t.Fatalf("another project's vendor lists: %s", r.body)
		}
		if r := vendor.get(fmt.Sprintf("/api/v1/releases/%d/download?format=kaldi", rid+1000)); r.status != 404 {
			t.Fatalf("no such release: %d", r.status)
		}
		if r := vendor.get(base + "zip"); r.status != 400 {
			t.Fatalf("format zip: %d", r.status)
		}
		anon := &bearerClient{e.client(), "not-a-token"}
		if r := anon.get(base + "kaldi"); r.status != 401 {
			t.Fatalf("bad token: %d", r.status)
		}
		if r := e.signIn("ah-bin").do("GET", base+"kaldi", nil); r.status != 404 {
			t.Fatalf("speaker: %d", r.status)
		}
	})

	t.Run("H-21", func(t *testing.T) {
		size := int64(len(vendor.get(base + "nemo").body))
		many := make([]string, 1000)
		for i := range many {
			many[i] = fmt.Sprintf("%d-%d", i*10, i*10+5)
		}
		for name, h := range map[string]string{
			"1000 ranges":    "bytes=" + strings.Join(many, ","),
			"overlapping":    "bytes=0-100,50-150",
			"bytes=-0":       "bytes=-0",
			"beyond EOF":     fmt.Sprintf("bytes=%d-", size),
			"reversed":       "bytes=100-50",
			"not bytes":      "items=0-1",
			"garbage":        "bytes=a-b",
			"huge suffix ok": "", // placeholder, skipped
		} {
			if h == "" {
				continue
			}
			start := time.Now()
			r := vendor.get(base+"nemo", "Range", h)
			took := time.Since(start)
			if r.status != http.StatusRequestedRangeNotSatisfiable || r.header.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
				t.Errorf("%s: %d %q", name, r.status, r.header.Get("Content-Range"))
			}
			if took > 200*time.Millisecond {
				t.Errorf("%s: %v", name, took)
			}
		}
		// A few disjoint ranges: a bounded multipart answer.
		full := vendor.get(base + "nemo").body
		r := vendor.get(base+"nemo", "Range", "bytes=0-9,100-199,-10")
		mt, params, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
		if r.status != 206 || mt != "multipart/byteranges" {
			t.Fatalf("3 ranges: %d %s", r.status, mt)
		}
		mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
		var got [][]byte
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			got = append(got, b)
		}
		if len(got) != 3 || !bytes.Equal(got[0], full[:10]) || !bytes.Equal(got[1], full[100:200]) || !bytes.Equal(got[2], full[len(full)-10:]) {
			t.Fatalf("3 ranges: %d parts", len(got))
		}
	})

	t.Run("ConcurrencyLimit", func(t *testing.T) {
		release := server.HoldDownloadSlots(e.srv, tok.ID, 4)
		r := vendor.get(base + "kaldi")
		release()
		if r.status != 429 || r.errCode() != "too_many_downloads" || r.header.Get("Retry-After") == "" {
			t.Fatalf("fifth download: %d %.200q", r.status, r.body)
		}
		if r := vendor.get(base + "kaldi"); r.status != 200 {
			t.Fatalf("after the others finished: %d", r.status)
		}
	})

	t.Run("Immutable", func(t *testing.T) {
		before := vendor.get(base + "hf").body
		e.acceptClips(t, "ah-bin", 1, 30) // accepted after the release
		if after := vendor.get(base + "hf").body; !bytes.Equal(before, after) {
			t.Fatal("a clip accepted later changed the release")
		}
	})
	e.mustAudit()
}

func TestStatsPage(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.acceptClips(t, "ah-bin", 2, 40)
	sp := e.signIn("siu-ing")
	sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1})
	task := sp.do("GET", "/api/v1/tasks/next", nil).json()
	if r := sp.upload(uuid(9), task["task_id"].(string), task["noise_band"].(string), "今仔日天氣真好。", clip(9, -20)); r.json()["status"] != "rejected" {
		t.Fatalf("noisy clip: %s", r.body)
	}
	admin := e.signIn("admin")
	page := admin.do("GET", "/stats", nil)
	body := string(page.body)
	if page.status != 200 {
		t.Fatalf("stats: %d %s", page.status, body)
	}
	for _, want := range []string{"已收集時數", "Hours collected", "Top rejection rules", "A012", "By dialect region", "臺南市",
		"Noise band quotas", "create-release", "By gender", "By age band"} {
		if !strings.Contains(body, want) {
			t.Errorf("stats page lacks %q", want)
		}
	}
	// The page's button makes a release and comes back to the page.
	form := "csrf_token=" + admin.csrf + "&project_id=" + itoa(e.project.ID)
	r := admin.do("POST", "/stats/releases", form, "Content-Type", "application/x-www-form-urlencoded")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/stats?release=") {
		t.Fatalf("create from the page: %d %s", r.status, r.header.Get("Location"))
	}
	page = admin.do("GET", r.header.Get("Location"), nil)
	if !strings.Contains(string(page.body), `data-testid="releases"`) || !strings.Contains(string(page.body), "download?format=kaldi") {
		t.Fatalf("stats page after the release:\n%s", page.body)
	}
	// An empty project: a message, no release.
	other := &corpus.Project{Slug: "empty", Name: "Empty", Dialect: "nan-TW"}
	if err := e.db.CreateProject(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	r = admin.do("POST", "/api/v1/admin/releases", map[string]any{"project_id": other.ID})
	if r.status != 409 || r.errCode() != "empty_release" {
		t.Fatalf("empty release: %d %s", r.status, r.body)
	}
	if r := e.signIn("reviewer").do("GET", "/stats", nil); r.status != 404 {
		t.Fatalf("stats as reviewer: %d", r.status)
	}
}
