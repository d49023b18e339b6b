package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"leadbox/internal/jobs"
	"leadbox/internal/web/respond"
)

// handleHealthz answers while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	respond.JSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

// handleReadyz answers 200 only while the database answers, with the job
// queue's state as details: how many jobs wait, run and are dead, and how
// long the oldest due job has waited. The details are left out when they
// cannot be read in time; readiness is the database's alone.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		respond.Error(s.log, w, r, err)
		return
	}
	ready := struct {
		Status string      `json:"status"`
		Jobs   *jobs.Stats `json:"jobs,omitempty"`
	}{Status: "ready"}
	sctx, scancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer scancel()
	if st, err := s.store.JobStats(sctx); err == nil {
		ready.Jobs = &st
	}
	body, err := json.Marshal(ready)
	if err != nil {
		respond.Error(s.log, w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, body)
}
