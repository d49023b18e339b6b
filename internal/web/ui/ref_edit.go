package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

// handleRefEdit renames an office or a city.
func (s *Server) handleRefEdit(w http.ResponseWriter, r *http.Request) {
	kind, err := refKind(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/settings/" + string(kind)
	if _, err := s.store.RenameRef(r.Context(), kind, sessionOf(r).User.AccountID, id, r.PostFormValue("name")); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "saved")
}

// handleRefDelete deletes an office or a city no lead or source names.
func (s *Server) handleRefDelete(w http.ResponseWriter, r *http.Request) {
	kind, err := refKind(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/settings/" + string(kind)
	if err := s.store.DeleteRef(r.Context(), kind, sessionOf(r).User.AccountID, id); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "deleted")
}
