package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
)

// dataFlags are the flags every command that opens the corpus takes.
var dataFlags = map[string]string{"data_dir": "data-dir"}

func newServeCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the corpus server (web app and API)",
		Long: `Run the corpus server. With no configuration it keeps its data under
./dialect-data/, listens on 127.0.0.1:8080, creates a demo project with
Taiwanese prompts, and prints a one-time admin sign-in link while no admin
has ever signed in (afterwards: dialect user link USERNAME, on the server).

One dialect serve runs on a data directory: it holds an exclusive lock on
DATA_DIR/LOCK (which holds its pid); a second one exits 2 naming that pid.
The other commands may run beside it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"data_dir": "data-dir", "server.addr": "addr"})
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), st, cfg, nil)
		},
	}
	cmd.Flags().String("addr", "", "listen address (default 127.0.0.1:8080)")
	cmd.Flags().String("data-dir", "", "data folder (default ./dialect-data)")
	return cmd
}

// runServe serves until ctx ends. ready, when not nil, receives the
// listening address and the sign-in path once the server accepts
// connections (for tests).
//
// When standard output cannot be written, serving goes on: the failure is
// logged (the sign-in link is not: it is a credential) and the exit status
// is 2 once the server stops.
func runServe(ctx context.Context, st streams, cfg Config, ready func(addr, signin string)) (err error) {
	// The same error repeated (every upload on a full disk) is logged once
	// per interval with a count (server.NewDedupHandler).
	log := slog.New(server.NewDedupHandler(slog.NewJSONHandler(st.err, &slog.HandlerOptions{Level: slog.LevelInfo}), logRepeatInterval))
	// The first line: what runs, configured from where, storing where.
	log.Info("dialect starting", "version", version, "config", cfg.sources.summary(),
		"data_dir", absPath(cfg.DataDir), "database", absPath(filepath.Join(cfg.DataDir, "dialect.db")),
		"blobs", absPath(filepath.Join(cfg.DataDir, "clips")), "min_free_disk", cfg.Limits.minFreeDisk(),
		"metrics_addr", cfg.Server.MetricsAddr)
	// SIGHUP reloads the certificate files; its default action would stop
	// the server, so it is caught from the start.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// One server per data directory, taken before the corpus is opened: a
	// second server neither migrates nor reconciles beside the first.
	lock, err := lockDataDir(cfg.DataDir, log)
	if err != nil {
		return err
	}
	defer releaseLock(lock, &err)
	opened := time.Now()
	db, err := corpus.Open(ctx, cfg.DataDir, corpus.Options{Logger: log})
	if err != nil {
		if errors.Is(err, corpus.ErrCorrupt) {
			log.Error("refusing to start", "data_dir", cfg.DataDir, "err", err.Error())
			return fmt.Errorf("refusing to start: %w (run dialect audit)", err)
		}
		return fmt.Errorf("open corpus: %w", err)
	}
	defer closeCorpus(db, &err)
	// F-13: the startup reconciler's counts, in the log.
	rr := db.Reconciled()
	log.Info("corpus opened", "data_dir", cfg.DataDir, "quarantined", rr.Quarantined, "temp_removed", rr.TempRemoved,
		"ms", time.Since(opened).Milliseconds())
	out := &printer{w: st.out}
	adminID, err := ensureDefaults(ctx, db, out)
	if err != nil {
		return err
	}
	tlsSrc, err := newTLSSource(cfg, log)
	if err != nil {
		return err
	}
	rec := recorder.New(db, recorder.Options{Check: cfg.Check, Lint: cfg.Lint, MaxClipBytes: cfg.Limits.MaxClipBytes})
	srv, err := server.New(server.Options{
		// Serving HTTPS itself, every session cookie is Secure and __Host-.
		SecureCookies:       cfg.Server.SecureCookies || tlsSrc != nil,
		TrustedProxies:      cfg.Server.TrustedProxies,
		LoginPerIPPerMinute: cfg.Limits.LoginPerIPPerMinute,
		UploadsPerSpeaker:   cfg.Limits.UploadsPerSpeaker,
		MaxClipBytes:        cfg.Limits.MaxClipBytes,
		MinFreeDisk:         cfg.Limits.minFreeDisk(),
		// The data directory (clips, database, tmp/ of uploads) and the
		// folder where large request bodies spill.
		Disks:  map[string]string{"data": cfg.DataDir, "temp": os.TempDir()},
		Logger: log,
	}, db, rec)
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	addr := ln.Addr().String()
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go onHangup(bg, hup, tlsSrc, log)
	scheme, base := "http", "http://"+addr
	if tlsSrc != nil {
		scheme, base = "https", tlsSrc.publicBase(addr)
		go tlsSrc.background(bg)
	}
	httpAddr, stopHTTP, err := listenPlainHTTP(ctx, cfg, tlsSrc, addr, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stopHTTP()
	metricsAddr, stopMetrics, err := listenMetrics(ctx, cfg.Server.MetricsAddr, srv, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stopMetrics()
	link, err := newAdminLink(ctx, db, srv, adminID)
	if err != nil {
		_ = ln.Close() // never served
		return err
	}
	out.printf("dialect %s serving %s://%s (data in %s)\n", version, scheme, addr, cfg.DataDir)
	if tlsSrc != nil {
		out.printf("%s\n", tlsSrc.about)
	}
	if metricsAddr != "" {
		out.printf("metrics on http://%s/metrics\n", metricsAddr)
	}
	if httpAddr != "" {
		out.printf("redirecting http://%s to HTTPS (and answering ACME HTTP-01 challenges)\n", httpAddr)
	}
	link.print(out, base)
	signin := link.path
	if out.err != nil {
		log.Error("cannot write standard output", "err", out.err.Error())
	}
	if ready != nil {
		ready(addr, signin)
	}
	if tlsSrc != nil {
		err = srv.ServeTLS(ctx, ln, tlsSrc.config)
	} else {
		err = srv.Serve(ctx, ln)
	}
	out.printf("dialect: stopped\n")
	if err == nil && out.err != nil {
		err = fmt.Errorf("write output: %w", out.err)
	}
	return err
}

// ensureDefaults makes the first run work: a demo project with prompts when
// there is no project, and an admin account (without a usable password
// until one is set) when there is none. It returns the admin's id.
func ensureDefaults(ctx context.Context, db *corpus.DB, out *printer) (int64, error) {
	ps, err := db.Projects(ctx)
	if err != nil {
		return 0, err
	}
	if len(ps) == 0 {
		p := recorder.DemoProject()
		if err := db.CreateProject(ctx, &p); err != nil {
			return 0, fmt.Errorf("create demo project: %w", err)
		}
		n, err := db.AddPrompts(ctx, p.ID, recorder.DemoPrompts())
		if err != nil {
			return 0, fmt.Errorf("add demo prompts: %w", err)
		}
		out.printf("created demo project %q with %d prompts\n", p.Slug, n)
	}
	u, err := db.UserByUsername(ctx, "admin")
	if errors.Is(err, corpus.ErrNotFound) {
		// "!" is not a PHC string: no password opens this account until
		// the admin sets one after the one-time sign-in.
		u = &corpus.User{Username: "admin", Role: corpus.RoleAdmin, PasswordHash: "!"}
		if err := db.CreateUser(ctx, u); err != nil {
			return 0, fmt.Errorf("create admin: %w", err)
		}
	} else if err != nil {
		return 0, err
	}
	if u.Role != corpus.RoleAdmin {
		return 0, errors.New(`user "admin" exists but is not an admin`)
	}
	return u.ID, nil
}

// logRepeatInterval is how often the same error, repeated, is logged.
const logRepeatInterval = 10 * time.Second

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// listenMetrics serves /metrics on addr, a listener of its own (empty: not
// at all); stop shuts it down.
func listenMetrics(ctx context.Context, addr string, srv *server.Server, log *slog.Logger) (bound string, stop func(), err error) {
	if addr == "" {
		return "", func() {}, nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s (server.metrics_addr): %w", addr, err)
	}
	hs := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "addr", ln.Addr().String(), "err", err.Error())
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return ln.Addr().String(), func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}, nil
}
