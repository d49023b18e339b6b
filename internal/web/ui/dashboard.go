package ui

import (
	"net/http"
	"time"
)

const dashboardDays = 30

// handleDashboard draws the account's last 30 days: leads per day by
// source, by stage, the top UTM campaigns and the share of duplicates.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	loc := s.zone(ss.Zone)
	now := time.Now().In(loc)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -(dashboardDays - 1))
	d, err := s.store.LoadDashboard(r.Context(), ss.User.AccountID, from, dashboardDays)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	n, err := s.loadNames(r.Context(), ss.User.AccountID, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	v := s.newView(w, r, "dashboard", "nav.dashboard", nil)
	v.Data = buildCharts(d, n, from, v.T)
	s.render(w, r, http.StatusOK, "dashboard", v)
}
