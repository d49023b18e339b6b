package ui

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/i18n"
	"leadbox/internal/web/respond"
)

// kanbanCards is how many leads a column of the kanban shows.
const kanbanCards = 30

// kanbanCount is how far a column's count is exact.
const kanbanCount = 1000

type kanbanColumn struct {
	Stage *lead.Stage // nil: leads at no stage
	Rows  []leadRow
	Count int64
	More  bool   // Count is a lower bound
	List  string // the inbox filtered to this column
}

// HasMore reports whether the column holds more leads than it shows.
func (c kanbanColumn) HasMore() bool { return c.More || c.Count > int64(len(c.Rows)) }

type kanbanData struct {
	Q       inboxQuery
	Query   string
	Names   *names
	Columns []kanbanColumn
	Bar     inboxBar
}

// handleKanban shows the inbox's filter as a board: a column per funnel
// stage, in the funnel's order, after one for leads at no stage; each card
// moves by a form (a stage select and a button), which the page's script
// also posts when a card is dragged to another column.
func (s *Server) handleKanban(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	acct := ss.User.AccountID
	q, f, err := s.parseInbox(r.URL.Query(), s.zone(sessionOf(r).Zone))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	n, err := s.loadNames(r.Context(), acct, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	cols := make([]kanbanColumn, len(n.Stages)+1)
	g, ctx := errgroup.WithContext(r.Context())
	g.SetLimit(4)
	for i := range cols {
		cf := f
		cf.Before, cf.StageID, cf.NoStage, cf.Limit = 0, nil, false, kanbanCards
		if i == 0 {
			cf.NoStage = true
		} else {
			st := n.Stages[i-1]
			cols[i].Stage, cf.StageID = &st, &st.ID
		}
		if f.StageID != nil && (cf.StageID == nil || *cf.StageID != *f.StageID) || f.NoStage && i > 0 {
			continue // the filter names another stage: the column stays empty
		}
		g.Go(func() error { return s.fillColumn(ctx, acct, cf, n, &cols[i]) })
	}
	var count leadCount
	g.Go(func() error { count = s.countLeads(ctx, acct, f, q.encode()); return nil })
	var saved []store.SavedFilter
	g.Go(func() (err error) { saved, err = s.store.SavedFilters(ctx, acct, ss.User.ID); return err })
	if err := g.Wait(); err != nil {
		s.uiError(w, r, err)
		return
	}
	for i := range cols {
		stage := "none"
		if cols[i].Stage != nil {
			stage = itoa(cols[i].Stage.ID)
		}
		cols[i].List = "/?" + strings.TrimPrefix(q.encode()+"&stage="+stage, "&")
	}
	if len(cols[0].Rows) == 0 && cols[0].Count == 0 && len(n.Stages) > 0 && !f.NoStage {
		cols = cols[1:] // no column for "no stage" when every lead has one
	}
	d := kanbanData{Q: q, Query: q.encode(), Names: n, Columns: cols, Bar: s.bar(r, "kanban", q.encode(), count, saved)}
	s.render(w, r, http.StatusOK, "kanban", s.newView(w, r, "inbox", "inbox.kanban", d))
}

func (s *Server) fillColumn(ctx context.Context, acct int64, f store.LeadFilter, n *names, c *kanbanColumn) error {
	leads, err := s.store.ListLeads(ctx, acct, f)
	if err != nil {
		return err
	}
	c.Rows = n.rows(leads)
	c.Count = int64(len(leads))
	if len(leads) < f.Limit {
		return nil // the column shows all its leads
	}
	count, exact, err := s.store.CountLeadsUpTo(ctx, acct, f, kanbanCount)
	c.Count, c.More = count, !exact
	return err
}

// handleLeadStage moves a lead to another funnel stage ("" takes it off
// the funnel): the kanban card's form. A script that posts it asking for
// JSON gets 204, or the error's message with its status; a browser goes
// back to the board.
func (s *Server) handleLeadStage(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	back := localPath(r.PostFormValue("back"))
	fetch := strings.Contains(r.Header.Get("Accept"), "application/json")
	id, err := lead.ParseID(r.PathValue("id"))
	var p store.LeadPatch
	if err == nil {
		p, err = s.patchOf("funnelStageId", r.PostFormValue("funnelStageId"))
	}
	if err == nil {
		_, err = s.store.UpdateLead(r.Context(), ss.User.AccountID, &ss.User.ID, id, p)
	}
	switch {
	case fetch && err != nil:
		s.fetchError(w, r, err)
	case fetch:
		w.WriteHeader(http.StatusNoContent)
	case err != nil:
		s.formError(w, r, err, back)
	default:
		s.done(w, r, back, "inbox.moved")
	}
}

// fetchError answers a script's request with the error's message as text.
func (s *Server) fetchError(w http.ResponseWriter, r *http.Request, err error) {
	e := respond.Public(err)
	if e.Code == lead.EUnavailable || e.Code == lead.EInternal {
		s.log.Error("ui request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status := respond.Status(e.Code)
	lang := sessionOf(r).Lang
	msg := messages(lang, e)
	if msg == "" {
		msg = i18n.T(lang, "error."+strconv.Itoa(status))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg))
}
