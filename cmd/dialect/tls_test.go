package main

// HTTPS from the binary itself: certificate files reloaded without a
// restart, ACME against a real ACME server (Pebble), the plain-HTTP
// redirect, and SIGHUP never stopping the server.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/server/tlstest"
)

// handshake connects to addr as a browser asking for name would, trusting
// only roots, and returns the certificate the server presented.
func handshake(addr, name string, roots *x509.CertPool) (*x509.Certificate, error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second},
		Config: &tls.Config{ServerName: name, RootCAs: roots, MinVersion: tls.VersionTLS12}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }() // only the handshake was wanted
	tc, ok := c.(*tls.Conn)
	if !ok {
		return nil, fmt.Errorf("not a TLS connection: %T", c)
	}
	return tc.ConnectionState().PeerCertificates[0], nil
}

// serves reports whether addr presents want (self-signed: it verifies
// against a pool of itself alone, and against nothing else).
func serves(addr string, want *x509.Certificate) bool {
	pool := x509.NewCertPool()
	pool.AddCert(want)
	got, err := handshake(addr, want.DNSNames[0], pool)
	return err == nil && got.Equal(want)
}

// waitServed waits up to d for addr to present want.
func waitServed(t *testing.T, p *proc, want *x509.Certificate, d time.Duration, what string) {
	t.Helper()
	for deadline := time.Now().Add(d); !serves(p.addr, want); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: certificate %s not served within %v\nstderr: %s", what, want.SerialNumber.Text(16), d, p.err)
		}
		if !p.running() {
			t.Fatalf("%s: dialect exited %d\nstderr: %s", what, p.cmd.ProcessState.ExitCode(), p.err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitLogs waits up to d until the child has logged at least n records msg
// whose field key is value (any value when key is "").
func waitLogs(t *testing.T, p *proc, msg, key, value string, n int, d time.Duration) []map[string]any {
	t.Helper()
	var got []map[string]any
	for deadline := time.Now().Add(d); ; {
		got = got[:0]
		for _, l := range p.logLines(msg) {
			if key == "" || fmt.Sprint(l[key]) == value {
				got = append(got, l)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("want %d log records %q with %s=%s within %v, got %d\nstderr: %s", n, msg, key, value, d, len(got), p.err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpsClient sends every request to addr, whatever the URL's host, and
// verifies the server against roots for the URL's name (as a browser with
// a host-resolver rule does). It does not follow redirects.
func httpsClient(addr string, roots *x509.CertPool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			ForceAttemptHTTP2: true,
		},
	}
}

// answer is what a test reads of a response (its body is drained and
// closed by get).
type answer struct {
	StatusCode int
	Header     http.Header
	ProtoMajor int
	Proto      string
}

func get(t *testing.T, hc *http.Client, method, url string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close() // drained above
	return answer{resp.StatusCode, resp.Header, resp.ProtoMajor, resp.Proto}
}

var redirectingRE = regexp.MustCompile(`redirecting http://(\S+) `)

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sameSizes writes a new self-signed pair into a scratch folder until its
// two files have the sizes of the pair at certFile and keyFile (ECDSA
// signatures vary by a byte or two), and returns the files' contents.
func sameSizes(t *testing.T, certFile, keyFile string) (*x509.Certificate, []byte, []byte) {
	t.Helper()
	ci, _ := os.Stat(certFile)
	ki, _ := os.Stat(keyFile)
	scratch := t.TempDir()
	sc, sk := filepath.Join(scratch, "cert.pem"), filepath.Join(scratch, "key.pem")
	for range 200 {
		c := tlstest.SelfSigned(t, sc, sk, 90*24*time.Hour, "dialect.test", "127.0.0.1")
		cb, _ := os.ReadFile(sc)
		kb, _ := os.ReadFile(sk)
		if int64(len(cb)) == ci.Size() && int64(len(kb)) == ki.Size() {
			return c, cb, kb
		}
	}
	t.Fatal("no certificate of the same size in 200 tries")
	return nil, nil, nil
}

// TestServeTLS_CertFiles: `dialect serve` with server.tls.cert_file and
// key_file serves HTTPS (HSTS, __Host- cookie) and picks up a new
// certificate without a restart: on SIGHUP alone (files rewritten in place
// with their size and time kept, so the poll cannot see them), and on a
// plain replacement of the files (no signal). Half a renewal (a certificate
// without its key) and a SIGHUP with the files gone keep the previous
// certificate in service. SIGHUP never stops the server; SIGTERM still
// shuts it down cleanly. server.http_addr redirects to HTTPS.
func TestServeTLS_CertFiles(t *testing.T) {
	dir := t.TempDir()
	seedCorpus(t, dir, 1)
	certs := t.TempDir()
	certFile, keyFile := filepath.Join(certs, "cert.pem"), filepath.Join(certs, "key.pem")
	c1 := tlstest.SelfSigned(t, certFile, keyFile, 90*24*time.Hour, "dialect.test", "127.0.0.1")
	p := serve(t, dir, "DIALECT_SERVER_TLS_CERT_FILE="+certFile, "DIALECT_SERVER_TLS_KEY_FILE="+keyFile,
		"DIALECT_SERVER_HTTP_ADDR=127.0.0.1:0")
	if !strings.HasPrefix(p.base, "https://") {
		t.Fatalf("serving %s, want https://", p.base)
	}
	if link := regexp.MustCompile(`https://dialect\.test:` + port(t, p.addr) + `/signin/once\?token=`); !link.MatchString(p.out.String()) {
		t.Errorf("the sign-in link does not use the certificate's name:\n%s", p.out)
	}
	waitServed(t, p, c1, 10*time.Second, "at start")

	// Over HTTPS: HSTS, and the session cookie is __Host-, Secure.
	pool := x509.NewCertPool()
	pool.AddCert(c1)
	hc := httpsClient(p.addr, pool)
	base := "https://dialect.test:" + port(t, p.addr)
	if r := get(t, hc, "GET", base+"/healthz", nil); r.StatusCode != 200 || r.Header.Get("Strict-Transport-Security") == "" || r.ProtoMajor != 2 {
		t.Fatalf("GET /healthz over HTTPS: %d %s, Strict-Transport-Security %q", r.StatusCode, r.Proto, r.Header.Get("Strict-Transport-Security"))
	}
	r := get(t, hc, "POST", base+"/api/v1/session", strings.NewReader(`{"username":"speaker-00","password":"`+speakerPassword+`"}`))
	if ck := r.Header.Get("Set-Cookie"); r.StatusCode != 200 || !strings.HasPrefix(ck, "__Host-sid=") || !strings.Contains(ck, "; Secure") {
		t.Fatalf("sign in over HTTPS: %d, Set-Cookie %q", r.StatusCode, ck)
	}

	// server.http_addr: a permanent redirect to the same host and path.
	m := redirectingRE.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no plain-HTTP address printed:\n%s", p.out)
	}
	plain := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if r := get(t, plain, "GET", "http://"+m[1]+"/record?x=1", nil); r.StatusCode != http.StatusPermanentRedirect ||
		r.Header.Get("Location") != "https://127.0.0.1:"+port(t, p.addr)+"/record?x=1" {
		t.Fatalf("GET over plain HTTP: %d, Location %q", r.StatusCode, r.Header.Get("Location"))
	}

	// SIGHUP alone. The new pair is written over the old files in place,
	// same sizes, and their modification times put back: the poll sees no
	// change, so only the signal can load it.
	c2, cb, kb := sameSizes(t, certFile, keyFile)
	ci, _ := os.Stat(certFile)
	ki, _ := os.Stat(keyFile)
	for _, f := range []struct {
		path string
		b    []byte
		info os.FileInfo
	}{{keyFile, kb, ki}, {certFile, cb, ci}} {
		if err := os.WriteFile(f.path, f.b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f.path, f.info.ModTime(), f.info.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * certPollEvery)
	if !serves(p.addr, c1) {
		t.Fatalf("the poll saw files whose size and time did not change\nstderr: %s", p.err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitServed(t, p, c2, 10*time.Second, "after SIGHUP")
	waitLogs(t, p, "certificate loaded", "why", "SIGHUP", 1, 10*time.Second)

	// The files replaced (renamed over, as certbot and deploy tools do), no
	// signal: picked up by the poll.
	c3 := tlstest.SelfSigned(t, certFile, keyFile, 90*24*time.Hour, "dialect.test", "127.0.0.1")
	waitServed(t, p, c3, 15*time.Second, "after replacing the files")
	waitLogs(t, p, "certificate loaded", "why", "files changed", 1, 10*time.Second)

	// Half a renewal: the new certificate lands before its key. The pair
	// does not match: the previous one stays, and the error is logged.
	const reloadFailed = "certificate reload failed; the previous certificate stays in service"
	fails := len(p.logLines(reloadFailed))
	staged := t.TempDir()
	c4 := tlstest.SelfSigned(t, filepath.Join(staged, "cert.pem"), filepath.Join(staged, "key.pem"), 90*24*time.Hour, "dialect.test", "127.0.0.1")
	if err := os.Rename(filepath.Join(staged, "cert.pem"), certFile); err != nil {
		t.Fatal(err)
	}
	waitLogs(t, p, reloadFailed, "", "", fails+1, 15*time.Second)
	if !serves(p.addr, c3) {
		t.Fatal("a certificate without its key replaced the one in service")
	}
	if err := os.Rename(filepath.Join(staged, "key.pem"), keyFile); err != nil {
		t.Fatal(err)
	}
	waitServed(t, p, c4, 15*time.Second, "once the key arrived")

	// SIGHUP with the files gone: logged, the server goes on.
	for _, f := range []string{certFile, keyFile} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	fails = len(p.logLines(reloadFailed))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLogs(t, p, reloadFailed, "", "", fails+1, 10*time.Second)
	if !p.running() || !serves(p.addr, c4) {
		t.Fatalf("after SIGHUP with the files gone: running %v\nstderr: %s", p.running(), p.err)
	}

	if took, code := p.term(); code != 0 {
		t.Fatalf("SIGTERM: exit %d after %v\nstderr: %s", code, took, p.err)
	}
}

// TestServe_SIGHUPDoesNotStop: without TLS too, SIGHUP (a terminal closing,
// a reload by habit) leaves the server running.
func TestServe_SIGHUPDoesNotStop(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, dir)
	for i := range 3 {
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitLogs(t, p, "SIGHUP: no server.tls certificate to reload", "", "", i+1, 10*time.Second)
	}
	if r := get(t, &http.Client{Timeout: 30 * time.Second}, "GET", p.base+"/healthz", nil); r.StatusCode != 200 || !p.running() {
		t.Fatalf("after SIGHUP: healthz %d, running %v", r.StatusCode, p.running())
	}
	if took, code := p.term(); code != 0 {
		t.Fatalf("SIGTERM: exit %d after %v", code, took)
	}
}

// TestServeTLS_ConfigErrors: settings that cannot work stop `dialect serve`
// at once with exit 2 and a message naming the setting.
func TestServeTLS_ConfigErrors(t *testing.T) {
	certs := t.TempDir()
	certFile, keyFile := filepath.Join(certs, "cert.pem"), filepath.Join(certs, "key.pem")
	tlstest.SelfSigned(t, certFile, keyFile, time.Hour, "dialect.test")
	other := t.TempDir()
	tlstest.SelfSigned(t, filepath.Join(other, "cert.pem"), filepath.Join(other, "key.pem"), time.Hour, "dialect.test")
	notPEM := filepath.Join(certs, "roots.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"DIALECT_SERVER_TLS_CERT_FILE=" + certFile}, "server.tls.cert_file and server.tls.key_file go together"},
		{[]string{"DIALECT_SERVER_TLS_CERT_FILE=" + certFile, "DIALECT_SERVER_TLS_KEY_FILE=" + keyFile, "DIALECT_SERVER_TLS_ACME_DOMAINS=dialect.test"}, "not both"},
		{[]string{"DIALECT_SERVER_HTTP_ADDR=127.0.0.1:0"}, "server.http_addr redirects to HTTPS"},
		{[]string{"DIALECT_SERVER_TLS_ACME_EMAIL=ops@dialect.test"}, "need server.tls.acme_domains"},
		{[]string{"DIALECT_SERVER_TLS_ACME_DOMAINS=*.dialect.test"}, "server.tls.acme_domains"},
		{[]string{"DIALECT_SERVER_TLS_ACME_DOMAINS=https://dialect.test"}, "server.tls.acme_domains"},
		{[]string{"DIALECT_SERVER_TLS_ACME_DOMAINS=dialect.test", "DIALECT_SERVER_TLS_ACME_DIRECTORY=http://127.0.0.1:14000/dir"}, "server.tls.acme_directory"},
		{[]string{"DIALECT_SERVER_TLS_ACME_DOMAINS=dialect.test", "DIALECT_SERVER_TLS_ACME_CA_ROOTS=" + notPEM}, "server.tls.acme_ca_roots"},
		{[]string{"DIALECT_SERVER_TLS_CERT_FILE=" + filepath.Join(certs, "missing.pem"), "DIALECT_SERVER_TLS_KEY_FILE=" + keyFile}, "missing.pem"},
		{[]string{"DIALECT_SERVER_TLS_CERT_FILE=" + certFile, "DIALECT_SERVER_TLS_KEY_FILE=" + filepath.Join(other, "key.pem")}, "private key does not match"},
	} {
		p := startDialect(t, t.TempDir(), c.env, "serve")
		code, ok := p.wait(60 * time.Second)
		if !ok {
			t.Fatalf("%v: still running after 60 s", c.env)
		}
		if code != 2 || !strings.Contains(p.err.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.env, code, p.err, c.want)
		}
		if strings.Contains(p.out.String(), "serving") {
			t.Errorf("%v: served anyway: %s", c.env, p.out)
		}
	}
}

// TestServeACME_Pebble: `dialect serve` gets certificates for two names
// from a real ACME server (Pebble, Let's Encrypt's test CA) at start,
// serves each under its name (and refuses names it was not given), keeps
// them under data_dir/acme/ readable by the owner only, answers
// ACME HTTP-01 paths and redirects everything else on server.http_addr, and
// after a restart serves the cached certificate with the CA gone.
func TestServeACME_Pebble(t *testing.T) {
	pb := tlstest.StartPebble(t)
	dir := t.TempDir()
	seedCorpus(t, dir, 1)
	env := []string{
		"DIALECT_SERVER_TLS_ACME_DOMAINS=dialect.test, www.dialect.test",
		"DIALECT_SERVER_TLS_ACME_EMAIL=ops@dialect.test",
		"DIALECT_SERVER_TLS_ACME_DIRECTORY=" + pb.Directory,
		"DIALECT_SERVER_TLS_ACME_CA_ROOTS=" + pb.APIRoots,
		"DIALECT_SERVER_HTTP_ADDR=127.0.0.1:0",
	}
	p := serve(t, dir, env...)
	ready := waitLogs(t, p, "acme certificate ready", "", "", 2, 90*time.Second)
	t.Logf("certificates from Pebble in %v and %v ms", ready[0]["ms"], ready[1]["ms"])
	roots := pb.IssuingRoots(t)
	var leaf *x509.Certificate
	for _, name := range []string{"dialect.test", "www.dialect.test"} {
		c, err := handshake(p.addr, name, roots)
		if err != nil {
			t.Fatalf("%s: the served certificate does not verify against Pebble's root: %v", name, err)
		}
		if !slices.Equal(c.DNSNames, []string{name}) {
			t.Errorf("%s: certificate for %v", name, c.DNSNames)
		}
		if name == "dialect.test" {
			leaf = c
		}
	}
	if _, err := handshake(p.addr, "other.test", roots); err == nil {
		t.Error("a certificate was served for a name not in server.tls.acme_domains")
	}
	if !strings.Contains(p.out.String(), "https://dialect.test:"+port(t, p.addr)+"/signin/once?token=") {
		t.Errorf("the sign-in link does not use the first ACME domain:\n%s", p.out)
	}
	base := "https://dialect.test:" + port(t, p.addr)
	hc := httpsClient(p.addr, roots)
	if r := get(t, hc, "GET", base+"/healthz", nil); r.StatusCode != 200 || r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("GET /healthz over HTTPS: %d, Strict-Transport-Security %q", r.StatusCode, r.Header.Get("Strict-Transport-Security"))
	}
	r := get(t, hc, "POST", base+"/api/v1/session", strings.NewReader(`{"username":"speaker-00","password":"`+speakerPassword+`"}`))
	if ck := r.Header.Get("Set-Cookie"); r.StatusCode != 200 || !strings.HasPrefix(ck, "__Host-sid=") || !strings.Contains(ck, "; Secure") {
		t.Fatalf("sign in over HTTPS: %d, Set-Cookie %q", r.StatusCode, ck)
	}

	// server.http_addr: challenges are answered there (an unknown token is
	// not redirected), everything else goes to HTTPS.
	m := redirectingRE.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no plain-HTTP address printed:\n%s", p.out)
	}
	plain := httpsClient(m[1], nil)
	if r := get(t, plain, "GET", "http://dialect.test/record", nil); r.StatusCode != http.StatusPermanentRedirect || r.Header.Get("Location") != base+"/record" {
		t.Errorf("GET http://dialect.test/record: %d, Location %q; want 308 to %s/record", r.StatusCode, r.Header.Get("Location"), base)
	}
	if r := get(t, plain, "GET", "http://dialect.test/.well-known/acme-challenge/no-such-token", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown HTTP-01 token: %d, want 404 from the challenge handler", r.StatusCode)
	}

	// The cache: owner-only folders, the account key and the certificate.
	cache := filepath.Join(dir, "acme")
	sub, err := os.ReadDir(cache)
	if err != nil || len(sub) != 1 {
		t.Fatalf("acme cache %s: %v %v", cache, sub, err)
	}
	for _, d := range []string{cache, filepath.Join(cache, sub[0].Name())} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v (%v), want 0700", d, fi.Mode().Perm(), err)
		}
	}
	for _, f := range []string{"acme_account+key", "dialect.test", "www.dialect.test"} {
		if _, err := os.Stat(filepath.Join(cache, sub[0].Name(), f)); err != nil {
			t.Errorf("acme cache: %v", err)
		}
	}
	if took, code := p.term(); code != 0 {
		t.Fatalf("SIGTERM: exit %d after %v\nstderr: %s", code, took, p.err)
	}

	// The CA goes away; a restart serves the cached certificate.
	pb.Stop()
	p = serve(t, dir, env...)
	waitLogs(t, p, "acme certificate ready", "", "", 2, 30*time.Second)
	c, err := handshake(p.addr, "dialect.test", roots)
	if err != nil || !c.Equal(leaf) {
		t.Fatalf("after a restart without the CA: %v (same certificate: %v)", err, err == nil && c.Equal(leaf))
	}
	if took, code := p.term(); code != 0 {
		t.Fatalf("SIGTERM: exit %d after %v", code, took)
	}
}
