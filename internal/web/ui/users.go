package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

type usersData struct {
	Users []lead.User
	Tabs  string
}

// handleUsers lists the account's users; admins may add and change them.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.store.ListUsers(r.Context(), sessionOf(r).User.AccountID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "users", s.newView(w, r, "settings", "settings.users", usersData{Users: users, Tabs: "users"}))
}
