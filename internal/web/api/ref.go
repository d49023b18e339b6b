package api

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Reference lists over the API: offices and cities.

func (s *Server) apiListRefs(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		refs, err := s.store.ListRefs(r.Context(), kind, c.account)
		return http.StatusOK, data[[]lead.Ref]{nonNil(refs)}, err
	}
}

func (s *Server) apiGetRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		ref, err := s.store.GetRef(r.Context(), kind, c.account, id)
		return http.StatusOK, data[lead.Ref]{ref}, err
	}
}

func (s *Server) apiCreateRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		f, err := readForm(r, "name")
		if err != nil {
			return 0, nil, err
		}
		name := f.required("name", "Название", lead.MaxString)
		if err := f.err(); err != nil {
			return 0, nil, err
		}
		ref, err := s.store.CreateRef(r.Context(), kind, c.account, name)
		return http.StatusCreated, data[lead.Ref]{ref}, err
	}
}

func (s *Server) apiRenameRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		f, err := readForm(r, "name")
		if err != nil {
			return 0, nil, err
		}
		name := f.required("name", "Название", lead.MaxString)
		if err := f.err(); err != nil {
			return 0, nil, err
		}
		ref, err := s.store.RenameRef(r.Context(), kind, c.account, id, name)
		return http.StatusOK, data[lead.Ref]{ref}, err
	}
}

func (s *Server) apiDeleteRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, s.store.DeleteRef(r.Context(), kind, c.account, id)
	}
}
