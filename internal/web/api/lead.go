package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// apiLead is a lead as the API shows it: the webhook's keys, then the
// extra fields its sender sent (keys that are no lead field), as an object
// in the sender's order, {} for none.
type apiLead struct {
	lead.Lead
	Extra json.RawMessage `json:"extra"`
}

func toAPI(l lead.Lead) apiLead {
	if len(l.Extra) == 0 {
		return apiLead{l, json.RawMessage("{}")}
	}
	return apiLead{l, l.Extra}
}

func (s *Server) apiListLeads(r *http.Request, c apiCaller) (int, any, error) {
	f, err := s.leadFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	leads, err := s.store.ListLeads(r.Context(), c.account, f)
	if err != nil {
		return 0, nil, err
	}
	p := page[apiLead]{Data: make([]apiLead, len(leads))}
	for i, l := range leads {
		p.Data[i] = toAPI(l)
	}
	if len(leads) == f.Limit {
		p.NextCursor = cursorAfter(leads[len(leads)-1].ID)
	}
	return http.StatusOK, p, nil
}

// leadFilter reads the lead list's filters from the query string, by the
// one reading the inbox uses too.
func (s *Server) leadFilter(q url.Values) (store.LeadFilter, error) {
	return store.ParseLeadFilter(q, store.FilterParams{Source: "sourceId", Stage: "funnelStageId", Owner: "userIdOwner",
		Duplicates: "duplicates", Limit: "limit", Cursor: "cursor", Zone: time.UTC}, s.decoder.NormalizePhone)
}

// cursorAfter is the cursor of the page after the item with this id. Pages
// go by id, newest first, so a page boundary stays put while leads arrive.
func cursorAfter(id int64) *string {
	c := strconv.FormatInt(id, 10)
	return &c
}

func (s *Server) apiGetLead(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	l, err := s.store.GetLead(r.Context(), c.account, id)
	return http.StatusOK, data[apiLead]{toAPI(l)}, err
}

// apiCreateLead creates a lead by the webhook's rules and answers as the
// webhook does, without a source of its own: sourceId is the sender's or null.
func (s *Server) apiCreateLead(r *http.Request, c apiCaller) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	in, err := s.decoder.DecodeJSON(body)
	if err != nil {
		return 0, nil, err
	}
	l, err := s.store.AddLead(r.Context(), store.NewLead{AccountID: c.account, UserID: c.user, Input: in})
	if err != nil {
		return 0, nil, err
	}
	s.hub.LeadCreated(l)
	return http.StatusCreated, data[apiLead]{toAPI(l)}, nil
}

// apiUpdateLead changes the fields the body names, by the webhook's rules;
// null clears a field. Keys that are not lead fields are refused.
func (s *Server) apiUpdateLead(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	in, present, err := s.decoder.DecodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	if len(in.Extra) > 0 {
		return 0, nil, unknownKeys(in.Extra)
	}
	l, err := s.store.UpdateLead(r.Context(), c.account, c.user, id, store.LeadPatch{Input: in, Present: present})
	return http.StatusOK, data[apiLead]{toAPI(l)}, err
}

// unknownKeys names every key of extra (a JSON object) in a 422.
func unknownKeys(extra json.RawMessage) error {
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(extra, &keys) // the decoder built it
	e := &lead.Error{Code: lead.EInvalid}
	for k := range keys {
		e.Addf(k, lead.MsgUnknownKey, k)
	}
	return e
}

func (s *Server) apiDeleteLead(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteLead(r.Context(), c.account, c.user, id)
}

func (s *Server) apiNoAnswer(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	l, err := s.store.MarkNoAnswer(r.Context(), c.account, c.user, id)
	return http.StatusOK, data[apiLead]{toAPI(l)}, err
}

// apiSetLeadClient links the lead to a client, or unlinks it with null.
func (s *Server) apiSetLeadClient(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, "clientId")
	if err != nil {
		return 0, nil, err
	}
	if !f.has("clientId") {
		f.fail("clientId", lead.MsgRequired, "ID Клиента")
	}
	client := f.id("clientId", "ID Клиента")
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	l, err := s.store.SetLeadClient(r.Context(), c.account, c.user, id, client)
	return http.StatusOK, data[apiLead]{toAPI(l)}, err
}

// apiLeadEvents answers a lead's history; the lead must be the caller's.
func (s *Server) apiLeadEvents(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetLead(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	events, err := s.store.LeadEvents(r.Context(), c.account, id)
	return http.StatusOK, data[[]lead.Event]{events}, err
}
