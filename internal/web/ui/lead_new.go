package ui

import (
	"errors"
	"net/http"
	"strings"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/respond"
)

// newLeadFields are the form's lead fields, read by the webhook's decoder;
// the comment is kept as the extra key "comment", as a form's comment is.
var newLeadFields = []string{"name", "phone", "email", "sourceId", "userIdOwner", "funnelStageId"}

// newLeadData is the «+ Лид» form: the values typed (to show them again
// after an error), the choices, and the duplicate hint.
type newLeadData struct {
	Values map[string]string
	Names  *names
	Hint   *dupHint
}

// dupHint is what the form tells while the phone is typed: the leads a new
// lead would be marked a duplicate of, by the pipeline's own rules.
type dupHint struct {
	FirstID int64
	Count   int64
	Rows    []leadRow
}

// handleLeadNewForm shows the form of a lead entered by hand. The owner is
// the user, the source the account's first "manual" one, by default.
func (s *Server) handleLeadNewForm(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	n, err := s.loadNames(r.Context(), ss.User.AccountID, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	vals := map[string]string{"userIdOwner": itoa(ss.User.ID)}
	for _, src := range n.Sources {
		if src.Type == lead.SourceManual {
			vals["sourceId"] = itoa(src.ID)
			break
		}
	}
	if len(n.Stages) > 0 {
		vals["funnelStageId"] = itoa(n.Stages[0].ID)
	}
	s.render(w, r, http.StatusOK, "leadnew", s.newView(w, r, "inbox", "leadNew.title", newLeadData{Values: vals, Names: n}))
}

// handleLeadCreate creates the lead through the lead pipeline, as the
// webhook's fields: same checks, same duplicate marking. A refused form
// comes back with what was typed and the reasons.
func (s *Server) handleLeadCreate(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	vals := map[string]string{}
	body := map[string]string{}
	for _, k := range append(newLeadFields, "comment") {
		v := strings.TrimSpace(r.PostFormValue(k))
		vals[k] = v
		if v != "" {
			body[k] = v
		}
	}
	l, err := s.createManual(r, ss, body)
	if err != nil {
		var e *lead.Error
		if !asFormError(err, &e) {
			s.uiError(w, r, err)
			return
		}
		n, nerr := s.loadNames(r.Context(), ss.User.AccountID, false)
		if nerr != nil {
			s.uiError(w, r, nerr)
			return
		}
		v := s.newView(w, r, "inbox", "leadNew.title", newLeadData{Values: vals, Names: n})
		v.Flash, v.FlashErr = messages(ss.Lang, e), true
		s.render(w, r, http.StatusUnprocessableEntity, "leadnew", v)
		return
	}
	s.hub.LeadCreated(l)
	msg := "leadNew.created"
	if l.FirstID != nil {
		msg = "leadNew.createdDup"
	}
	s.done(w, r, "/leads/"+itoa(l.ID), msg)
}

func (s *Server) createManual(r *http.Request, ss *session, body map[string]string) (lead.Lead, error) {
	raw, err := respond.Marshal(body)
	if err != nil {
		return lead.Lead{}, err
	}
	in, err := s.decoder.DecodeJSON(raw)
	if err != nil {
		return lead.Lead{}, err
	}
	return s.store.AddLead(r.Context(), store.NewLead{AccountID: ss.User.AccountID, UserID: &ss.User.ID, Input: in, Via: "manual"})
}

func asFormError(err error, e **lead.Error) bool {
	var le *lead.Error
	if !errors.As(err, &le) || (le.Code != lead.EInvalid && le.Code != lead.EMalformed) {
		return false
	}
	*e = le
	return true
}

// handleLeadDups answers the duplicate hint for ?phone= and ?email= as a
// piece of HTML: the phone read as the webhook reads it, the duplicates
// found as the pipeline finds them. A number not yet complete finds nothing.
func (s *Server) handleLeadDups(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	var phone, email *string
	if p, ok := s.decoder.NormalizePhone(r.URL.Query().Get("phone")); ok {
		phone = &p
	}
	if e := strings.TrimSpace(r.URL.Query().Get("email")); strings.Contains(e, "@") {
		email = &e
	}
	d, err := s.store.FindDuplicates(r.Context(), ss.User.AccountID, phone, email, 5)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data := newLeadData{}
	if d.FirstID != nil {
		n, err := s.loadNames(r.Context(), ss.User.AccountID, false)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		data.Hint = &dupHint{FirstID: *d.FirstID, Count: d.Count, Rows: n.rows(d.Leads)}
	}
	s.renderTemplate(w, r, http.StatusOK, "leadnew", "duphint", s.newView(w, r, "inbox", "leadNew.title", data))
}
