package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

// handleSourceEnabled switches a source on or off; a disabled webhook
// answers 410.
func (s *Server) handleSourceEnabled(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	on := r.PostFormValue("enabled") == "1"
	if _, err := s.store.SetSourceEnabled(r.Context(), sessionOf(r).User.AccountID, id, on); err != nil {
		s.uiError(w, r, err)
		return
	}
	msg := "source.disabled"
	if on {
		msg = "source.enabled"
	}
	s.done(w, r, "/sources/"+itoa(id), msg)
}
