package server_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

var assetURL = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// TestStaticAssets (issue 17 part 4): every page of every role loads its
// style sheets, scripts and icon by content-hashed URLs only; each such URL
// is served for a year as immutable, gzip-encoded when the client accepts
// it (made once at start-up) with Vary: Accept-Encoding and an ETag per
// encoding (If-None-Match → 304), with Range. The plain and stale-hash
// names still answer, but must be revalidated; nothing else is served.
func TestStaticAssets(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	sp := e.speaker("ah-bin")
	id := sp.upload(uuid(1), e.monologueTask("ah-bin", "low"), "low", "", monologue(1)).json()["clip_id"].(string)
	urls := map[string]bool{}
	collect := func(c *client, path string) {
		t.Helper()
		r := c.do("GET", path, nil)
		if r.status != 200 && r.status != 404 {
			t.Fatalf("GET %s: %d", path, r.status)
		}
		for _, m := range assetURL.FindAllStringSubmatch(string(r.body), -1) {
			urls[m[1]] = true
		}
	}
	collect(e.client(), "/signin")
	collect(e.client(), "/nope")
	collect(sp, "/")
	collect(sp, "/record")
	collect(sp, "/transcribe/"+id)
	collect(e.signIn("reviewer"), "/review")
	collect(e.signIn("admin"), "/stats")
	hashed := regexp.MustCompile(`\.[0-9a-f]{12}(\.[a-z]+)$`)
	for _, want := range []string{"app", "favicon", "recorder/record", "review/review", "transcribe/transcribe", "dom", "recorder/audio"} {
		found := false
		for u := range urls {
			found = found || strings.HasPrefix(u, "/assets/"+want+".")
		}
		if !found {
			t.Errorf("no page loads /assets/%s.*: %v", want, urls)
		}
	}
	c := e.client()
	for u := range urls {
		if !hashed.MatchString(u) {
			t.Errorf("a page loads %s, which has no content hash", u)
			continue
		}
		plain := c.do("GET", u, nil, "Accept-Encoding", "identity")
		if plain.status != 200 || plain.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || plain.header.Get("Content-Encoding") != "" {
			t.Errorf("%s: %d %q %q", u, plain.status, plain.header.Get("Cache-Control"), plain.header.Get("Content-Encoding"))
			continue
		}
		if strings.HasSuffix(u, ".svg") {
			continue // small: may go as it is
		}
		gz := c.do("GET", u, nil, "Accept-Encoding", "br;q=1, gzip;q=0.8")
		if gz.header.Get("Content-Encoding") != "gzip" || gz.header.Get("Vary") != "Accept-Encoding" || len(gz.body) >= len(plain.body) {
			t.Errorf("%s with gzip accepted: %q, Vary %q, %d of %d bytes", u, gz.header.Get("Content-Encoding"), gz.header.Get("Vary"), len(gz.body), len(plain.body))
			continue
		}
		if !bytes.Equal(gunzip(t, gz.body), plain.body) {
			t.Errorf("%s: the gzip copy is not the file", u)
		}
		if gz.header.Get("ETag") == plain.header.Get("ETag") || gz.header.Get("ETag") == "" {
			t.Errorf("%s: ETag %q for both encodings", u, gz.header.Get("ETag"))
		}
		if r := c.do("GET", u, nil, "Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("ETag")); r.status != 304 {
			t.Errorf("%s If-None-Match: %d", u, r.status)
		}
		if r := c.do("GET", u, nil, "Accept-Encoding", "gzip;q=0", "Range", "bytes=0-9"); r.status != 206 || !bytes.Equal(r.body, plain.body[:10]) {
			t.Errorf("%s Range: %d %q", u, r.status, r.body)
		}
	}
	for path, want := range map[string]string{
		"/assets/app.css":                   "public, no-cache",
		"/assets/app.0123456789ab.css":      "public, no-cache",
		"/assets/recorder/roomcheck.wasm":   "public, no-cache",
		"/assets/vendor/go/wasm_exec.js":    "public, no-cache",
		"/assets/recorder/record.js":        "public, no-cache",
		"/assets/recorder/":                 "",
		"/assets/":                          "",
		"/assets/nope.js":                   "",
		"/assets/../server/pages.go":        "",
		"/assets/recorder/record.js.gz":     "",
		"/assets/recorder/record.0123.js":   "",
		"/assets/recorder%2frecord.js":      "public, no-cache", // the same name, escaped
		"/assets/recorder/roomcheck.wasm/x": "",
	} {
		r := c.do("GET", path, nil)
		switch {
		case want == "" && r.status != 404:
			t.Errorf("%s: %d, want 404", path, r.status)
		case want != "" && (r.status != 200 || r.header.Get("Cache-Control") != want || r.header.Get("ETag") == ""):
			t.Errorf("%s: %d %q, want 200 %q with an ETag", path, r.status, r.header.Get("Cache-Control"), want)
		}
	}
	if r := c.do("GET", "/assets/recorder/roomcheck.wasm", nil, "Accept-Encoding", "gzip"); r.header.Get("Content-Type") != "application/wasm" ||
		r.header.Get("Content-Encoding") != "gzip" || len(r.body) > 1500<<10 {
		t.Errorf("roomcheck.wasm: %q %q %d bytes", r.header.Get("Content-Type"), r.header.Get("Content-Encoding"), len(r.body))
	}
}

// TestCompressedResponses: pages and JSON go gzip-encoded, made on the fly,
// to a client that accepts it, with Vary: Accept-Encoding; small answers,
// HEAD, clients that refuse gzip, audio and ranged answers go as they are,
// and audio for playback answers Range (206), so the review and
// transcription pages' <audio> starts before the file is whole.
func TestCompressedResponses(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	sp := e.speaker("ah-bin")
	id := sp.upload(uuid(1), e.monologueTask("ah-bin", "low"), "low", "", monologue(1)).json()["clip_id"].(string)
	for i := 2; i <= 6; i++ {
		sp.record(i, "", nil)
	}
	for _, path := range []string{"/record", "/", "/api/v1/clips"} {
		plain := sp.do("GET", path, nil, "Accept-Encoding", "identity")
		gz := sp.do("GET", path, nil, "Accept-Encoding", "gzip, deflate, br")
		if plain.status != 200 || gz.status != 200 || len(plain.body) < 2<<10 {
			t.Fatalf("%s: %d %d, %d bytes", path, plain.status, gz.status, len(plain.body))
		}
		if gz.header.Get("Content-Encoding") != "gzip" || strings.Join(gz.header.Values("Vary"), ",") != "Accept-Encoding" ||
			strings.Join(plain.header.Values("Vary"), ",") != "Accept-Encoding" || plain.header.Get("Content-Encoding") != "" {
			t.Errorf("%s: Content-Encoding %q / %q, Vary %q / %q", path, gz.header.Get("Content-Encoding"), plain.header.Get("Content-Encoding"), gz.header.Get("Vary"), plain.header.Get("Vary"))
			continue
		}
		body := gunzip(t, gz.body)
		if len(body) != len(plain.body) || len(gz.body)*2 > len(plain.body) {
			t.Errorf("%s: %d bytes gzip, %d unpacked, %d plain", path, len(gz.body), len(body), len(plain.body))
		}
		if r := sp.do("GET", path, nil, "Accept-Encoding", "gzip;q=0, identity"); r.header.Get("Content-Encoding") != "" {
			t.Errorf("%s: gzip;q=0 got %q", path, r.header.Get("Content-Encoding"))
		}
	}
	// Small: as it is.
	if r := sp.do("GET", "/healthz", nil, "Accept-Encoding", "gzip"); r.status != 200 || r.header.Get("Content-Encoding") != "" || len(r.body) >= 1<<10 {
		t.Errorf("/healthz: %d %q %d bytes", r.status, r.header.Get("Content-Encoding"), len(r.body))
	}
	// An error page for a person, and JSON errors, are compressed too when large enough.
	if r := e.client().do("GET", "/nope", nil, "Accept-Encoding", "gzip"); r.status != 404 || !strings.Contains(string(gunzipOr(t, r)), "找不到這個頁面") {
		t.Errorf("the 404 page: %d %q", r.status, r.header.Get("Content-Encoding"))
	}
	// Audio: never compressed; Range answered.
	rv := e.signIn("reviewer")
	for _, c := range []struct {
		cl   *client
		path string
	}{{sp, "/api/v1/clips/" + id + "/audio"}, {rv, "/api/v1/review/" + id + "/audio"}, {sp, "/api/v1/clips/" + id + "/transcription/audio"}} {
		full := c.cl.do("GET", c.path, nil, "Accept-Encoding", "gzip")
		if full.status != 200 || full.header.Get("Content-Encoding") != "" || full.header.Get("Accept-Ranges") != "bytes" || full.header.Get("Content-Type") != "audio/wav" {
			t.Errorf("%s: %d %q %q %q", c.path, full.status, full.header.Get("Content-Encoding"), full.header.Get("Accept-Ranges"), full.header.Get("Content-Type"))
			continue
		}
		part := c.cl.do("GET", c.path, nil, "Accept-Encoding", "gzip", "Range", "bytes=1000-1999")
		if part.status != 206 || !bytes.Equal(part.body, full.body[1000:2000]) || part.header.Get("Content-Encoding") != "" {
			t.Errorf("%s Range: %d %d bytes %q", c.path, part.status, len(part.body), part.header.Get("Content-Range"))
		}
	}
}

// gunzipOr is the body of r, unpacked when it came gzip-encoded.
func gunzipOr(t *testing.T, r response) []byte {
	if r.header.Get("Content-Encoding") == "gzip" {
		return gunzip(t, r.body)
	}
	return r.body
}

// TestGzipWriterStreams: a response that flushes (the ledger's CSV) arrives
// whole through the compressor.
func TestGzipWriterStreams(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	sp := e.speaker("ah-bin")
	plain := sp.do("GET", "/api/v1/me/ledger.csv", nil, "Accept-Encoding", "identity")
	gz := sp.do("GET", "/api/v1/me/ledger.csv", nil, "Accept-Encoding", "gzip")
	if plain.status != http.StatusOK || gz.status != http.StatusOK || !bytes.Equal(gunzipOr(t, gz), plain.body) {
		t.Fatalf("ledger.csv: %d %d %q %q", plain.status, gz.status, gz.header.Get("Content-Encoding"), plain.body)
	}
}
