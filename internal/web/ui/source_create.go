package ui

import (
	"net/http"
	"strings"

	"leadbox/internal/lead"
)

// handleSourceCreate creates a source with a name, a type and defaults; a
// webhook source gets its secret URL.
func (s *Server) handleSourceCreate(w http.ResponseWriter, r *http.Request) {
	src, err := sourceForm(r)
	if err != nil {
		s.formError(w, r, err, "/sources")
		return
	}
	src.AccountID = sessionOf(r).User.AccountID
	src.Type = strings.TrimSpace(r.PostFormValue("type"))
	if src, err = s.store.CreateSource(r.Context(), src); err != nil {
		s.formError(w, r, err, "/sources")
		return
	}
	s.done(w, r, "/sources/"+itoa(src.ID), "source.created")
}

// sourceForm reads a source's name and defaults from a form.
func sourceForm(r *http.Request) (lead.Source, error) {
	src := lead.Source{Name: r.PostFormValue("name")}
	var err error
	for _, f := range []struct {
		key string
		dst **int64
	}{{"owner", &src.DefaultOwnerID}, {"stage", &src.DefaultStageID}, {"office", &src.DefaultUnitID}, {"city", &src.DefaultCityID}} {
		if *f.dst, err = formID(r.PostFormValue(f.key)); err != nil {
			return src, err
		}
	}
	return src, nil
}
