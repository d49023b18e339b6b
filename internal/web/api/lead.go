package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// data is the envelope of every successful answer: {"data": ...}.
type data[T any] struct {
	Data T `json:"data"`
}

// page is a list answer with the cursor of the next page, null on the last.
type page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"nextCursor"`
}

// defaultPage is how many items a list answers when the request says not.
const defaultPage = 50

func (s *Server) apiListLeads(r *http.Request, c apiCaller) (int, any, error) {
	f, err := s.leadFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	leads, err := s.store.ListLeads(r.Context(), c.account, f)
	if err != nil {
		return 0, nil, err
	}
	p := page[lead.Lead]{Data: leads}
	if len(leads) == f.Limit {
		p.NextCursor = cursorAfter(leads[len(leads)-1].ID)
	}
	return http.StatusOK, p, nil
}

// leadFilter reads the inbox's filters from the query string.
func (s *Server) leadFilter(q url.Values) (store.LeadFilter, error) {
	bad := &lead.Error{Code: lead.EInvalid}
	var f store.LeadFilter
	f.SourceID = queryID(q, "sourceId", bad)
	f.StageID = queryID(q, "funnelStageId", bad)
	f.OwnerID = queryID(q, "userIdOwner", bad)
	f.From = queryTime(q, "from", "Начало периода", false, bad)
	f.To = queryTime(q, "to", "Конец периода", true, bad)
	switch v := q.Get("duplicates"); v {
	case "", "false", "0":
	case "true", "1":
		f.DuplicatesOnly = true
	default:
		bad.Add("duplicates", fmt.Sprintf(lead.MsgBoolean, "duplicates"))
	}
	if text := strings.TrimSpace(q.Get("q")); text != "" {
		s.classifySearch(text, &f)
	}
	f.Limit, f.Before = queryPage(q, bad)
	if len(bad.Fields) > 0 {
		return f, bad
	}
	return f, nil
}

// classifySearch sends q to the phone, the digits of a phone, or the name
// and email: "+7 (999) 888-88-88" finds 79998888888 exactly, "888-88" finds
// any phone holding 88888, "ivan" finds names and emails.
func (s *Server) classifySearch(q string, f *store.LeadFilter) {
	if phone, ok := s.decoder.NormalizePhone(q); ok {
		f.Phone = phone
		return
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case strings.ContainsRune(" +-().", r):
			return -1
		}
		return 'x'
	}, q)
	if len(digits) >= 3 && !strings.Contains(digits, "x") {
		f.Digits = digits
		return
	}
	f.Text = q
}

func queryID(q url.Values, key string, bad *lead.Error) *int64 {
	v := strings.TrimSpace(q.Get(key))
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		bad.AddField(key, lead.MsgInteger)
		return nil
	}
	return &n
}

// queryTime reads unix seconds or a YYYY-MM-DD date (UTC); a date as the end
// of a period includes that whole day.
func queryTime(q url.Values, key, label string, end bool, bad *lead.Error) int64 {
	v := strings.TrimSpace(q.Get(key))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return n
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		bad.Add(key, fmt.Sprintf(lead.MsgFormat, label))
		return 0
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.Unix()
}

// queryPage reads limit (1..MaxPage, default 50) and cursor.
func queryPage(q url.Values, bad *lead.Error) (limit int, before int64) {
	limit = defaultPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > store.MaxPage {
			bad.Add("limit", fmt.Sprintf(lead.MsgRange, "limit", 1, store.MaxPage))
		} else {
			limit = n
		}
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			bad.Add("cursor", fmt.Sprintf(lead.MsgFormat, "cursor"))
		} else {
			before = n
		}
	}
	return limit, before
}

// cursorAfter is the cursor of the page after the item with this id. Pages
// go by id, newest first, so a page boundary stays put while leads arrive.
func cursorAfter(id int64) *string {
	c := strconv.FormatInt(id, 10)
	return &c
}

func (s *Server) apiGetLead(r *http.Request, c apiCaller) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	l, err := s.store.GetLead(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Lead]{l}, err
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
	return http.StatusCreated, data[lead.Lead]{l}, nil
}

// apiUpdateLead changes the fields the body names, by the webhook's rules;
// null clears a field. Keys that are not lead fields are refused.
func (s *Server) apiUpdateLead(r *http.Request, c apiCaller) (int, any, error) {
	id, err := pathID(r)
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
	return http.StatusOK, data[lead.Lead]{l}, err
}

// unknownKeys names every key of extra (a JSON object) in a 422.
func unknownKeys(extra json.RawMessage) error {
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(extra, &keys) // the decoder built it
	e := &lead.Error{Code: lead.EInvalid}
	for k := range keys {
		e.Add(k, fmt.Sprintf(lead.MsgUnknownKey, k))
	}
	return e
}

func (s *Server) apiDeleteLead(r *http.Request, c apiCaller) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteLead(r.Context(), c.account, c.user, id)
}

func (s *Server) apiNoAnswer(r *http.Request, c apiCaller) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	l, err := s.store.MarkNoAnswer(r.Context(), c.account, c.user, id)
	return http.StatusOK, data[lead.Lead]{l}, err
}

// apiSetLeadClient links the lead to a client, or unlinks it with null.
func (s *Server) apiSetLeadClient(r *http.Request, c apiCaller) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, "clientId")
	if err != nil {
		return 0, nil, err
	}
	if !f.has("clientId") {
		f.fail("clientId", fmt.Sprintf(lead.MsgRequired, "ID Клиента"))
	}
	client := f.id("clientId", "ID Клиента")
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	l, err := s.store.SetLeadClient(r.Context(), c.account, c.user, id, client)
	return http.StatusOK, data[lead.Lead]{l}, err
}

// apiLeadEvents answers a lead's history; the lead must be the caller's.
func (s *Server) apiLeadEvents(r *http.Request, c apiCaller) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetLead(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	events, err := s.store.LeadEvents(r.Context(), c.account, id)
	return http.StatusOK, data[[]lead.Event]{events}, err
}
