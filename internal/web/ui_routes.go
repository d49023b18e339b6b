package web

import (
	"net/http"

	"leadbox/internal/lead"
)

// uiState is what the web UI keeps between requests.
type uiState struct{}

func (s *Server) initUI(cfg Config) {}

// uiRoutes registers the managers' web UI.
func (s *Server) uiRoutes(mux *http.ServeMux) {}

// leadCreated tells open inboxes about a new lead. The webhook and the API
// call it after the lead is committed.
func (s *Server) leadCreated(l lead.Lead) {}
