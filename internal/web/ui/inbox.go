package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"leadbox/internal/lead"
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
	q, f, err := s.parseInbox(r.URL.Query())
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

// parseInbox reads the filter from a query string. A search is a phone when
// it reads as one (in any format), else a part of a phone when it is all
// digits, else a part of a name or an email.
func (s *Server) parseInbox(v url.Values) (inboxQuery, store.LeadFilter, error) {
	q := inboxQuery{Source: v.Get("source"), Stage: v.Get("stage"), Owner: v.Get("owner"), From: v.Get("from"),
		To: v.Get("to"), Q: strings.TrimSpace(v.Get("q")), Dup: v.Get("dup") == "1"}
	var f store.LeadFilter
	var err error
	if f.SourceID, err = formID(q.Source); err != nil {
		return q, f, err
	}
	if f.StageID, err = formID(q.Stage); err != nil {
		return q, f, err
	}
	if f.OwnerID, err = formID(q.Owner); err != nil {
		return q, f, err
	}
	if f.From, err = day(q.From, 0); err != nil {
		return q, f, err
	}
	if f.To, err = day(q.To, 1); err != nil {
		return q, f, err
	}
	if b := v.Get("before"); b != "" {
		if q.Before, err = strconv.ParseInt(b, 10, 64); err != nil || q.Before <= 0 {
			return q, f, lead.Errorf(lead.EInvalid, "before", "Неверная страница.")
		}
	}
	f.Before, f.DuplicatesOnly = q.Before, q.Dup
	s.searchFilter(q.Q, &f)
	return q, f, nil
}

func (s *Server) searchFilter(text string, f *store.LeadFilter) {
	if text == "" {
		return
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, text)
	phoneish := strings.Trim(text, "0123456789+()-. ") == ""
	switch {
	case phoneish && len(digits) >= 10:
		if p, ok := s.decoder.NormalizePhone(text); ok {
			f.Phone = p
			return
		}
		f.Digits = digits
	case phoneish && digits != "":
		f.Digits = digits
	default:
		f.Text = text
	}
}

// day reads a YYYY-MM-DD date as the unix time of its start, plus offset days.
func day(s string, offset int) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		return 0, lead.Errorf(lead.EInvalid, "date", "Дата должна быть в виде ГГГГ-ММ-ДД.")
	}
	return t.AddDate(0, 0, offset).Unix(), nil
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
