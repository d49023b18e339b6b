// Package hook serves the incoming webhook, /hooks/{token}: it reads a
// sender's request once (intake), answers CORS preflights, makes the lead
// (store), tells open inboxes (live), and answers a browser's form post with
// a redirect or a page instead of JSON. Every request that names a real
// source ends in its delivery log.
//
// hook.go follows one request from ServeHTTP to its answer; caught.go is
// the requests kept without a lead (connection checks, spam), cors.go the
// browsers' cross-origin rules, browser.go (with form.html) the answer to a
// browser's form post.
package hook

import (
	"log/slog"
	"net/http"
	"sync"

	"leadbox/internal/intake"
	"leadbox/internal/store"
	"leadbox/internal/web/live"
	"leadbox/internal/web/ratelimit"
)

// Config is what the webhook needs.
type Config struct {
	Store   *store.Store
	Decoder *intake.Decoder
	Logger  *slog.Logger
	Limits  *ratelimit.Limiter // per source and per account
	Misses  *ratelimit.Misses  // per address, for URLs that name no source
	Hub     *live.Hub
}

// Server is the webhook's handler.
type Server struct {
	store   *store.Store
	decoder *intake.Decoder
	log     *slog.Logger
	limits  *ratelimit.Limiter
	misses  *ratelimit.Misses
	hub     *live.Hub

	// inFlight holds the Idempotency-Keys this process is working on, so a
	// retry that arrives before the first attempt is answered gets a 409
	// instead of waiting on it.
	mu       sync.Mutex
	inFlight map[idemKey]struct{}
}

var _ http.Handler = (*Server)(nil)

type idemKey struct {
	source int64
	key    string
}

// New returns the webhook's handler.
func New(cfg Config) *Server {
	return &Server{
		store:    cfg.Store,
		decoder:  cfg.Decoder,
		log:      cfg.Logger,
		limits:   cfg.Limits,
		misses:   cfg.Misses,
		hub:      cfg.Hub,
		inFlight: make(map[idemKey]struct{}),
	}
}

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
