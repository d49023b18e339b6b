package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

// handleLeadNoAnswer records that the manager called and nobody answered.
func (s *Server) handleLeadNoAnswer(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if _, err := s.store.MarkNoAnswer(r.Context(), ss.User.AccountID, &ss.User.ID, id); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.done(w, r, "/leads/"+itoa(id), "lead.noAnswerSaved")
}
