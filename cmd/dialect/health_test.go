package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestServeMetricsAddrAndFirstLogLine runs the real binary: /metrics is
// served on server.metrics_addr only (404 on the public address), with
// the free-space gauge; the first log line names the version, the
// configuration's sources and the storage.
func TestServeMetricsAddrAndFirstLogLine(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, dir, "DIALECT_SERVER_METRICS_ADDR=127.0.0.1:0")
	m := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", p.out)
	}
	if code := getStatus(t, newHTTPClient(), p.base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("public /metrics: %d, want 404", code)
	}
	body := getBody(t, m[1])
	for _, want := range []string{`dialect_disk_free_bytes{disk="data"}`, `dialect_disk_free_bytes{disk="temp"}`, "dialect_disk_min_free_bytes 1.073741824e+09"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if code, b := getHealth(t, p.base); code != 200 || !strings.Contains(b, `"status":"ok"`) {
		t.Errorf("healthz: %d %s", code, b)
	}
	first, _, _ := strings.Cut(p.err.String(), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(first), &rec); err != nil {
		t.Fatalf("first log line %q: %v", first, err)
	}
	cfg, _ := rec["config"].(string)
	if rec["msg"] != "dialect starting" || rec["version"] != version || !strings.Contains(cfg, "environment") ||
		!strings.Contains(cfg, "DIALECT_SERVER_METRICS_ADDR") || rec["data_dir"] != dir || !strings.HasSuffix(rec["database"].(string), "dialect.db") {
		t.Errorf("first log line: %s", first)
	}

	// Off by default: nothing printed, and still 404 on the public address.
	p.kill()
	q := serve(t, dir)
	if strings.Contains(q.out.String(), "metrics on") || getStatus(t, newHTTPClient(), q.base+"/metrics") != http.StatusNotFound {
		t.Errorf("metrics without server.metrics_addr:\n%s", q.out)
	}
}

// TestMinFreeDiskSizes: limits.min_free_disk takes bytes or a size with a
// unit; anything else exits 2 naming the key.
func TestMinFreeDiskSizes(t *testing.T) {
	for in, want := range map[string]int64{"1073741824": 1 << 30, "1GiB": 1 << 30, "500MB": 500e6, "500 mb": 500e6,
		"1.5GiB": 3 << 29, "0": 0, "64KiB": 64 << 10, "2M": 2 << 20, "10B": 10} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-1GiB", "1XB", "1e400"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) accepted", bad)
		}
	}
	p := startDialect(t, t.TempDir(), []string{"DIALECT_LIMITS_MIN_FREE_DISK=lots"}, "serve")
	if code, _ := p.wait(60e9); code != exitUsage || !strings.Contains(p.err.String(), "limits.min_free_disk") {
		t.Errorf("min_free_disk=lots: exit %d\n%s", code, p.err)
	}
}
