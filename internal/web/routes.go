package web

import "net/http"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// The webhook takes every method so that a wrong one gets the JSON 405
	// and a delivery-log row, not the mux's plain-text answer.
	mux.HandleFunc("/hooks/{token}", s.handleWebhook)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.apiRoutes(mux) // api_routes.go: /api/v1/...
	s.uiRoutes(mux)  // ui_routes.go: the managers' web UI
	if !s.uiOwnsRoot {
		mux.HandleFunc("/", s.handleNotFound)
	}
	return mux
}
