package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

// handleSourceRotate gives a webhook source a new secret; the old URL stops
// answering at once.
func (s *Server) handleSourceRotate(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/sources/" + itoa(id)
	if _, err := s.store.RotateSourceToken(r.Context(), sessionOf(r).User.AccountID, id); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "source.rotated")
}
