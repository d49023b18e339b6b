package ui

import (
	"net/http"
	"strings"

	"leadbox/internal/lead"
)

// handleLeadClient creates a client from the lead (action=create) or links
// the lead to an existing client of the account, or unlinks it (an empty
// client).
func (s *Server) handleLeadClient(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	acct, uid := ss.User.AccountID, &ss.User.ID
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/leads/" + itoa(id)
	if r.PostFormValue("action") == "create" {
		if _, _, err := s.store.ClientFromLead(r.Context(), acct, uid, id); err != nil {
			s.formError(w, r, err, back)
			return
		}
		s.done(w, r, back, "lead.clientCreated")
		return
	}
	// A datalist choice reads "12 — Name"; the id comes first.
	raw, _, _ := strings.Cut(strings.TrimSpace(r.PostFormValue("client")), " ")
	clientID, err := formID(raw)
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	if _, err := s.store.SetLeadClient(r.Context(), acct, uid, id, clientID); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "lead.clientLinked")
}
