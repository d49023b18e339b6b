package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

// handleSourceEdit renames a source and sets its defaults.
func (s *Server) handleSourceEdit(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/sources/" + itoa(id)
	src, err := sourceForm(r)
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	src.ID, src.AccountID = id, sessionOf(r).User.AccountID
	if _, err := s.store.UpdateSource(r.Context(), src); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "saved")
}
