package ui

import (
	"net/http"

	"leadbox/internal/lead"
)

// handleLang switches the user's language.
func (s *Server) handleLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if lang != "ru" && lang != "en" {
		s.uiError(w, r, lead.Errorf(lead.EInvalid, "lang", "Язык: ru или en."))
		return
	}
	u := sessionOf(r).User
	if err := s.store.SetUserLang(r.Context(), u.AccountID, u.ID, lang); err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
}
