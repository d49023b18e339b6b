// Package web serves leadbox over HTTP: the incoming webhook, health probes
// and, later, the managers' UI and the REST API. routes.go lists every
// endpoint.
package web

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"leadbox/internal/intake"
	"leadbox/internal/store"
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
}

// Server is leadbox's HTTP handler.
type Server struct {
	store   *store.Store
	decoder *intake.Decoder
	log     *slog.Logger
	limits  *limiter
	misses  *missLimiter
	handler http.Handler
	baseURL string

	api        apiState // api_routes.go
	ui         uiState  // ui_routes.go
	uiOwnsRoot bool     // the UI serves "/" itself

	// inFlight holds the Idempotency-Keys this process is working on, so a
	// retry that arrives before the first attempt is answered gets a 409
	// instead of waiting on it.
	mu       sync.Mutex
	inFlight map[idemKey]struct{}
}

type idemKey struct {
	source int64
	key    string
}

// NewServer returns the handler for every leadbox endpoint.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		store:    cfg.Store,
		decoder:  cfg.Decoder,
		log:      cfg.Logger,
		limits:   newLimiter(cfg.SourceRate, cfg.SourceBurst, cfg.AccountRate, cfg.AccountBurst),
		misses:   newMissLimiter(cfg.MissRate, cfg.MissBurst),
		inFlight: make(map[idemKey]struct{}),
		baseURL:  cfg.BaseURL,
	}
	s.initAPI(cfg)
	s.initUI(cfg)
	s.handler = s.logRequests(s.recoverPanics(s.routes()))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// claim marks an Idempotency-Key as in flight in this process; false means it
// already is.
func (s *Server) claim(k idemKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.inFlight[k]; busy {
		return false
	}
	s.inFlight[k] = struct{}{}
	return true
}

func (s *Server) release(k idemKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, k)
}
