package ui

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// handleUserEdit changes a user's name, role or active flag. An admin may not
// demote or deactivate themself, so an account always keeps an admin who
// can undo mistakes.
func (s *Server) handleUserEdit(w http.ResponseWriter, r *http.Request) {
	me := sessionOf(r).User
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	name, role := r.PostFormValue("name"), r.PostFormValue("role")
	active := r.PostFormValue("active") == "1"
	if id == me.ID && (role != lead.RoleAdmin || !active) {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "role", "Нельзя снять с себя роль администратора или отключить себя."), "/settings/users")
		return
	}
	p := store.UserPatch{Name: &name, Role: &role, Active: &active}
	if _, err := s.store.UpdateUser(r.Context(), me.AccountID, id, p); err != nil {
		s.formError(w, r, err, "/settings/users")
		return
	}
	s.done(w, r, "/settings/users", "saved")
}
