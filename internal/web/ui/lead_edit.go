package ui

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/respond"
)

// editableFields are the lead fields the card's form changes.
var editableFields = []string{"name", "phone", "email", "userIdOwner", "funnelStageId", "locationUnitId", "locationCityId", "cost"}

// handleLeadEdit saves the card's form by the webhook's own rules: the form
// becomes a JSON patch, so a phone or an email is checked exactly as when a
// sender sends it, and an emptied field is cleared.
func (s *Server) handleLeadEdit(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	patch := map[string]string{}
	for _, k := range editableFields {
		if vals, ok := r.PostForm[k]; ok && len(vals) > 0 {
			patch[k] = vals[0]
		}
	}
	body, err := respond.Marshal(patch)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/leads/" + itoa(id)
	in, present, err := s.decoder.DecodePatch(body)
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	if _, err := s.store.UpdateLead(r.Context(), ss.User.AccountID, &ss.User.ID, id, store.LeadPatch{Input: in, Present: present}); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "lead.saved")
}
