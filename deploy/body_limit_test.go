package deploy_test

// A proxy's 413 (issue #17): nginx left at its default
// client_max_body_size (1 MiB) answered every 8 MiB tus chunk with its own
// HTML 413, which the recorder took for a refusal of the take. Now the
// recorder sends 768 KiB chunks, which pass that default, and halves its
// chunk on a 413 down to 256 KiB. The recorder's own tus.js runs here
// under Node (testdata/tus_node.mjs) against the real nginx.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// nodeTus runs tus.js's send under Node for take wav, through base with
// the browser's session; chunk 0 means tus.js's own choice.
func nodeTus(t *testing.T, p *proxy, b *browser, taskID, clientID, wav string, chunk int64) nodeResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is needed to run the recorder's tus.js")
		}
		t.Skip("node is needed to run the recorder's tus.js")
	}
	tusJS, _ := filepath.Abs(filepath.Join("..", "assets", "static", "recorder", "tus.js"))
	harness, _ := filepath.Abs(filepath.Join("testdata", "tus_node.mjs"))
	args, _ := json.Marshal(map[string]any{"tus": tusJS, "base": p.base, "cookie": b.cookie, "csrf": b.csrf, "wav": wav,
		"take": map[string]string{"id": clientID, "task_id": taskID, "noise_band": "low"}, "chunk": chunk})
	cmd := exec.CommandContext(t.Context(), node, harness, string(args))
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+p.caPEM)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node %s: %v\n%s%s", harness, err, out, stderr)
	}
	var r nodeResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("node said %s: %v", out, err)
	}
	return r
}

type nodeResult struct {
	Patches []struct {
		Size   int64  `json:"size"`
		Status int    `json:"status"`
		Type   string `json:"type"`
	} `json:"patches"`
	Result struct {
		Receipt map[string]any `json:"receipt"`
		Status  int            `json:"status"`
		Body    struct {
			Error map[string]string `json:"error"`
		} `json:"body"`
		Thrown string `json:"thrown"`
	} `json:"result"`
	Chunk    int64 `json:"chunk"`
	MinChunk int64 `json:"min_chunk"`
}

func (r nodeResult) sizes() string {
	var s []string
	for _, p := range r.Patches {
		s = append(s, strconv.FormatInt(p.Size>>10, 10)+"K:"+strconv.Itoa(p.Status))
	}
	return strings.Join(s, " ")
}

func TestNginxDefaultBodyLimit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	seed := seedCorpus(t, dir, []string{"ah-bin"}, "ah-bin")
	d := startDialect(t, dir, "DIALECT_SERVER_TRUSTED_PROXIES=127.0.0.1/32")
	p := startNginx(t, d.addr, nginxOptions{bodyLimit: "default"})
	task := seed.monologue["ah-bin"]

	// A 110-second monologue: 3.5 MB.
	wav := filepath.Join(t.TempDir(), "monologue-110s.wav")
	size, err := wavtest.WriteLong(wav, wavtest.PCM16, 110)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	b := p.client("127.0.0.2")
	if r := b.signIn("ah-bin", password); r.status != 200 {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	b.consent(t)

	// What the issue saw: an 8 MiB chunk (here the whole 3.5 MB take)
	// gets nginx's HTML 413, and nothing reaches dialect.
	meta := "client_clip_id " + base64.StdEncoding.EncodeToString([]byte("0badcafe-0000-4000-8000-000000000413")) +
		",task_id " + base64.StdEncoding.EncodeToString([]byte(task)) + ",noise_band " + base64.StdEncoding.EncodeToString([]byte("low")) +
		",sha256 " + base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(sum[:])))
	r := b.do(t, "POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", strconv.FormatInt(size, 10), "Upload-Metadata", meta)
	if r.status != 201 {
		t.Fatalf("tus create: %d %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	r = b.do(t, "PATCH", loc, data, "Tus-Resumable", "1.0.0", "Content-Type", "application/offset+octet-stream", "Upload-Offset", "0")
	if r.status != 413 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("a 3.5 MB chunk through nginx's default limit: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if h := b.do(t, "HEAD", loc, nil, "Tus-Resumable", "1.0.0"); h.header.Get("Upload-Offset") != "0" {
		t.Fatalf("offset after nginx's 413: %q", h.header.Get("Upload-Offset"))
	}
	if r := b.do(t, "DELETE", loc, nil, "Tus-Resumable", "1.0.0"); r.status != 204 {
		t.Fatalf("tus delete: %d %s", r.status, r.body)
	}

	// tus.js starting at the old 8 MiB: 413, halved, halved, … until
	// 1 MiB passes, and the take arrives whole.
	res := nodeTus(t, p, b, task, "0badcafe-0000-4000-8000-000000000008", wav, 8<<20)
	t.Logf("tus.js from 8 MiB through nginx's default: %s", res.sizes())
	first204 := -1
	for i, pt := range res.Patches {
		if pt.Status == 204 && first204 < 0 {
			first204 = i
		}
		if first204 < 0 && (pt.Status != 413 || !strings.HasPrefix(pt.Type, "text/html") || i > 0 && pt.Size*2 > res.Patches[i-1].Size+1) {
			t.Fatalf("PATCH %d: %+v before any passed: each 413 must halve the chunk", i, pt)
		}
		if first204 >= 0 && (pt.Status != 204 || pt.Size > 1<<20) {
			t.Fatalf("PATCH %d after the chunk fit: %+v", i, pt)
		}
	}
	if first204 < 1 || res.Result.Receipt["sha256"] != hex.EncodeToString(sum[:]) || res.Result.Receipt["status"] != "pending_review" {
		t.Fatalf("from 8 MiB: patches %s, result %+v", res.sizes(), res.Result)
	}

	// tus.js as it ships: chunks of CHUNK pass the default with no 413.
	res = nodeTus(t, p, b, task, "0badcafe-0000-4000-8000-000000000768", wav, 0)
	t.Logf("tus.js's own chunk (%d KiB) through nginx's default: %s", res.Chunk>>10, res.sizes())
	if res.Chunk != recorderChunk(t) || res.Chunk > 1<<20 {
		t.Fatalf("tus.js CHUNK %d: must pass nginx's default 1 MiB", res.Chunk)
	}
	for _, pt := range res.Patches {
		if pt.Status != 204 || pt.Size > res.Chunk {
			t.Fatalf("default chunk: %s", res.sizes())
		}
	}
	if res.Result.Receipt["status"] != "pending_review" {
		t.Fatalf("default chunk: %+v", res.Result)
	}

	// A proxy that refuses even MIN_CHUNK (256 KiB): tus.js stops there
	// with a message for the speaker, in both languages.
	tight := startNginx(t, d.addr, nginxOptions{bodyLimit: "200k"})
	res = nodeTus(t, tight, b, task, "0badcafe-0000-4000-8000-000000000200", wav, 0)
	t.Logf("tus.js through client_max_body_size 200k: %s → %d %v", res.sizes(), res.Result.Status, res.Result.Body.Error)
	e := res.Result.Body.Error
	if res.Result.Status != 413 || e["code"] != "proxy_too_large" || e["message"] == "" || e["message_zh"] == "" ||
		res.Patches[len(res.Patches)-1].Size != res.MinChunk {
		t.Fatalf("below the floor: %s → %+v", res.sizes(), res.Result)
	}
}

// TestCaddyBodyLimit: Caddy's request_body limit set below the recorder's
// chunk. Caddy streams the body to dialect and cuts it at the limit, so
// dialect may keep the first part (tus keeps what arrived); tus.js halves
// its chunk, finds the offset moved (409, then HEAD) and finishes.
func TestCaddyBodyLimit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	seed := seedCorpus(t, dir, []string{"ah-bin"}, "ah-bin")
	d := startDialect(t, dir, "DIALECT_SERVER_TRUSTED_PROXIES=127.0.0.1/32")
	p := startCaddyWith(t, d.addr, "512KiB")
	wav := filepath.Join(t.TempDir(), "monologue-110s.wav")
	if _, err := wavtest.WriteLong(wav, wavtest.PCM16, 110); err != nil {
		t.Fatal(err)
	}
	b := p.client("127.0.0.2")
	if r := b.signIn("ah-bin", password); r.status != 200 {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	b.consent(t)
	res := nodeTus(t, p, b, seed.monologue["ah-bin"], "0badcafe-0000-4000-8000-000000000512", wav, 0)
	t.Logf("tus.js through Caddy's max_size 512KiB: %s → receipt %v", res.sizes(), res.Result.Receipt["status"])
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if len(res.Patches) < 2 || res.Patches[0].Status != 502 || res.Patches[1].Size >= res.Patches[0].Size ||
		res.Result.Receipt["status"] != "pending_review" || res.Result.Receipt["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("through Caddy's 512 KiB limit: %s → %+v", res.sizes(), res.Result)
	}
}
