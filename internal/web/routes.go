package web

import "net/http"

// routes mounts every endpoint. Each surface lists its own in one table:
// the API in api.apiTable (internal/web/api/api.go), the UI in
// ui.Server.Routes (internal/web/ui/ui.go); the webhook is one route.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// The webhook takes every method so that a wrong one gets the JSON 405
	// and a delivery-log row, not the mux's plain-text answer.
	mux.Handle("/hooks/{token}", s.hook)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	if s.metrics != nil {
		mux.HandleFunc("GET /metrics", s.handleMetrics)
	}
	s.api.Routes(mux) // /api/v1/...
	s.ui.Routes(mux)  // the managers' pages, and "/" for every other path
	return mux
}
