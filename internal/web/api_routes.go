package web

import "net/http"

// apiState is what the REST API keeps between requests.
type apiState struct{}

func (s *Server) initAPI(cfg Config) {}

// apiRoutes registers the REST API under /api/v1.
func (s *Server) apiRoutes(mux *http.ServeMux) {}
