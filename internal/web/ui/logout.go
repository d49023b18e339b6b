package ui

import "net/http"

// handleLogout ends every session of the user, in every browser.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteUserSessions(r.Context(), sessionOf(r).User.ID); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
