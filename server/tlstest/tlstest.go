// Package tlstest helps test HTTPS serving: it writes self-signed
// certificates, and runs Pebble, Let's Encrypt's ACME test server, on
// loopback ports, installing it when missing.
//
// Pebble is installed with `go install` into the user's cache folder
// (outside the repository), once per machine. When that fails the tests
// fail under CI=true and skip, naming what is missing, otherwise.
package tlstest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// PebbleVersion is the Pebble release the tests run.
const (
	pebbleModule  = "github.com/letsencrypt/pebble/v2"
	PebbleVersion = "v2.10.3"
)

// SelfSigned writes a fresh self-signed certificate for names (DNS names
// or IP addresses), valid from an hour ago for validFor, to certFile and
// its key to keyFile (0600), each replaced atomically, and returns it.
func SelfSigned(t testing.TB, certFile, keyFile string, validFor time.Duration, names ...string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}))
	writeAtomic(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// writeAtomic writes b to a temporary file beside path and renames it over
// path, as certbot and most deploy tools replace certificates.
func writeAtomic(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// SPKIHash is base64(SHA-256(the certificate's SubjectPublicKeyInfo)), the
// form Chromium's --ignore-certificate-errors-spki-list takes.
func SPKIHash(c *x509.Certificate) string {
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(h[:])
}

// Pebble is a running Pebble.
type Pebble struct {
	// Directory is the ACME directory URL, https://127.0.0.1:PORT/dir.
	Directory string
	// APIRoots is the PEM file of the root that the directory's own
	// certificate chains to (what server.tls.acme_ca_roots takes).
	APIRoots string
	// Management is the management interface, https://127.0.0.1:PORT.
	Management string
	log        *syncBuffer
	stop       func()
}

// Stop stops Pebble now (a CA that has gone away).
func (p *Pebble) Stop() { p.stop() }

// StartPebble runs Pebble on two free loopback ports, with challenge
// validation off (PEBBLE_VA_ALWAYS_VALID: it issues for any name, offline)
// and no deliberately rejected nonces, until the test ends.
func StartPebble(t testing.TB) *Pebble {
	t.Helper()
	bin, modDir := installPebble(t)
	dir := t.TempDir()
	var raw map[string]map[string]any
	b, err := os.ReadFile(filepath.Join(modDir, "test", "config", "pebble-config.json")) //nolint:gosec // G304: Pebble's own module folder, from go mod download
	if err == nil {
		err = json.Unmarshal(b, &raw)
	}
	if err != nil || raw["pebble"] == nil {
		t.Fatalf("read Pebble's test config from %s: %v", modDir, err)
	}
	api, mgmt := freePort(t), freePort(t)
	cfg := raw["pebble"]
	cfg["listenAddress"] = api
	cfg["managementListenAddress"] = mgmt
	cfg["certificate"] = filepath.Join(modDir, "test", "certs", "localhost", "cert.pem")
	cfg["privateKey"] = filepath.Join(modDir, "test", "certs", "localhost", "key.pem")
	b, _ = json.Marshal(raw)
	cfgFile := filepath.Join(dir, "pebble-config.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Pebble{
		Directory:  "https://" + api + "/dir",
		APIRoots:   filepath.Join(modDir, "test", "certs", "pebble.minica.pem"),
		Management: "https://" + mgmt,
		log:        &syncBuffer{},
	}
	cmd := exec.CommandContext(context.Background(), bin, "-config", cfgFile) //nolint:gosec // G204: the Pebble binary this package installed, on a config it wrote
	cmd.Env = append(os.Environ(), "PEBBLE_VA_ALWAYS_VALID=1", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pebble: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.stop = func() {
		_ = cmd.Process.Kill()
		<-done
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("pebble log:\n%s", p.log)
		}
	})
	hc := p.client(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", p.Directory, nil)
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close() // the status says it
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-done:
			t.Fatalf("pebble exited before it was ready:\n%s", p.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble not ready in 30 s (%v):\n%s", err, p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client trusts Pebble's API certificate.
func (p *Pebble) client(t testing.TB) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(p.APIRoots)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("no certificate in %s", p.APIRoots)
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// IssuingRoots is a pool with the root of the certificates Pebble issues
// (it makes a new one at every start), from the management interface.
func (p *Pebble) IssuingRoots(t testing.TB) *x509.CertPool {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", p.Management+"/roots/0", nil)
	resp, err := p.client(t).Do(req)
	if err != nil {
		t.Fatalf("pebble roots: %v", err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pebble roots: %d %v", resp.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble roots: no PEM certificate in %q", b)
	}
	return pool
}

var install struct {
	once        sync.Once
	bin, modDir string
	err         error
}

// installPebble returns the Pebble binary and its module's folder (for the
// test config and certificates), installing it when missing.
func installPebble(t testing.TB) (bin, modDir string) {
	t.Helper()
	install.once.Do(func() { install.bin, install.modDir, install.err = installPebbleOnce() })
	if install.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Pebble %s is needed and could not be installed: %v", PebbleVersion, install.err)
		}
		t.Skipf("Pebble %s could not be installed (go install %s/cmd/pebble@%s needs the module proxy): %v", PebbleVersion, pebbleModule, PebbleVersion, install.err)
	}
	return install.bin, install.modDir
}

func installPebbleOnce() (bin, modDir string, err error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", "", err
	}
	binDir := filepath.Join(cache, "dialect", "bin")
	bin = filepath.Join(binDir, "pebble")
	if err := os.MkdirAll(binDir, 0o755); err != nil { //nolint:gosec // G301: a cache of tools, like GOBIN
		return "", "", err
	}
	if info, err := buildinfo.ReadFile(bin); err != nil || info.Main.Path != pebbleModule || info.Main.Version != PebbleVersion {
		// Into a folder of its own, then renamed into place: two test
		// binaries installing at once never run a half-written file.
		tmp, err := os.MkdirTemp(binDir, "install-")
		if err != nil {
			return "", "", err
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		out, err := goCmd(tmp, "install", pebbleModule+"/cmd/pebble@"+PebbleVersion)
		if err != nil {
			return "", "", fmt.Errorf("go install: %w\n%s", err, out)
		}
		if err := os.Rename(filepath.Join(tmp, "pebble"), bin); err != nil {
			return "", "", err
		}
	}
	out, err := goCmd("", "mod", "download", "-json", pebbleModule+"@"+PebbleVersion)
	if err != nil {
		return "", "", fmt.Errorf("go mod download: %w\n%s", err, out)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", "", fmt.Errorf("go mod download: no folder in %q", out)
	}
	return bin, m.Dir, nil
}

// goCmd runs the go command outside any module (from a temporary folder),
// with GOBIN set when gobin is not empty.
func goCmd(gobin string, args ...string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "tlstest-go-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...) //nolint:gosec // G204: the go command with arguments of this package
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if gobin != "" {
		cmd.Env = append(cmd.Env, "GOBIN="+gobin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return append(out, stderr.Bytes()...), err
	}
	return out, nil
}

// freePort returns 127.0.0.1:PORT with a port that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

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
