package api

import (
	"net/url"

	"leadbox/internal/intake"
	"leadbox/internal/store"
)

// What the tests in package api_test reach inside the package.

// NewParser returns a Server that can only parse requests.
func NewParser(d *intake.Decoder) *Server { return &Server{decoder: d} }

func (s *Server) LeadFilter(q url.Values) (store.LeadFilter, error) { return s.leadFilter(q) }

var DecodeObject = decodeObject
