package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"leadbox/internal/intake"
	"leadbox/internal/jobs"
	"leadbox/internal/metrics"
	"leadbox/internal/store"
	"leadbox/internal/web"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("serve", &cfg, getenv, stderr)
	serveFlags(fs, &cfg, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if !intake.KnownRegion(cfg.PhoneRegion) {
		return fmt.Errorf("--phone-region %q: not a region code such as RU, KZ, BY", cfg.PhoneRegion)
	}
	if err := checkBackupConfig(cfg); err != nil {
		return err
	}
	metricsAllow, err := parseCIDRs("metrics-allow", cfg.MetricsAllow)
	if err != nil {
		return err
	}
	trustedProxies, err := parseCIDRs("trusted-proxies", cfg.TrustedProxies)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.LogFormat, stderr)
	tuneGC(getenv)
	s, err := openStore(ctx, cfg.DB, stdout)
	if err != nil {
		return err
	}
	defer s.Close()
	m := metrics.New()
	s.ObserveGroups(m.Group)
	if _, err := bootstrap(ctx, s, cfg, getenv, stdout); err != nil {
		return err
	}
	handler := web.NewServer(web.Config{
		Store: s, Decoder: intake.New(cfg.PhoneRegion), Logger: logger, BaseURL: cfg.BaseURL,
		SourceRate: rate.Limit(cfg.SourceRate), SourceBurst: cfg.SourceBurst,
		AccountRate: rate.Limit(cfg.AccountRate), AccountBurst: cfg.AccountBurst,
		APIRate: rate.Limit(cfg.APIRate), APIBurst: cfg.APIBurst,
		MissRate: rate.Limit(cfg.MissRate), MissBurst: cfg.MissBurst,
		SessionIdle: sessionIdle, SessionMax: sessionMax,
		Metrics: m, MetricsAllow: metricsAllow, MetricsToken: cfg.MetricsToken, TrustedProxies: trustedProxies,
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(handler.CloseStreams) // live-update streams never end by themselves
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stdout, "leadbox: listening on http://%s (%s database; webhook URLs use %s)\n", ln.Addr(), s.Engine(), cfg.BaseURL)

	// The job runner outlives the serving: it stops after the requests in
	// flight have been answered, and records the tries it was making.
	jctx, cancelJobs := context.WithCancel(context.Background())
	runner := newRunner(s, logger)
	var bk *backups
	if cfg.BackupDir != "" {
		bk = &backups{db: cfg.DB, dir: cfg.BackupDir, keep: cfg.BackupKeep, log: logger, done: m.BackupDone}
	}
	// Registered without --backup-dir too: a chore once scheduled stays in
	// the queue, and one without a handler is retried every second.
	runner.Every(choreBackup, cfg.BackupEvery, func(context.Context, jobs.Job) error {
		if bk != nil {
			bk.start(jctx)
		}
		return nil
	})
	jobsDone := make(chan error, 1)
	go func() { jobsDone <- runner.Run(jctx) }()
	var stopOnce sync.Once
	stopJobs := func() {
		stopOnce.Do(func() {
			cancelJobs()
			if err := <-jobsDone; err != nil {
				logger.Warn("jobs: stop", "err", err)
			}
			if bk != nil {
				bk.wait() // a backup cut short leaves no file behind
			}
		})
	}
	defer stopJobs() // before the store closes, whichever way serve returns
	go watchQueue(jctx, s, logger, time.Minute)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "leadbox: shutting down, finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	stopJobs()
	fmt.Fprintln(stdout, "leadbox: stopped")
	return nil
}

// gcPercent and memoryLimit are the server's garbage-collector settings
// unless GOGC or GOMEMLIMIT say otherwise. Under load almost everything a
// request allocates is garbage once it is answered, and the live heap is a
// few megabytes: with Go's default GOGC=100 the collector ran every few
// milliseconds and took about a tenth of the CPU. At 400 it runs a quarter
// as often (A/B on SQLite at 64 connections: +11–17% req/s; bench/README.md).
// The soft limit keeps the heap, and so the process (SQLite's page caches
// are outside the heap), within the 100 MB budget at 256 connections:
// 82 MB measured, against 107–133 MB with GOGC=400 alone.
const (
	gcPercent   = 400
	memoryLimit = 64 << 20
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// openStore opens and migrates the database.
func openStore(ctx context.Context, dsn string, out io.Writer) (*store.Store, error) {
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	for _, m := range applied {
		fmt.Fprintf(out, "leadbox: applied migration %s\n", m)
	}
	return s, nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("migrate", &cfg, getenv, stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg.DB, stdout)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "leadbox: %s database is up to date\n", s.Engine())
	return nil
}
