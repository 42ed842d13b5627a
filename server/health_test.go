package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

// TestHealthzNamesDisk: below limits.min_free_disk on a watched folder,
// /healthz is 503 naming "disk"; with room, 200 "ok"; the gauge shows the
// free space on the metrics handler.
func TestHealthzNamesDisk(t *testing.T) {
	dir := t.TempDir()
	// No disk has an exabyte free: the minimum cannot be met.
	e := newEnv(t, server.Options{MinFreeDisk: 1 << 60, Disks: map[string]string{"data": dir, "temp": dir}})
	r := e.client().do("GET", "/healthz", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"failing":["disk"]`) ||
		!strings.Contains(string(r.body), `"name":"data"`) || strings.Contains(string(r.body), dir) {
		t.Errorf("healthz below the minimum: %d %s (want 503 naming disk, no path)", r.status, r.body)
	}
	ok := newEnv(t, server.Options{MinFreeDisk: 1, Disks: map[string]string{"data": dir}})
	if r := ok.client().do("GET", "/healthz", nil); r.status != 200 || !strings.Contains(string(r.body), `"status":"ok"`) {
		t.Errorf("healthz with room: %d %s", r.status, r.body)
	}
	ms := httptest.NewServer(e.srv.MetricsHandler())
	defer ms.Close()
	resp, err := http.Get(ms.URL + "/metrics") //nolint:noctx // a test against a local server
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, want := range []string{`dialect_disk_free_bytes{disk="data"}`, `dialect_disk_free_bytes{disk="temp"}`, "dialect_disk_min_free_bytes 1.152921504606847e+18", "dialect_http_requests_total"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMetricsNotOnPublicAddress: /metrics on the app's own handler is 404;
// the metrics handler answers only /metrics.
func TestMetricsNotOnPublicAddress(t *testing.T) {
	e := newEnv(t, server.Options{})
	if r := e.client().do("GET", "/metrics", nil); r.status != http.StatusNotFound {
		t.Errorf("public /metrics: %d, want 404", r.status)
	}
	ms := httptest.NewServer(e.srv.MetricsHandler())
	defer ms.Close()
	for path, want := range map[string]int{"/metrics": 200, "/healthz": 404, "/": 404} {
		resp, err := http.Get(ms.URL + path) //nolint:noctx // a test against a local server
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("metrics listener %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
