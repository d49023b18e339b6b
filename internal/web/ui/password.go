package ui

import (
	"errors"
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
)

// handlePasswordForm shows the user's own page: the password form and the
// time zone they see times in.
func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	tz, err := s.store.AccountTimezone(r.Context(), ss.User.AccountID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := profileData{Zones: s.zoneOptions(ss.UserZone), AccountZone: tz}
	s.render(w, r, http.StatusOK, "password", s.newView(w, r, "", "password.title", d))
}

// handlePassword changes the user's own password: every session ends, and
// this browser gets a fresh one.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	u := sessionOf(r).User
	_, ok, err := s.checkLogin(r, u.Email, r.PostFormValue("current"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if !ok {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "current", "Неверный текущий пароль."), "/password")
		return
	}
	hash, err := password.Hash(r.PostFormValue("new"))
	if errors.Is(err, password.ErrLength) {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "new", "Пароль должен быть от %d до %d байт.", password.MinLen, password.MaxLen), "/password")
		return
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if _, err := s.store.UpdateUser(r.Context(), u.AccountID, u.ID, store.UserPatch{PasswordHash: &hash}); err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.startSession(w, r, u.ID); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.done(w, r, "/", "password.changed")
}
