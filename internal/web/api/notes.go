package api

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Notes on a lead. A token acts as an admin: it may delete any note, and
// edit the notes of the user who created it, within their edit window.

func (s *Server) apiListNotes(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	notes, err := s.store.ListNotes(r.Context(), c.account, id)
	return http.StatusOK, data[[]lead.Note]{notes}, err
}

func (s *Server) apiCreateNote(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetLead(r.Context(), c.account, id); err != nil {
		return 0, nil, err // another account's lead is not found, whatever the body
	}
	f, err := readForm(r, "text")
	if err != nil {
		return 0, nil, err
	}
	text := f.required("text", "Текст", lead.MaxNote)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	n, err := s.store.AddNote(r.Context(), c.account, id, c.user, text)
	return http.StatusCreated, data[lead.Note]{n}, err
}

func (s *Server) apiUpdateNote(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetNote(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, "text")
	if err != nil {
		return 0, nil, err
	}
	text := f.required("text", "Текст", lead.MaxNote)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	n, err := s.store.EditNote(r.Context(), c.account, id, store.NoteEditor{UserID: c.user, Admin: true}, text)
	return http.StatusOK, data[lead.Note]{n}, err
}

func (s *Server) apiDeleteNote(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteNote(r.Context(), c.account, id, store.NoteEditor{UserID: c.user, Admin: true})
}
