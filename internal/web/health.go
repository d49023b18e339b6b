package web

import (
	"context"
	"net/http"
	"time"

	"leadbox/internal/web/respond"
)

// handleHealthz answers while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	respond.JSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

// handleReadyz answers 200 only while the database answers.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		respond.Error(s.log, w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, []byte(`{"status":"ready"}`))
}
