// Package web is leadbox's HTTP server: NewServer wires the three surfaces
// and routes.go mounts them, with the health probes, behind the middleware
// every request passes (middleware.go).
//
//   - hook: the incoming webhook, /hooks/{token};
//   - api: the REST API, /api/v1 (its route table is api.apiTable);
//   - ui: the managers' pages, everything else (ui.Server.Routes).
//
// What the surfaces share is below them: answers in respond, rate limits in
// ratelimit, the live hub in live, English messages in i18n; re-reading a
// request in intake and re-processing it in store.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/metrics"
	"leadbox/internal/store"
	"leadbox/internal/web/api"
	"leadbox/internal/web/hook"
	"leadbox/internal/web/live"
	"leadbox/internal/web/ratelimit"
	"leadbox/internal/web/respond"
	"leadbox/internal/web/ui"
)

// The largest request bodies the webhook and the API read.
const (
	MaxWebhookBody = hook.MaxBody
	MaxAPIBody     = api.MaxBody
)

// Config is what a Server needs.
type Config struct {
	Store   *store.Store
	Decoder *intake.Decoder
	Logger  *slog.Logger
	BaseURL string // public URL of the server, for webhook URLs shown to people

	// Webhook rate limits, per source and per account; a zero rate turns the
	// limit off.
	SourceRate   rate.Limit
	SourceBurst  int
	AccountRate  rate.Limit
	AccountBurst int

	// Webhook requests for URLs that name no source, per client address
	// (IPv6: per /64): past the burst they get 429 instead of 404. A zero
	// rate turns the limit off.
	MissRate  rate.Limit
	MissBurst int

	// REST API rate limit per token; a zero rate turns it off.
	APIRate  rate.Limit
	APIBurst int

	// Web UI sessions end after SessionIdle without a request or SessionMax
	// after login; zero means 30 minutes and 8 hours.
	SessionIdle time.Duration
	SessionMax  time.Duration

	// Metrics, when set, counts the webhook's answers and is served at
	// GET /metrics to loopback peers, to MetricsAllow's networks, and to
	// a request with MetricsToken as its bearer token (when set).
	Metrics      *metrics.Metrics
	MetricsAllow []netip.Prefix
	MetricsToken string

	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (see fromProxy); none by default.
	TrustedProxies []netip.Prefix
}

// Server is leadbox's HTTP handler.
type Server struct {
	store   *store.Store
	log     *slog.Logger
	hub     *live.Hub
	hook    *hook.Server
	api     *api.Server
	ui      *ui.Server
	handler http.Handler

	metrics      *metrics.Metrics
	metricsAllow []netip.Prefix
	metricsToken string

	trustedProxies []netip.Prefix
}

// NewServer returns the handler for every leadbox endpoint.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	hub := live.New(cfg.Store, cfg.Logger)
	reread := rereader(cfg.Decoder)
	s := &Server{
		store:   cfg.Store,
		log:     cfg.Logger,
		hub:     hub,
		metrics: cfg.Metrics, metricsAllow: cfg.MetricsAllow, metricsToken: cfg.MetricsToken,
		trustedProxies: cfg.TrustedProxies,
		hook: hook.New(hook.Config{
			Store: cfg.Store, Decoder: cfg.Decoder, Logger: cfg.Logger, Hub: hub,
			Limits: ratelimit.New(cfg.SourceRate, cfg.SourceBurst, cfg.AccountRate, cfg.AccountBurst),
			Misses: ratelimit.NewMisses(cfg.MissRate, cfg.MissBurst),
		}),
		api: api.New(api.Config{
			Store: cfg.Store, Decoder: cfg.Decoder, Logger: cfg.Logger, Hub: hub, Reread: reread,
			BaseURL: cfg.BaseURL, Rate: cfg.APIRate, Burst: cfg.APIBurst,
		}),
		ui: ui.New(ui.Config{
			Store: cfg.Store, Decoder: cfg.Decoder, Logger: cfg.Logger, Hub: hub, Reread: reread,
			BaseURL: cfg.BaseURL, SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax,
		}),
	}
	s.handler = s.fromProxy(s.logRequests(s.recoverPanics(compress(s.routes()))))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// CloseStreams ends every live-update stream, so a graceful shutdown need not
// wait for browsers to hang up.
func (s *Server) CloseStreams() { s.hub.Close() }

// rereader reads a quarantined request again by its source's settings now,
// for re-processing from the API or the UI; the answer a retry of it would
// replay is the webhook's.
func rereader(d *intake.Decoder) func(lead.Source, lead.Delivery) (store.Reprocessed, error) {
	return func(src lead.Source, dl lead.Delivery) (store.Reprocessed, error) {
		in, mapped, err := d.Reread(src, dl)
		return store.Reprocessed{Input: in, Mapped: mapped, Render: respond.LeadBody}, err
	}
}
