package ui

import (
	"context"
	"maps"
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
	Bar   inboxBar
}

// inboxBar is what the list and the kanban show above the leads: the
// filter's total, the views, export and import, the saved filters.
type inboxBar struct {
	View  string // "list" or "kanban"
	Query string // the filter, without the cursor
	Count leadCount
	Saved []savedLink
	Back  string // this page, for the forms that come back to it
}

// URL returns path with the bar's filter; whole, so that a template's href
// keeps its "=" and "&" (html/template escapes them inside a query).
func (b inboxBar) URL(path string) string {
	if b.Query == "" {
		return path
	}
	if strings.Contains(path, "?") {
		return path + "&" + b.Query
	}
	return path + "?" + b.Query
}

type savedLink struct {
	ID        int64
	Name, URL string
	On        bool // the filter shown now
}

// bar makes the bar of a page showing the filter query in view.
func (s *Server) bar(r *http.Request, view, query string, count leadCount, saved []store.SavedFilter) inboxBar {
	b := inboxBar{View: view, Query: query, Count: count, Back: r.URL.RequestURI()}
	for _, f := range saved {
		u := savedFilterURL(f.Query)
		b.Saved = append(b.Saved, savedLink{ID: f.ID, Name: f.Name, URL: u, On: u == r.URL.Path+"?"+query})
	}
	return b
}

// handleInbox lists the account's leads, newest first, a page at a time.
func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	acct := ss.User.AccountID
	q, f, err := s.parseInbox(r.URL.Query(), s.zone(ss.Zone))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Limit = inboxPage
	// The total is counted beside the page, within its own time budget;
	// a first page that is not full is the whole answer, and the count is
	// called off.
	cctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	counted := make(chan leadCount, 1)
	go func() { counted <- s.countLeads(cctx, acct, f, q.encode()) }()
	leads, err := s.store.ListLeads(r.Context(), acct, f)
	if err != nil {
		cancel()
		<-counted
		s.uiError(w, r, err)
		return
	}
	whole := f.Before == 0 && len(leads) < inboxPage
	if whole {
		cancel()
	}
	n, err := s.loadNames(r.Context(), acct, false)
	var saved []store.SavedFilter
	if err == nil {
		saved, err = s.store.SavedFilters(r.Context(), acct, ss.User.ID)
	}
	count := <-counted
	if whole {
		count = leadCount{N: int64(len(leads)), Exact: true}
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := inboxData{Q: q, Rows: n.rows(leads), Query: q.encode(), Names: n, Bar: s.bar(r, "list", q.encode(), count, saved)}
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
	noStage := q.Stage == "none" // leads at no stage: the kanban's first column
	if noStage {
		v = maps.Clone(v)
		v.Del("stage")
	}
	f, err := store.ParseLeadFilter(v, store.FilterParams{Source: "source", Stage: "stage", Owner: "owner",
		Duplicates: "dup", Cursor: "before", Zone: loc}, s.decoder.NormalizePhone)
	f.NoStage = noStage
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
