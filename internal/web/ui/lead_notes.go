package ui

import (
	"net/http"
	"sort"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// timelineItem is one entry of the lead card's timeline: a history entry
// or a note, in one list, newest first.
type timelineItem struct {
	At    int64
	Event *eventRow
	Note  *noteRow
}

// noteRow is a note as the card shows it, with what the viewer may do.
type noteRow struct {
	lead.Note
	Who       string
	CanEdit   bool // its author, within the edit window
	CanDelete bool // its author within the window, or an admin
}

// timeline merges the history (newest first, from names.events) and the
// notes (oldest first) into one list, newest first; at one second a note
// comes after the history entry it follows.
func (n *names) timeline(events []eventRow, notes []lead.Note, me lead.User, now int64) []timelineItem {
	out := make([]timelineItem, 0, len(events)+len(notes))
	for i := range events {
		out = append(out, timelineItem{At: events[i].At, Event: &events[i]})
	}
	for i := len(notes) - 1; i >= 0; i-- {
		nt := notes[i]
		mine := nt.UserID != nil && *nt.UserID == me.ID && nt.Editable(now)
		out = append(out, timelineItem{At: nt.Created, Note: &noteRow{Note: nt, Who: name(n.user, nt.UserID),
			CanEdit: mine, CanDelete: mine || me.Role == lead.RoleAdmin}})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].At != out[j].At {
			return out[i].At > out[j].At
		}
		return out[i].Note != nil && out[j].Note == nil
	})
	return out
}

func noteEditor(ss *session) store.NoteEditor {
	return store.NoteEditor{UserID: &ss.User.ID, Admin: ss.User.Role == lead.RoleAdmin}
}

// handleNoteCreate writes a note on the lead.
func (s *Server) handleNoteCreate(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/leads/" + itoa(id)
	if _, err := s.store.AddNote(r.Context(), ss.User.AccountID, id, &ss.User.ID, r.PostFormValue("text")); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back+"#timeline", "note.added")
}

// handleNoteEdit changes the text of the user's own recent note.
func (s *Server) handleNoteEdit(w http.ResponseWriter, r *http.Request) {
	s.noteChange(w, r, false)
}

// handleNoteDelete deletes the user's own recent note, or any note for an
// admin.
func (s *Server) handleNoteDelete(w http.ResponseWriter, r *http.Request) {
	s.noteChange(w, r, true)
}

func (s *Server) noteChange(w http.ResponseWriter, r *http.Request, del bool) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	n, err := s.store.GetNote(r.Context(), ss.User.AccountID, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back, msg := "/leads/"+itoa(n.LeadID), "note.saved"
	if del {
		err, msg = s.store.DeleteNote(r.Context(), ss.User.AccountID, id, noteEditor(ss)), "note.deleted"
	} else {
		_, err = s.store.EditNote(r.Context(), ss.User.AccountID, id, noteEditor(ss), r.PostFormValue("text"))
	}
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back+"#timeline", msg)
}
