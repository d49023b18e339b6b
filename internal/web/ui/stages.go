package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

type stagesData struct {
	Stages []lead.Stage
	Tabs   string
}

// handleStages lists the funnel's stages in order.
func (s *Server) handleStages(w http.ResponseWriter, r *http.Request) {
	stages, err := s.store.ListStages(r.Context(), sessionOf(r).User.AccountID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "stages", s.newView(w, r, "settings", "settings.stages", stagesData{Stages: stages, Tabs: "stages"}))
}

// handleStageCreate adds a stage at the end of the funnel.
func (s *Server) handleStageCreate(w http.ResponseWriter, r *http.Request) {
	st := lead.Stage{AccountID: sessionOf(r).User.AccountID, Name: r.PostFormValue("name"), Color: r.PostFormValue("color"), Outcome: r.PostFormValue("outcome")}
	if _, err := s.store.CreateStageWith(r.Context(), st); err != nil {
		s.formError(w, r, err, "/settings/stages")
		return
	}
	s.done(w, r, "/settings/stages", "saved")
}
