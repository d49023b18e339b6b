package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config is everything leadbox is told at start, by flag or environment.
type Config struct {
	Addr         string
	DB           string
	BaseURL      string
	PhoneRegion  string
	SourceRate   float64
	SourceBurst  int
	AccountRate  float64
	AccountBurst int
	APIRate      float64
	APIBurst     int
	MissRate     float64
	MissBurst    int
	LogFormat    string
	Shutdown     time.Duration

	BackupDir   string
	BackupEvery time.Duration
	BackupKeep  int

	MetricsAllow   string
	MetricsToken   string
	TrustedProxies string
}

// flagSet returns a FlagSet for one command with the flags every command
// shares; each flag's default comes from its LEADBOX_ environment twin.
func flagSet(name string, cfg *Config, getenv func(string) string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&cfg.DB, "db", env("LEADBOX_DB", "leadbox.db"), "database: a SQLite file path or a postgres:// URL (LEADBOX_DB)")
	fs.StringVar(&cfg.BaseURL, "base-url", env("LEADBOX_BASE_URL", "http://localhost:8080"), "public URL of this server, used to print webhook URLs (LEADBOX_BASE_URL)")
	return fs
}

// serveFlags adds the flags only the server needs.
func serveFlags(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&cfg.Addr, "addr", env("LEADBOX_ADDR", ":8080"), "address to listen on (LEADBOX_ADDR)")
	fs.StringVar(&cfg.PhoneRegion, "phone-region", env("LEADBOX_PHONE_REGION", "RU"), "region assumed for phones without a country code (LEADBOX_PHONE_REGION)")
	fs.Float64Var(&cfg.SourceRate, "rate-source", envFloat(getenv, "LEADBOX_RATE_SOURCE", 100), "webhook requests per second per source, 0 for no limit (LEADBOX_RATE_SOURCE)")
	fs.IntVar(&cfg.SourceBurst, "rate-source-burst", envInt(getenv, "LEADBOX_RATE_SOURCE_BURST", 1000), "burst allowed above the per-source rate (LEADBOX_RATE_SOURCE_BURST)")
	fs.Float64Var(&cfg.AccountRate, "rate-account", envFloat(getenv, "LEADBOX_RATE_ACCOUNT", 1000), "webhook requests per second per account, 0 for no limit (LEADBOX_RATE_ACCOUNT)")
	fs.IntVar(&cfg.AccountBurst, "rate-account-burst", envInt(getenv, "LEADBOX_RATE_ACCOUNT_BURST", 5000), "burst allowed above the per-account rate (LEADBOX_RATE_ACCOUNT_BURST)")
	// Generous: only requests for URLs that name no source count, and a site
	// left posting to a deleted or rotated URL should keep hearing 404.
	fs.Float64Var(&cfg.MissRate, "rate-miss", envFloat(getenv, "LEADBOX_RATE_MISS", 20), "webhook requests per second per client address for URLs that name no source, past the burst answered 429; 0 for no limit (LEADBOX_RATE_MISS)")
	fs.IntVar(&cfg.MissBurst, "rate-miss-burst", envInt(getenv, "LEADBOX_RATE_MISS_BURST", 100), "burst allowed above the per-address miss rate (LEADBOX_RATE_MISS_BURST)")
	fs.Float64Var(&cfg.APIRate, "rate-api", envFloat(getenv, "LEADBOX_RATE_API", 50), "REST API requests per second per token, 0 for no limit (LEADBOX_RATE_API)")
	fs.IntVar(&cfg.APIBurst, "rate-api-burst", envInt(getenv, "LEADBOX_RATE_API_BURST", 200), "burst allowed above the per-token rate (LEADBOX_RATE_API_BURST)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("LEADBOX_LOG_FORMAT", "text"), "log format: text or json (LEADBOX_LOG_FORMAT)")
	fs.DurationVar(&cfg.Shutdown, "shutdown-timeout", 25*time.Second, "how long to wait for in-flight requests on SIGINT/SIGTERM")
	fs.StringVar(&cfg.MetricsAllow, "metrics-allow", env("LEADBOX_METRICS_ALLOW", ""), "networks besides loopback that may read /metrics, comma-separated CIDRs, e.g. 10.0.0.0/8 (LEADBOX_METRICS_ALLOW)")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", env("LEADBOX_METRICS_TOKEN", ""), "a bearer token that lets any client read /metrics; empty for none (LEADBOX_METRICS_TOKEN)")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", env("LEADBOX_TRUSTED_PROXIES", ""), "reverse proxies whose X-Forwarded-For names the client, comma-separated CIDRs, e.g. 127.0.0.1/32 (LEADBOX_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.BackupDir, "backup-dir", env("LEADBOX_BACKUP_DIR", ""), "SQLite: write a backup into this directory every --backup-every; empty for none (LEADBOX_BACKUP_DIR)")
	fs.DurationVar(&cfg.BackupEvery, "backup-every", envDuration(getenv, "LEADBOX_BACKUP_EVERY", 24*time.Hour), "how often to back up into --backup-dir, e.g. 6h (LEADBOX_BACKUP_EVERY)")
	fs.IntVar(&cfg.BackupKeep, "backup-keep", envInt(getenv, "LEADBOX_BACKUP_KEEP", 7), "how many backups to keep in --backup-dir, the newest (LEADBOX_BACKUP_KEEP)")
}

func envFloat(getenv func(string) string, key string, def float64) float64 {
	if v, err := strconv.ParseFloat(getenv(key), 64); err == nil {
		return v
	}
	return def
}

func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(getenv(key)); err == nil {
		return v
	}
	return def
}

func envInt(getenv func(string) string, key string, def int) int {
	if v, err := strconv.Atoi(getenv(key)); err == nil {
		return v
	}
	return def
}

// parseCIDRs parses flag's comma-separated list of networks.
func parseCIDRs(flag, list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// parse parses args, refusing stray positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
