package ui

import (
	"fmt"
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/i18n"
)

// handleDeliveryReprocess turns one quarantined request of the delivery log
// into a lead, read by the source's settings now; a request that still
// fails shows why and stays in quarantine.
func (s *Server) handleDeliveryReprocess(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	did, err := lead.ParseID(r.PathValue("deliveryId"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	u := sessionOf(r).User
	back := "/sources/" + itoa(id) + "#log"
	l, err := s.store.ReprocessDelivery(r.Context(), u.AccountID, id, did, &u.ID, s.reread)
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.hub.LeadCreated(l)
	s.flash(w, "raw", fmt.Sprintf(i18n.T(sessionOf(r).Lang, "log.reprocessedOne"), did, l.ID))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// handleSourceReprocessAll re-processes every quarantined request of a
// source, oldest first, up to store.MaxReprocess at a time, and says how many
// became leads and how many still fail.
func (s *Server) handleSourceReprocessAll(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ss := sessionOf(r)
	if _, err := s.store.GetSource(r.Context(), ss.User.AccountID, id); err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/sources/" + itoa(id) + "#log"
	done, failed, err := s.store.ReprocessQuarantined(r.Context(), ss.User.AccountID, id, &ss.User.ID, store.MaxReprocess, s.reread, s.hub.LeadCreated)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	kind := "raw"
	if done == 0 && len(failed) > 0 {
		kind = "err"
	}
	msg := fmt.Sprintf(i18n.T(ss.Lang, "log.reprocessedAll"), done, len(failed))
	if len(failed) > 0 {
		msg += " " + fmt.Sprintf(i18n.T(ss.Lang, "log.firstFailure"), failed[0].DeliveryID, messages(ss.Lang, failed[0].Errors))
	}
	if rs := []rune(msg); len(rs) > 500 { // the flash travels in a cookie
		msg = string(rs[:500]) + "…"
	}
	s.flash(w, kind, msg)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
