package ui

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

type sourcesData struct {
	Sources []store.SourceStats
	Types   []string
	Names   *names
	Quiet   map[int64]*store.QuietSource // the sources that went quiet, by id
}

// handleSources lists the account's sources with their lead counts and
// last lead times; admins also get the form to create one.
func (s *Server) handleSources(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	list, err := s.store.ListSources(r.Context(), acct)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	n, err := s.loadNames(r.Context(), acct, true)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := sourcesData{Sources: list, Types: lead.SourceTypes, Names: n, Quiet: quietByID(s.quietSources(r, acct))}
	s.render(w, r, http.StatusOK, "sources", s.newView(w, r, "sources", "nav.sources", d))
}
