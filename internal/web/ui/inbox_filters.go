package ui

import (
	"net/http"
	"net/url"

	"leadbox/internal/lead"
)

// handleFilterSave keeps the inbox's current filter under a name of the
// user's, and shows it.
func (s *Server) handleFilterSave(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	v, err := url.ParseQuery(r.PostFormValue("query"))
	if err != nil {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "query", msgFilterBroken), "/")
		return
	}
	// Only what the inbox reads is kept, checked as the inbox checks it.
	q, _, err := s.parseInbox(v, s.zone(sessionOf(r).Zone))
	if err != nil {
		s.formError(w, r, err, "/")
		return
	}
	query := q.encode()
	if view := v.Get("view"); view == "kanban" {
		query = "view=kanban&" + query
	}
	f, err := s.store.SaveFilter(r.Context(), ss.User.AccountID, ss.User.ID, r.PostFormValue("name"), query)
	if err != nil {
		s.formError(w, r, err, "/?"+q.encode())
		return
	}
	s.done(w, r, savedFilterURL(f.Query), "inbox.filterSaved")
}

// savedFilterURL is where a saved filter opens: the inbox, or the kanban.
func savedFilterURL(query string) string {
	v, _ := url.ParseQuery(query)
	if v.Get("view") == "kanban" {
		v.Del("view")
		return "/kanban?" + v.Encode()
	}
	return "/?" + query
}

// handleFilterDelete removes one of the user's saved filters.
func (s *Server) handleFilterDelete(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.store.DeleteSavedFilter(r.Context(), ss.User.AccountID, ss.User.ID, id); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.done(w, r, localPath(r.PostFormValue("back")), "inbox.filterDeleted")
}

const msgFilterBroken = "Фильтр не удалось прочитать."
