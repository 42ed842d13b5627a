package main

// HTTPS from the binary itself. Browsers give the microphone only to a
// secure context (https://, or localhost), so a phone on the campus network
// cannot record from http://192.168.x.y:8080. Two ways, chosen in config:
//
//   - server.tls.cert_file and server.tls.key_file: PEM files made elsewhere
//     (certbot, an internal CA). They are read again on SIGHUP and when
//     either file changes (polled: a stat of two files every two seconds
//     needs no watcher, and sees certbot's symlink swaps, which a watch on
//     the folder would have to chase), so a renewal needs no restart. A pair
//     that does not load (the key not yet written) leaves the previous
//     certificate in service.
//   - server.tls.acme_domains: certificates from an ACME CA (Let's Encrypt
//     by default) through golang.org/x/crypto/acme/autocert, cached under
//     data_dir/acme/ and renewed by autocert itself. autocert rather than
//     certmagic: it is already in the module graph through x/crypto, so no
//     new dependency tree (certmagic brings zap, libdns and more), and it is
//     enough for the one or few domains a recording campaign serves; what
//     certmagic adds (DNS-01, on-demand issuance for many names, clustered
//     storage) this server does not need.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/dialect-corpus/dialect/server"
)

// certPollEvery is how often certificate files are checked for a change.
const certPollEvery = 2 * time.Second

// tlsOn reports whether the binary serves HTTPS itself.
func (s *ServerConfig) tlsOn() bool {
	return s.TLS.CertFile != "" || s.TLS.KeyFile != "" || len(s.TLS.ACMEDomains) > 0
}

// validateTLS checks server.tls and server.http_addr, and normalises the
// domain list (trimmed, lower case, no empty entries: the environment
// gives "a.example, b.example").
func (s *ServerConfig) validateTLS() error {
	t := &s.TLS
	var domains []string
	for _, d := range t.ACMEDomains {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			domains = append(domains, d)
		}
	}
	t.ACMEDomains = domains
	files := t.CertFile != "" || t.KeyFile != ""
	switch {
	case files && (t.CertFile == "" || t.KeyFile == ""):
		return errors.New("server.tls.cert_file and server.tls.key_file go together: set both")
	case files && len(domains) > 0:
		return errors.New("server.tls: certificate files or acme_domains, not both")
	case len(domains) == 0 && (t.ACMEEmail != "" || t.ACMECARoots != ""):
		return errors.New("server.tls.acme_email and server.tls.acme_ca_roots need server.tls.acme_domains")
	case s.HTTPAddr != "" && !s.tlsOn():
		return errors.New("server.http_addr redirects to HTTPS: set server.tls.cert_file and key_file, or server.tls.acme_domains")
	}
	if len(domains) == 0 {
		return nil
	}
	for _, d := range domains {
		// autocert answers HTTP-01 and TLS-ALPN-01 only: no wildcard (that
		// needs DNS-01), and a bare name, not a URL.
		if strings.ContainsAny(d, "*/:@ ") || !strings.Contains(strings.Trim(d, "."), ".") {
			return fmt.Errorf("server.tls.acme_domains: %q is not a domain name like corpus.example.org (no scheme, port or wildcard)", d)
		}
	}
	if t.ACMEEmail != "" && (!strings.Contains(t.ACMEEmail, "@") || strings.ContainsAny(t.ACMEEmail, " \t")) {
		return fmt.Errorf("server.tls.acme_email: %q is not an email address", t.ACMEEmail)
	}
	if u, err := url.Parse(t.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("server.tls.acme_directory: %q is not an https:// URL", t.ACMEDirectory)
	}
	return nil
}

// tlsSource is where the HTTPS certificates come from.
type tlsSource struct {
	config *tls.Config
	// challenge wraps the plain-HTTP handler of server.http_addr (ACME
	// HTTP-01); nil for certificate files.
	challenge func(http.Handler) http.Handler
	// reload runs on SIGHUP; nil when there is nothing to reload.
	reload func(why string)
	// background runs until ctx ends: polling the files, or fetching the
	// ACME certificates before the first phone asks.
	background func(ctx context.Context)
	// host is the name to print in links (the certificate's or the first
	// ACME domain); empty: the listening address.
	host string
	// about is one line for the terminal.
	about string
}

// newTLSSource builds the HTTPS side from the configuration; nil when TLS is
// off.
func newTLSSource(cfg Config, log *slog.Logger) (*tlsSource, error) {
	t := cfg.Server.TLS
	switch {
	case t.CertFile != "":
		return newCertFileSource(t.CertFile, t.KeyFile, log)
	case len(t.ACMEDomains) > 0:
		return newACMESource(cfg, log)
	}
	return nil, nil // TLS off: plain HTTP, nothing to set up
}

func newCertFileSource(certFile, keyFile string, log *slog.Logger) (*tlsSource, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load("start"); err != nil {
		return nil, err
	}
	host := ""
	if leaf := c.cur.Load().Leaf; leaf != nil {
		for _, n := range leaf.DNSNames {
			if !strings.HasPrefix(n, "*") {
				host = n
				break
			}
		}
	}
	return &tlsSource{
		config:     &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.getCertificate},
		reload:     func(why string) { _ = c.load(why) },
		background: func(ctx context.Context) { c.watch(ctx, certPollEvery) },
		host:       host,
		about:      fmt.Sprintf("HTTPS with the certificate in %s (reloaded on SIGHUP and when the file changes)", certFile),
	}, nil
}

// certFiles serves the certificate of a PEM pair and reloads it.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate]

	mu   sync.Mutex
	seen [2]os.FileInfo // the files as last loaded or tried
}

func (c *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// load reads the pair and, when it is good, serves it from now on. A bad
// pair is logged and the previous certificate stays.
func (c *certFiles) load(why string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The files as they were before reading: a change during the read is
	// seen again at the next poll.
	c.seen = c.stat()
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err == nil && cert.Leaf == nil {
		cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0])
	}
	if err != nil {
		err = fmt.Errorf("server.tls: load %s and %s: %w", c.certFile, c.keyFile, err)
		if c.cur.Load() != nil {
			c.log.Error("certificate reload failed; the previous certificate stays in service", "why", why, "err", err.Error())
		}
		return err
	}
	c.cur.Store(&cert)
	left := time.Until(cert.Leaf.NotAfter)
	c.log.Info("certificate loaded", "why", why, "file", c.certFile, "names", cert.Leaf.DNSNames,
		"not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339), "serial", cert.Leaf.SerialNumber.Text(16))
	if left < 14*24*time.Hour {
		c.log.Warn("certificate expires soon: renew it (the new files are picked up without a restart)",
			"file", c.certFile, "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

func (c *certFiles) stat() [2]os.FileInfo {
	var st [2]os.FileInfo
	for i, p := range []string{c.certFile, c.keyFile} {
		st[i], _ = os.Stat(p) // a missing file is nil: a change like any other
	}
	return st
}

// changed reports whether either file differs from when it was last read:
// another file (renamed over, or a symlink swapped), another size or
// another modification time.
func (c *certFiles) changed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.stat()
	for i := range now {
		a, b := c.seen[i], now[i]
		if (a == nil) != (b == nil) {
			return true
		}
		if a != nil && (!os.SameFile(a, b) || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime())) {
			return true
		}
	}
	return false
}

// watch reloads the pair whenever the files change, until ctx ends.
func (c *certFiles) watch(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if c.changed() {
				_ = c.load("files changed")
			}
		}
	}
}

func newACMESource(cfg Config, log *slog.Logger) (*tlsSource, error) {
	t := cfg.Server.TLS
	client := &acme.Client{DirectoryURL: t.ACMEDirectory, UserAgent: "dialect/" + version}
	if t.ACMECARoots != "" {
		pem, err := os.ReadFile(t.ACMECARoots)
		if err != nil {
			return nil, fmt.Errorf("server.tls.acme_ca_roots: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("server.tls.acme_ca_roots: no PEM certificate in %s", t.ACMECARoots)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		client.HTTPClient = &http.Client{Transport: tr}
	}
	// One cache folder per directory: a certificate from a staging or test
	// CA must never be served once the production directory is configured.
	dir := filepath.Join(cfg.DataDir, "acme", acmeCacheName(t.ACMEDirectory))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("acme cache: %w", err)
	}
	// The account key and the certificates' keys live here: owner only,
	// even if the folders were made earlier with a looser mode.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o700); err != nil { //nolint:gosec // G302: a folder needs its x bit; 0700 is owner-only
			return nil, fmt.Errorf("acme cache: %w", err)
		}
	}
	m := &autocert.Manager{
		// Configuring an ACME directory is accepting its terms of service.
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: autocert.HostWhitelist(t.ACMEDomains...),
		Email:      t.ACMEEmail,
		Client:     client,
	}
	tc := m.TLSConfig()
	tc.MinVersion = tls.VersionTLS12
	return &tlsSource{
		config:     tc,
		challenge:  m.HTTPHandler,
		background: func(ctx context.Context) { warmACME(ctx, m, t.ACMEDomains, cfg.Server.HTTPAddr, log) },
		host:       t.ACMEDomains[0],
		about: fmt.Sprintf("HTTPS for %s with certificates from %s (cached in %s)",
			strings.Join(t.ACMEDomains, ", "), t.ACMEDirectory, dir),
	}, nil
}

// acmeCacheName is a folder name for a directory URL:
// acme-v02.api.letsencrypt.org_directory.
func acmeCacheName(directory string) string {
	u, err := url.Parse(directory)
	if err != nil {
		return "default"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, strings.TrimSuffix(u.Host+u.Path, "/"))
}

// warmACME asks for each domain's certificate at start, so the first phone
// does not wait for the CA and a mistake (DNS not pointing here, port 80
// closed) shows in the log at once. autocert tries again at the next
// handshake, and renews by itself.
func warmACME(ctx context.Context, m *autocert.Manager, domains []string, httpAddr string, log *slog.Logger) {
	var wg sync.WaitGroup
	for _, d := range domains {
		wg.Go(func() {
			start := time.Now()
			// A hello that takes ECDSA, as every current browser does.
			hello := &tls.ClientHelloInfo{ServerName: d, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
			cert, err := m.GetCertificate(hello)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				hint := "check that DNS for the domain points here and that server.http_addr (port 80) or server.addr (port 443) is reachable from the internet"
				if httpAddr == "" {
					hint = "without server.http_addr only TLS-ALPN-01 on port 443 can answer; " + hint
				}
				log.Error("acme certificate failed; retried at the next connection", "domain", d, "err", err.Error(), "hint", hint)
				return
			}
			attrs := []any{"domain", d, "ms", time.Since(start).Milliseconds()}
			if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil {
				attrs = append(attrs, "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
			}
			log.Info("acme certificate ready", attrs...)
		})
	}
	wg.Wait()
}

// publicBase is the https:// origin to print in links: the certificate's
// name when there is one, the listening address otherwise, with the port
// unless it is 443.
func (s *tlsSource) publicBase(addr string) string {
	if s.host == "" {
		return "https://" + addr
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "443" {
		return "https://" + s.host
	}
	return "https://" + net.JoinHostPort(s.host, port)
}

// onHangup handles SIGHUP until ctx ends: the certificate files are read
// again; the server keeps running whatever happens.
func onHangup(ctx context.Context, hup <-chan os.Signal, src *tlsSource, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			switch {
			case src != nil && src.reload != nil:
				src.reload("SIGHUP")
			case src != nil:
				log.Info("SIGHUP: ACME certificates are renewed by themselves; nothing to reload")
			default:
				log.Info("SIGHUP: no server.tls certificate to reload")
			}
		}
	}
}

// listenPlainHTTP serves server.http_addr, when set: ACME HTTP-01
// challenges, and for everything else a redirect to the HTTPS address
// (the port of server.addr, left out when it is 443). It returns the
// address it listens on ("" when none) and a function that stops it.
func listenPlainHTTP(ctx context.Context, cfg Config, src *tlsSource, httpsAddr string, log *slog.Logger) (string, func(), error) {
	if cfg.Server.HTTPAddr == "" || src == nil {
		return "", func() {}, nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Server.HTTPAddr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s (server.http_addr): %w", cfg.Server.HTTPAddr, err)
	}
	_, port, _ := net.SplitHostPort(httpsAddr)
	h := server.RedirectHTTPS(port)
	if src.challenge != nil {
		h = src.challenge(h)
	}
	// Short requests only: the timeouts can be tight.
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("plain HTTP listener stopped", "addr", ln.Addr().String(), "err", err.Error())
		}
	}()
	stop := func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(c)
		<-done
	}
	return ln.Addr().String(), stop, nil
}
