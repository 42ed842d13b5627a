package deploy_test

// The harness: `dialect serve` built and run as a child process on
// 127.0.0.1, the real Caddy and nginx (Debian's packages) in front of it,
// configured from deploy/Caddyfile and deploy/nginx.conf with test ports, a
// test certificate and the child's address, and clients that connect from
// chosen loopback addresses (127.0.0.0/8 is all loopback on Linux), so the
// address dialect sees through the proxy can be told from the proxy's own
// (127.0.0.1).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
)

const password = "Tâi-uân-lâng 2026 deploy"

// workDir holds what the tests share: the dialect binary built for them,
// the 30-minute WAV.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dialect-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	workDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var buildOnce = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(workDir, "dialect")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "./cmd/dialect")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/dialect: %w\n%s", err, out)
	}
	return bin, nil
})

// dialectBinary is the dialect command, built once per test run.
func dialectBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var proxiesOnce = sync.OnceValue(func() error {
	have := func() bool {
		_, e1 := exec.LookPath("caddy")
		_, e2 := exec.LookPath("nginx")
		_, e3 := os.Stat("/usr/sbin/nginx")
		return e1 == nil && (e2 == nil || e3 == nil)
	}
	if have() {
		return nil
	}
	var log bytes.Buffer
	install := func() error {
		cmd := exec.CommandContext(context.Background(), "apt-get", "install", "-y", "caddy", "nginx-light")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = &log, &log
		return cmd.Run()
	}
	if err := install(); err != nil || !have() {
		// A fresh machine finds nothing until the package lists are read.
		cmd := exec.CommandContext(context.Background(), "apt-get", "update")
		cmd.Stdout, cmd.Stderr = &log, &log
		_ = cmd.Run()
		_ = install()
	}
	if !have() {
		return fmt.Errorf("caddy and nginx are needed (apt-get install -y caddy nginx-light failed):\n%s", log.String())
	}
	return nil
})

// needProxies installs Caddy and nginx when missing. Without them the test
// is skipped, loudly, except under CI=true, where it fails.
func needProxies(t *testing.T) {
	t.Helper()
	if err := proxiesOnce(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "deploy: SKIPPING the reverse-proxy tests: %v\n", err)
		t.Skip(err)
	}
}

func nginxPath() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	return "/usr/sbin/nginx"
}

// freePort returns a TCP port free on 127.0.0.1 just now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a buffer safe for a child's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// child is a process the test started; it is stopped at cleanup.
type child struct {
	cmd      *exec.Cmd
	out, err *syncBuffer
	done     chan struct{}
}

func startChild(t *testing.T, env []string, name string, args ...string) *child {
	t.Helper()
	// Not t.Context(): the cleanup below stops the child itself.
	c := &child{cmd: exec.CommandContext(context.Background(), name, args...), out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan struct{})}
	c.cmd.Env = env
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.err
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		if c.running() {
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.done:
			case <-time.After(20 * time.Second):
				_ = c.cmd.Process.Kill()
				<-c.done
			}
		}
	})
	return c
}

func (c *child) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// cleanEnv is the environment minus every DIALECT_ variable.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DIALECT_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// dialect is a `dialect serve` child.
type dialect struct {
	*child
	addr string // 127.0.0.1:PORT
}

var servingRE = regexp.MustCompile(`serving https?://(\S+) `)

// corpusSeed is what a test's corpus starts with.
type corpusSeed struct {
	speakers  []string
	monologue map[string]string // speaker → a monologue task id
}

// seedCorpus creates the demo project, the named speakers (all with
// password) and a monologue task for each of withTask.
func seedCorpus(t *testing.T, dir string, speakers []string, withTask ...string) corpusSeed {
	t.Helper()
	ctx := context.Background()
	db, err := corpus.Open(ctx, dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	p := recorder.DemoProject()
	if err := db.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPrompts(ctx, p.ID, recorder.DemoPrompts()); err != nil {
		t.Fatal(err)
	}
	hash := passwordHash()
	ids := map[string]int64{}
	for _, name := range speakers {
		u := corpus.User{Username: name, Role: corpus.RoleSpeaker, ProjectID: p.ID, PasswordHash: hash}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		ids[name] = u.ID
	}
	seed := corpusSeed{speakers: speakers, monologue: map[string]string{}}
	ps, err := db.Prompts(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range withTask {
		for _, pr := range ps {
			if recorder.IsTopic(pr.Text) {
				task := &corpus.Task{ProjectID: p.ID, SpeakerID: ids[name], PromptID: pr.ID, Mode: "monologue", NoiseBand: "low"}
				if err := db.CreateTask(ctx, task); err != nil {
					t.Fatal(err)
				}
				seed.monologue[name] = task.ID
				break
			}
		}
	}
	return seed
}

var passwordHash = sync.OnceValue(func() string {
	h, err := server.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

// startDialect runs `dialect serve` on dir (port 0 on 127.0.0.1, default
// limits) with env added, and waits until it serves.
func startDialect(t *testing.T, dir string, env ...string) *dialect {
	t.Helper()
	c := startChild(t, cleanEnv(append([]string{"DIALECT_DATA_DIR=" + dir, "DIALECT_SERVER_ADDR=127.0.0.1:0"}, env...)...),
		dialectBinary(t), "serve")
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(c.out.String()); m != nil {
			return &dialect{child: c, addr: m[1]}
		}
		if !c.running() {
			t.Fatalf("dialect serve exited: %s\n%s", c.out, c.err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("dialect serve not ready in 90 s: %s\n%s", c.out, c.err)
	return nil
}

// logLines returns dialect's JSON log records with the given msg.
func (d *dialect) logLines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(d.err.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// proxy is a running Caddy or nginx in front of a dialect.
type proxy struct {
	name  string
	base  string // https://127.0.0.1:PORT
	roots *x509.CertPool
	caPEM string // the file of the certificate the proxy's chain ends in
	*child
}

// render returns src with each old string replaced by its new one; each
// must occur exactly once, so the committed file and this test cannot
// drift apart silently.
func render(t *testing.T, name, src string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := strings.Count(src, pairs[i]); n != 1 {
			t.Fatalf("%s: %q occurs %d times, want once: update the test's rendering with the file", name, pairs[i], n)
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	return src
}

func readDeployFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testCert writes a self-signed certificate for 127.0.0.1 into dir.
func testCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "dialect deploy test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

// nginxOptions vary the rendered site file.
type nginxOptions struct {
	// bodyLimit replaces the sample's client_max_body_size line: "" keeps
	// it, "default" removes it (nginx's 1 MiB), else a value ("200k").
	bodyLimit string
}

// startNginx runs nginx with deploy/nginx.conf, rendered for upstream,
// as root with everything (pid, logs, temp files) in a temp dir.
func startNginx(t *testing.T, upstream string, o nginxOptions) *proxy {
	t.Helper()
	needProxies(t)
	dir := t.TempDir()
	certFile, keyFile, pool := testCert(t, dir)
	httpsPort, httpPort := freePort(t), freePort(t)
	pairs := []string{
		"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort),
		"listen [::]:80;", "",
		"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", httpsPort),
		"listen [::]:443 ssl http2;", "",
		"/etc/letsencrypt/live/dialect.example.org/fullchain.pem", certFile,
		"/etc/letsencrypt/live/dialect.example.org/privkey.pem", keyFile,
		"root /var/www/html;", "root " + filepath.Join(dir, "www") + ";",
		"proxy_pass http://127.0.0.1:8080;", "proxy_pass http://" + upstream + ";",
	}
	switch o.bodyLimit {
	case "":
	case "default":
		pairs = append(pairs, "client_max_body_size 65m;", "# client_max_body_size: nginx's default (1 MiB)")
	default:
		pairs = append(pairs, "client_max_body_size 65m;", "client_max_body_size "+o.bodyLimit+";")
	}
	site := render(t, "deploy/nginx.conf", readDeployFile(t, "nginx.conf"), pairs...)
	sitePath := filepath.Join(dir, "site.conf")
	tmp := filepath.Join(dir, "tmp")
	main := fmt.Sprintf(`# generated by deploy/harness_test.go
user root;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 512; }
http {
	access_log %[1]s/access.log;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	include %[3]s;
}
`, dir, tmp, sitePath)
	for _, f := range [][2]string{{sitePath, site}, {filepath.Join(dir, "nginx.conf"), main}} {
		if err := os.WriteFile(f[0], []byte(f[1]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, os.Environ(), nginxPath(), "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"),
		"-p", dir+"/", "-g", "daemon off;")
	p := &proxy{name: "nginx", base: fmt.Sprintf("https://127.0.0.1:%d", httpsPort), roots: pool, caPEM: certFile, child: c}
	p.waitReady(t, func() string { return readFileString(filepath.Join(dir, "error.log")) })
	return p
}

// startCaddy runs caddy with deploy/Caddyfile, rendered for upstream:
// https on a loopback port with Caddy's own CA (tls internal), admin off,
// its data in a temp dir.
func startCaddy(t *testing.T, upstream string) *proxy {
	t.Helper()
	return startCaddyWith(t, upstream, "")
}

// startCaddyWith is startCaddy with request_body's max_size set to
// maxSize ("" keeps the sample's).
func startCaddyWith(t *testing.T, upstream, maxSize string) *proxy {
	t.Helper()
	needProxies(t)
	dir := t.TempDir()
	httpsPort, httpPort := freePort(t), freePort(t)
	pairs := []string{
		"email admin@example.org", fmt.Sprintf("admin off\n\tskip_install_trust\n\tauto_https disable_redirects\n\thttp_port %d\n\thttps_port %d", httpPort, httpsPort),
		"dialect.example.org {", fmt.Sprintf("https://127.0.0.1:%d {\n\ttls internal", httpsPort),
		"reverse_proxy 127.0.0.1:8080 {", "reverse_proxy " + upstream + " {",
		"output file /var/log/caddy/dialect.log", "output file " + filepath.Join(dir, "access.log"),
	}
	if maxSize != "" {
		pairs = append(pairs, "max_size 65MiB", "max_size "+maxSize)
	}
	file := render(t, "deploy/Caddyfile", readDeployFile(t, "Caddyfile"), pairs...)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	c := startChild(t, env, "caddy", "run", "--config", path, "--adapter", "caddyfile")
	p := &proxy{name: "caddy", base: fmt.Sprintf("https://127.0.0.1:%d", httpsPort), child: c}
	// Caddy's CA is made at start; trust its root once it is there.
	root := filepath.Join(dir, "data", "caddy", "pki", "authorities", "local", "root.crt")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(root); err == nil {
			p.roots = x509.NewCertPool()
			if p.roots.AppendCertsFromPEM(b) {
				p.caPEM = root
				break
			}
		}
		if !c.running() || time.Now().After(deadline) {
			t.Fatalf("caddy: no CA root at %s\n%s", root, c.err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.waitReady(t, func() string { return c.err.String() })
	return p
}

func readFileString(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// waitReady waits until the proxy answers /healthz (through to dialect).
func (p *proxy) waitReady(t *testing.T, logs func() string) {
	t.Helper()
	hc := p.client("127.0.0.1").hc
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if !p.running() {
			t.Fatalf("%s exited: %s\n%s\n%s", p.name, p.out, p.err, logs())
		}
		req, _ := http.NewRequestWithContext(context.Background(), "GET", p.base+"/healthz", nil)
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready in 60 s (%s)\n%s", p.name, last, logs())
}

// browser is one phone: a cookie jar, connecting from a loopback address
// of its own, trusting the proxy's certificate.
type browser struct {
	base, src string
	hc        *http.Client
	csrf      string
	cookie    string // the session cookie as sent ("__Host-sid=…")
}

// client is a browser at src (an address in 127.0.0.0/8) talking to base.
func (p *proxy) client(src string) *browser {
	return newBrowser(p.base, src, p.roots)
}

func newBrowser(base, src string, roots *x509.CertPool) *browser {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	tr := &http.Transport{DialContext: d.DialContext, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 4,
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, DisableCompression: true}
	return &browser{base: base, src: src, hc: &http.Client{Jar: jar, Transport: tr, Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	status int
	header http.Header
	body   []byte
	proto  string
}

func (r response) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return m
}

func (r response) errCode() string {
	if e, ok := r.json()["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// do sends a request: JSON for a map or struct, raw bytes or a reader
// otherwise (then hdr carries the Content-Type). It fails the test only
// on a transport error.
func (b *browser) do(t *testing.T, method, path string, body any, hdr ...string) response {
	t.Helper()
	r, err := b.try(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s from %s: %v", method, path, b.src, err)
	}
	return r
}

func (b *browser) try(method, path string, body any, hdr ...string) (response, error) {
	var rd io.Reader
	ct := ""
	switch v := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(v)
	case io.Reader:
		rd = v
	default:
		j, _ := json.Marshal(v)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, rd) // the client's Timeout bounds it
	if err != nil {
		return response{}, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Content-Length" {
			req.ContentLength, _ = strconv.ParseInt(hdr[i+1], 10, 64)
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{resp.StatusCode, resp.Header, data, resp.Proto}, nil
}

// signIn signs in over the JSON API, keeping the CSRF token and cookie.
func (b *browser) signIn(user, pw string, hdr ...string) response {
	r, err := b.try("POST", "/api/v1/session", map[string]string{"username": user, "password": pw}, hdr...)
	if err != nil {
		return response{status: -1, body: []byte(err.Error())}
	}
	if r.status == 200 {
		b.csrf, _ = r.json()["csrf_token"].(string)
		if ck := r.header.Get("Set-Cookie"); ck != "" {
			b.cookie, _, _ = strings.Cut(ck, ";")
		}
	}
	return r
}

// consent accepts the project's consent text.
func (b *browser) consent(t *testing.T) {
	t.Helper()
	if r := b.do(t, "POST", "/api/v1/consent", map[string]int{"consent_version": 1}); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
}

// postClip posts a take as the recorder page does: fields, then the WAV.
func (b *browser) postClip(t *testing.T, clientID, taskID, band, text string, wav []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"client_clip_id", clientID}, {"task_id", taskID}, {"noise_band", band}, {"transcript", text}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("audio", "take.wav")
	_, _ = fw.Write(wav)
	_ = mw.Close()
	return b.do(t, "POST", "/api/v1/clips", buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

// recorderChunk is the chunk size the recorder's tus.js sends: the test
// reads it from the file so that both cannot disagree.
func recorderChunk(t *testing.T) int64 {
	t.Helper()
	src := readFileString(filepath.Join("..", "assets", "static", "recorder", "tus.js"))
	m := regexp.MustCompile(`(?m)^export const CHUNK = (\d+) << (\d+);`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("assets/static/recorder/tus.js: no `export const CHUNK = N << M;`")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	s, _ := strconv.Atoi(m[2])
	return n << s
}
