// Package server is the HTTP face of dialect: gin routes, sign-in and
// roles, pages, the JSON API of spec/api.md and the middleware around them
// (limits, headers, logs, metrics). It is thin: parse, call recorder or
// corpus, respond. It holds no SQL.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialect-corpus/dialect/assets"
	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
)

// Options are the server's settings (cmd/dialect passes them from config).
type Options struct {
	// SecureCookies sets Secure and the __Host- prefix on the session
	// cookie even on plain HTTP (behind a TLS-terminating proxy). Requests
	// that arrive over TLS always get them.
	SecureCookies bool
	// TrustedProxies are the reverse proxies (CIDRs or addresses, see
	// ParseTrustedProxies) whose X-Forwarded-For / Forwarded and
	// X-Forwarded-Proto headers say who the client is and whether it
	// came over HTTPS (proxy.go). Empty: nobody's are believed.
	TrustedProxies []string
	// LoginPerIPPerMinute limits FAILED sign-ins per client address (an
	// IPv6 /64) per minute, with a burst of twice that; 0 means 10.
	// Successful sign-ins cost nothing, so a classroom behind one address
	// gets in; each account also backs off after 5 failures (auth.go).
	LoginPerIPPerMinute int
	// UploadsPerSpeaker limits concurrent uploads per speaker; 0 means 4.
	UploadsPerSpeaker int
	// MaxClipBytes limits one clip upload; 0 means 64 MiB.
	MaxClipBytes int64
	// MinFreeDisk is the free space (bytes) each folder of Disks must
	// keep, or /healthz answers 503 naming "disk"; 0 means no minimum.
	MinFreeDisk int64
	// Disks are the folders whose free space /healthz checks and the
	// dialect_disk_free_bytes gauge shows, by name ("data": the data
	// directory, "temp": where request bodies spill). Empty: none.
	Disks map[string]string
	// Logger receives structured request logs; nil means discard.
	Logger *slog.Logger
	// Now replaces the clock in tests.
	Now func() time.Time
}

// Server serves the web app and the API.
type Server struct {
	opts    Options
	db      *corpus.DB
	rec     *recorder.Service
	log     *slog.Logger
	engine  *gin.Engine
	pages   *template.Template
	bundle  *assets.Bundle // the static files as served (pages.go assets)
	auth    *authState
	metrics *metrics
	// proxies are Options.TrustedProxies, parsed.
	proxies []netip.Prefix
	// tusLocks holds one lock per resumable upload (tus.go).
	tusLocks uploadLocks
}

// New builds the server over db and rec.
func New(opts Options, db *corpus.DB, rec *recorder.Service) (*Server, error) {
	if opts.LoginPerIPPerMinute <= 0 {
		opts.LoginPerIPPerMinute = 10
	}
	if opts.UploadsPerSpeaker <= 0 {
		opts.UploadsPerSpeaker = 4
	}
	if opts.MaxClipBytes <= 0 {
		opts.MaxClipBytes = 64 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	proxies, err := ParseTrustedProxies(opts.TrustedProxies)
	if err != nil {
		return nil, err
	}
	bundle, err := assets.Built()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages(bundle)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, db: db, rec: rec, log: opts.Logger, pages: pages, bundle: bundle,
		auth: newAuthState(opts), metrics: newMetrics(prometheus.NewRegistry()), proxies: proxies}
	if len(proxies) > 0 {
		s.log.Info("trusting reverse proxies", "trusted_proxies", fmt.Sprint(proxies))
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// gin's ClientIP is not used: who the client is, directly or behind
	// a proxy of Options.TrustedProxies, is decided in one place
	// (clientOf, proxy.go). gin itself trusts no forwarding header.
	if err := e.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	e.HandleMethodNotAllowed = true
	e.MaxMultipartMemory = 8 << 20
	s.engine = e
	s.registerDiskMetrics()
	s.routes()
	return s, nil
}

// Handler is the whole app: gin wrapped in cross-origin protection, which
// refuses non-safe cross-site browser requests (CSRF) before any handler,
// wrapped in the request-target check (no Host, absolute-form: 400).
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header(), true)
		s.writeError(w, r, errCrossOrigin, newRequestID(), nil, "")
	}))
	return s.checkTarget(cop.Handler(s.engine))
}

// HTTPServer returns an http.Server with the timeouts of reliability.md C3.
// Long uploads and downloads extend their own deadlines per request.
func (s *Server) HTTPServer() *http.Server {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// On shutdown, running tus PATCHes stop reading, commit what arrived
	// and answer 503 with Retry-After, so a long upload resumes from there
	// after the restart (reliability.md C3).
	s.tusLocks.stopOnShutdown(srv)
	return srv
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully,
// giving requests in flight up to 30 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, ln, nil)
}

// serve is Serve, over TLS when tlsConfig is not nil (ServeTLS).
func (s *Server) serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	srv := s.HTTPServer()
	errc := make(chan error, 1)
	if tlsConfig != nil {
		// ServeTLS adds "h2" to a clone of TLSConfig; the certificate
		// comes from its GetCertificate, hence no file names here.
		srv.TLSConfig = tlsConfig
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// Route is one registered route, for the route × role test.
type Route struct{ Method, Path string }

// Routes lists every registered route.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.engine.Routes() {
		out = append(out, Route{r.Method, r.Path})
	}
	return out
}

// access says who may call a route.
type access uint8

const (
	public access = 1 << iota
	speaker
	reviewer
	vendor
	admin
	people = speaker | reviewer | admin
)

// routes lists every route in one place, each with who may call it. The
// route × role test (S-01) walks the engine's table and fails on a route it
// does not know.
func (s *Server) routes() {
	e := s.engine
	// gzipResponses (compress.go) sits inside the logs and metrics, which
	// count the bytes sent, and outside errorResponse, whose pages it
	// compresses too.
	e.Use(s.identify, s.requestID, s.recoverJSON, s.securityHeaders, s.logRequests, s.metrics.middleware, s.gzipResponses, s.errorResponse)
	// authn first: the error page's header shows who is signed in.
	e.NoRoute(s.authn, func(c *gin.Context) { fail(c, errNotFound) })
	e.NoMethod(s.authn, func(c *gin.Context) {
		fail(c, errf(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed", "不支援此方法"))
	})

	// Pages.
	e.GET("/", s.authn, s.allow(public), s.pageHome)
	e.GET("/signin", s.authn, s.allow(public), s.pageSignIn)
	e.POST("/signin", s.authn, s.allow(public), s.formSignIn)
	e.POST("/signout", s.authn, s.allow(people), s.formSignOut)
	e.GET("/signin/once", s.authn, s.allow(public), s.pageOnce)
	e.POST("/signin/once", s.authn, s.allow(public), s.formOnce)
	e.POST("/account/password", s.authn, s.allow(people), s.formPassword)
	e.GET("/assets/*path", s.allow(public), s.assets)
	e.GET("/favicon.ico", s.allow(public), s.favicon)
	e.GET("/record", s.authn, s.allow(speaker), s.pageRecord)
	e.GET("/review", s.authn, s.allow(reviewer), s.pageReview)
	e.POST("/clips/:id/appeal", s.authn, s.allow(speaker), s.formAppeal)
	e.GET("/stats", s.authn, s.allow(admin), s.pageStats)
	e.POST("/stats/releases", s.authn, s.allow(admin), s.formCreateRelease)
	e.GET("/transcribe/:id", s.authn, s.allow(people), s.pageTranscribe)

	// Operations.
	e.GET("/healthz", s.allow(public), s.healthz)
	// /metrics is not here: it is served only on server.metrics_addr
	// (MetricsHandler), so the public address answers 404 for it.

	api := e.Group("/api/v1", noStore)
	api.POST("/session", s.authn, s.allow(public), jsonLimit, s.createSession)
	api.DELETE("/session", s.authn, s.allow(people|vendor), s.deleteSession)
	api.GET("/me", s.authn, s.allow(people), s.getMe)
	api.PUT("/me/profile", s.authn, s.allow(speaker), jsonLimit, s.putProfile)
	api.POST("/consent", s.authn, s.allow(speaker), jsonLimit, s.postConsent)
	api.GET("/tasks/next", s.authn, s.allow(speaker), s.getNextTask)
	api.POST("/clips", s.authn, s.allow(speaker), s.postClip)
	api.GET("/clips", s.authn, s.allow(speaker), s.listClips)
	api.GET("/clips/:id", s.authn, s.allow(speaker), s.getClip)
	api.GET("/clips/:id/audio", s.authn, s.allow(speaker), s.getClipAudio)
	api.POST("/lint", s.authn, s.allow(people), jsonLimit, s.postLint)
	api.OPTIONS("/uploads", s.authn, s.allow(speaker), s.tusOptions)
	api.POST("/uploads", s.authn, s.allow(speaker), s.tus, s.tusCreate)
	api.HEAD("/uploads/:id", s.authn, s.allow(speaker), s.tus, s.tusHead)
	api.PATCH("/uploads/:id", s.authn, s.allow(speaker), s.tus, s.tusPatch)
	api.DELETE("/uploads/:id", s.authn, s.allow(speaker), s.tus, s.tusDelete)
	api.GET("/uploads/:id", s.authn, s.allow(speaker), s.getUpload)
	api.POST("/clips/:id/appeal", s.authn, s.allow(speaker), jsonLimit, s.postAppeal)
	api.GET("/me/ledger", s.authn, s.allow(speaker), s.getMyLedger)
	api.GET("/me/ledger.csv", s.authn, s.allow(speaker), s.getMyLedgerCSV)
	api.GET("/review/next", s.authn, s.allow(reviewer), s.getReviewNext)
	api.GET("/review/reasons", s.authn, s.allow(people), s.getReviewReasons)
	api.POST("/review/:id", s.authn, s.allow(reviewer), jsonLimit, s.postReview)
	api.GET("/review/:id/audio", s.authn, s.allow(reviewer), s.getReviewAudio)
	// Transcription (transcribe.go): people route; transcribe.May decides per clip.
	api.GET("/clips/:id/segments/proposed", s.authn, s.allow(people), s.getProposedSegments)
	api.GET("/clips/:id/peaks", s.authn, s.allow(people), s.getPeaks)
	api.GET("/clips/:id/transcription/audio", s.authn, s.allow(people), s.getTranscriptionAudio)
	api.GET("/clips/:id/transcription/draft", s.authn, s.allow(people), s.getDraft)
	api.PUT("/clips/:id/transcription/draft", s.authn, s.allow(people), transcribeLimit, s.putDraft)
	api.GET("/clips/:id/transcription", s.authn, s.allow(people), s.getTranscription)
	api.POST("/clips/:id/transcription", s.authn, s.allow(people), transcribeLimit, s.postTranscription)

	api.GET("/admin/projects", s.authn, s.allow(admin), s.adminListProjects)
	api.POST("/admin/projects", s.authn, s.allow(admin), jsonLimit, s.adminCreateProject)
	api.POST("/admin/projects/:id/prompts", s.authn, s.allow(admin), jsonLimit, s.adminAddPrompts)
	api.POST("/admin/users", s.authn, s.allow(admin), jsonLimit, s.adminCreateUser)
	api.POST("/admin/releases", s.authn, s.allow(admin), jsonLimit, s.adminCreateRelease)
	api.GET("/releases", s.authn, s.allow(vendor|admin), s.listReleases)
	api.GET("/releases/:id/download", s.authn, s.allow(vendor|admin), s.downloadRelease)
	api.POST("/admin/clips/:id/override", s.authn, s.allow(admin), jsonLimit, s.adminOverride)
}
