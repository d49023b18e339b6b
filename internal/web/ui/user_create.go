package ui

import (
	"net/http"
	"strings"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/web/i18n"
)

// handleUserCreate adds a user with a generated password, shown once to the
// admin to hand over.
func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	pw := password.Generate()
	hash, err := password.Hash(pw)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	u := lead.User{AccountID: sessionOf(r).User.AccountID, Name: strings.TrimSpace(r.PostFormValue("name")),
		Email: r.PostFormValue("email"), Role: r.PostFormValue("role"), PasswordHash: hash}
	if u.Name == "" {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "name", lead.MsgRequired, "Имя"), "/settings/users")
		return
	}
	if u, err = s.store.CreateUser(r.Context(), u); err != nil {
		s.formError(w, r, err, "/settings/users")
		return
	}
	// The password travels in the one-time notice only; it is never stored.
	s.flash(w, "raw", i18n.T(sessionOf(r).Lang, "user.created")+" "+u.Email+" / "+pw)
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}
