package web

// APIRoutePatterns lists "METHOD /path" for every REST API route, for the
// tests in package web_test that compare it with the OpenAPI document.
func (s *Server) APIRoutePatterns() []string { return s.api.RoutePatterns() }
