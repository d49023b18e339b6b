package ui

import (
	"net/http"
	"strconv"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/respond"
)

// bulkData is the page that asks to confirm a bulk delete.
type bulkData struct {
	IDs  []int64
	Back string
}

// handleInboxBulk changes the leads ticked in the inbox: assigns an owner,
// moves them to a stage, or (an admin, after a confirmation page) deletes
// them. Every lead changes through the lead edit path, with its own
// history entry and event.
func (s *Server) handleInboxBulk(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	back := localPath(r.PostFormValue("back"))
	ids, err := formIDs(r.PostForm["id"])
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	if len(ids) == 0 {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "id", msgBulkNone), back)
		return
	}
	acct, user := ss.User.AccountID, &ss.User.ID
	var n int
	switch r.PostFormValue("action") {
	case "owner", "stage":
		field, value := "userIdOwner", r.PostFormValue("owner")
		if r.PostFormValue("action") == "stage" {
			field, value = "funnelStageId", r.PostFormValue("stage")
		}
		var p store.LeadPatch
		if p, err = s.patchOf(field, value); err == nil {
			n, err = s.store.EditLeads(r.Context(), acct, user, ids, p)
		}
	case "delete":
		if ss.User.Role != lead.RoleAdmin {
			s.uiError(w, r, lead.Errorf(lead.EForbidden, "role", "admins only"))
			return
		}
		if r.PostFormValue("confirm") != "1" {
			s.render(w, r, http.StatusOK, "confirm", s.newView(w, r, "inbox", "inbox.deleteTitle", bulkData{IDs: ids, Back: back}))
			return
		}
		n, err = s.store.DeleteLeads(r.Context(), acct, user, ids)
	default:
		err = lead.Errorf(lead.EInvalid, "action", msgBulkAction)
	}
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.flash(w, "raw", s.newView(w, r, "", "nav.inbox", nil).T("inbox.bulkDone")+strconv.Itoa(n))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// patchOf reads one field of a lead from a form's value as the card's
// form does, by the webhook's rules; "none" clears the field, "" is a
// choice not made.
func (s *Server) patchOf(field, value string) (store.LeadPatch, error) {
	switch value {
	case "":
		return store.LeadPatch{}, lead.Errorf(lead.EInvalid, field, msgBulkChoose)
	case "none":
		value = ""
	}
	body, err := respond.Marshal(map[string]string{field: value})
	if err != nil {
		return store.LeadPatch{}, err
	}
	in, present, err := s.decoder.DecodePatch(body)
	return store.LeadPatch{Input: in, Present: present}, err
}

// formIDs reads the ticked leads' ids.
func formIDs(vals []string) ([]int64, error) {
	if len(vals) > store.MaxBulk {
		return nil, lead.Errorf(lead.EInvalid, "id", msgBulkMax, store.MaxBulk)
	}
	out := make([]int64, 0, len(vals))
	seen := map[int64]bool{}
	for _, v := range vals {
		id, err := lead.ParseID(v)
		if err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

const (
	msgBulkNone   = "Отметьте лиды в списке."
	msgBulkAction = "Выберите действие."
	msgBulkChoose = "Выберите значение в списке рядом с кнопкой."
	msgBulkMax    = "За один раз можно изменить не больше %d лидов."
)
