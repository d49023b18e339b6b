package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"leadbox/internal/store"
)

const inboxPage = 50

// inboxQuery is the inbox's filter form as the user filled it in.
type inboxQuery struct {
	Source, Stage, Owner, From, To, Q string
	Dup                               bool
	Before                            int64
}

type inboxData struct {
	Q     inboxQuery
	Rows  []leadRow
	Next  string // URL of the next (older) page, or ""
	Query string // the filter as a query string, without the cursor
	Names *names
}

// handleInbox lists the account's leads, newest first, a page at a time.
func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	q, f, err := s.parseInbox(r.URL.Query(), s.zone(sessionOf(r).Zone))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Limit = inboxPage
	leads, err := s.store.ListLeads(r.Context(), acct, f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	n, err := s.loadNames(r.Context(), acct, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := inboxData{Q: q, Rows: n.rows(leads), Query: q.encode(), Names: n}
	if len(leads) == inboxPage {
		d.Next = "/?" + q.encode() + "&before=" + strconv.FormatInt(leads[len(leads)-1].ID, 10)
	}
	s.render(w, r, http.StatusOK, "inbox", s.newView(w, r, "inbox", "nav.inbox", d))
}

// parseInbox reads the filter from a query string, by the one reading the
// API's lead list uses too (the inbox names its parameters its own way and
// reads dates in the user's zone), and keeps the form as it was filled in.
func (s *Server) parseInbox(v url.Values, loc *time.Location) (inboxQuery, store.LeadFilter, error) {
	q := inboxQuery{Source: v.Get("source"), Stage: v.Get("stage"), Owner: v.Get("owner"), From: v.Get("from"),
		To: v.Get("to"), Q: strings.TrimSpace(v.Get("q"))}
	f, err := store.ParseLeadFilter(v, store.FilterParams{Source: "source", Stage: "stage", Owner: "owner",
		Duplicates: "dup", Cursor: "before", Zone: loc}, s.decoder.NormalizePhone)
	q.Dup, q.Before = f.DuplicatesOnly, f.Before
	return q, f, err
}

func (q inboxQuery) encode() string {
	v := url.Values{}
	for k, x := range map[string]string{"source": q.Source, "stage": q.Stage, "owner": q.Owner, "from": q.From, "to": q.To, "q": q.Q} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if q.Dup {
		v.Set("dup", "1")
	}
	return v.Encode()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
