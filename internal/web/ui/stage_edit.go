package ui

import (
	"net/http"
	"strconv"

	"leadbox/internal/lead"
)

// handleStageEdit renames and recolours a stage and sets its outcome.
func (s *Server) handleStageEdit(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if _, err := s.store.UpdateStage(r.Context(), sessionOf(r).User.AccountID, id, r.PostFormValue("name"), r.PostFormValue("color"), r.PostFormValue("outcome")); err != nil {
		s.formError(w, r, err, "/settings/stages")
		return
	}
	s.done(w, r, "/settings/stages", "saved")
}

// handleStageMove puts a stage at a position of the funnel (1 is first).
func (s *Server) handleStageMove(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	pos, err := strconv.Atoi(r.PostFormValue("position"))
	if err != nil || pos < 1 {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "position", "Позиция должна быть целым числом от 1."), "/settings/stages")
		return
	}
	if _, err := s.store.MoveStage(r.Context(), sessionOf(r).User.AccountID, id, pos); err != nil {
		s.formError(w, r, err, "/settings/stages")
		return
	}
	s.done(w, r, "/settings/stages", "saved")
}

// handleStageDelete deletes a stage no lead or source names.
func (s *Server) handleStageDelete(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.store.DeleteStage(r.Context(), sessionOf(r).User.AccountID, id); err != nil {
		s.formError(w, r, err, "/settings/stages")
		return
	}
	s.done(w, r, "/settings/stages", "deleted")
}
