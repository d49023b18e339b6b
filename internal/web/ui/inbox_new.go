package ui

import (
	"net/http"
	"strconv"

	"leadbox/internal/lead"
)

// handleInboxNew answers the inbox rows of leads newer than ?after= that the
// page's filter selects, for the live update to put on top.
func (s *Server) handleInboxNew(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if err != nil || after < 0 {
		s.uiError(w, r, lead.Errorf(lead.EInvalid, "after", "Неверный параметр after."))
		return
	}
	q, f, err := s.parseInbox(r.URL.Query(), s.zone(sessionOf(r).Zone))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Before, f.Limit = 0, inboxPage
	leads, err := s.store.ListLeads(r.Context(), acct, f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	fresh := leads[:0]
	for _, l := range leads {
		if l.ID > after {
			fresh = append(fresh, l)
		}
	}
	n, err := s.loadNames(r.Context(), acct, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	v := s.newView(w, r, "inbox", "nav.inbox", inboxData{Q: q, Rows: n.rows(fresh), Names: n})
	s.renderTemplate(w, r, http.StatusOK, "inbox", "rows", v)
}
