package ui

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

type refsData struct {
	Kind string
	Refs []lead.Ref
	Tabs string
}

// refKind reads the {kind} of a reference-data path: offices or cities.
func refKind(r *http.Request) (store.RefKind, error) {
	switch k := store.RefKind(r.PathValue("kind")); k {
	case store.Offices, store.Cities:
		return k, nil
	}
	return "", lead.Errorf(lead.ENotFound, "path", "Страница не найдена.")
}

// handleRefs lists the account's offices or cities.
func (s *Server) handleRefs(w http.ResponseWriter, r *http.Request) {
	kind, err := refKind(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	refs, err := s.store.ListRefs(r.Context(), kind, sessionOf(r).User.AccountID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := refsData{Kind: string(kind), Refs: refs, Tabs: string(kind)}
	s.render(w, r, http.StatusOK, "refs", s.newView(w, r, "settings", "settings."+string(kind), d))
}

func (s *Server) handleRefCreate(w http.ResponseWriter, r *http.Request) {
	kind, err := refKind(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/settings/" + string(kind)
	if _, err := s.store.CreateRef(r.Context(), kind, sessionOf(r).User.AccountID, r.PostFormValue("name")); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "saved")
}
