package api

import (
	"net/http"

	"leadbox/internal/lead"
)

// Funnel stages over the API.

func (s *Server) apiListStages(r *http.Request, c apiCaller) (int, any, error) {
	stages, err := s.store.ListStages(r.Context(), c.account)
	return http.StatusOK, data[[]lead.Stage]{nonNil(stages)}, err
}

func (s *Server) apiGetStage(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	st, err := s.store.GetStage(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Stage]{st}, err
}

// maxColor bounds a stage's colour, a CSS colour such as #3b82f6.
const maxColor = 32

func (s *Server) apiCreateStage(r *http.Request, c apiCaller) (int, any, error) {
	f, err := readForm(r, "name", "color", "outcome")
	if err != nil {
		return 0, nil, err
	}
	name := f.required("name", "Название", lead.MaxString)
	color := f.str("color", "Цвет", maxColor)
	outcome := f.str("outcome", "Итог", maxColor)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	st, err := s.store.CreateStageWith(r.Context(), lead.Stage{AccountID: c.account, Name: name, Color: deref(color), Outcome: deref(outcome)})
	return http.StatusCreated, data[lead.Stage]{st}, err
}

// apiUpdateStage renames, recolours or moves a stage (position 1 is first;
// the others shift), or sets its outcome.
func (s *Server) apiUpdateStage(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, "name", "color", "outcome", "position")
	if err != nil {
		return 0, nil, err
	}
	st, err := s.store.GetStage(r.Context(), c.account, id)
	if err != nil {
		return 0, nil, err
	}
	if f.has("name") {
		st.Name = f.required("name", "Название", lead.MaxString)
	}
	if f.has("color") {
		st.Color = deref(f.str("color", "Цвет", maxColor))
	}
	if f.has("outcome") {
		st.Outcome = deref(f.str("outcome", "Итог", maxColor))
	}
	position := f.integer("position", "Позиция", 1, 1_000_000)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	if _, err := s.store.UpdateStage(r.Context(), c.account, id, st.Name, st.Color, st.Outcome); err != nil {
		return 0, nil, err
	}
	if position != nil {
		if _, err := s.store.MoveStage(r.Context(), c.account, id, *position); err != nil {
			return 0, nil, err
		}
	}
	st, err = s.store.GetStage(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Stage]{st}, err
}

func (s *Server) apiDeleteStage(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteStage(r.Context(), c.account, id)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
