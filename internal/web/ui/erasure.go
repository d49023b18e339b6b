package ui

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/respond"
)

// «Персональные данные» (152-FZ): an admin erases a person's data — a
// preview of what would go, then the erasure — and prints the act of
// destruction (Roskomnadzor's order 179) of any erasure done.

// erasureData is what the erasure page shows.
type erasureData struct {
	Tabs                 string
	Phone, Email, Reason string
	Preview              *lead.Erasure // the counts a confirmed erasure would change
	List                 []lead.Erasure
	Users                map[int64]string
}

// handleErasures shows the form and the erasures done.
func (s *Server) handleErasures(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	list, err := s.store.ListErasures(r.Context(), acct, 0, store.MaxPage)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "erasure", s.newView(w, r, "settings", "erasure.title", erasureData{Tabs: "erasure", List: list}))
}

// handleErasure previews an erasure or, confirmed, carries it out and
// shows its act.
func (s *Server) handleErasure(w http.ResponseWriter, r *http.Request) {
	// The erasure reads the account's whole delivery log: on a large one it
	// outlasts the server's WriteTimeout.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(10 * time.Minute))
	u := sessionOf(r).User
	d := erasureData{Tabs: "erasure", Phone: strings.TrimSpace(r.PostFormValue("phone")),
		Email: strings.TrimSpace(r.PostFormValue("email")), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	req := store.EraseRequest{AccountID: u.AccountID, UserID: &u.ID, Actor: u.Name + " <" + u.Email + ">",
		Reason: d.Reason, DryRun: r.PostFormValue("confirm") != "1"}
	var err error
	if req.Phone, req.Email, err = s.decoder.Contacts(d.Phone, d.Email); err != nil {
		s.formError(w, r, err, "/settings/erasure")
		return
	}
	e, err := s.store.Erase(r.Context(), req)
	if err != nil {
		s.formError(w, r, err, "/settings/erasure")
		return
	}
	if !req.DryRun {
		s.done(w, r, "/settings/erasure/"+strconv.FormatInt(e.ID, 10), "erasure.done")
		return
	}
	d.Preview = &e
	s.render(w, r, http.StatusOK, "erasure", s.newView(w, r, "settings", "erasure.title", d))
}

// actData is what the act of destruction shows.
type actData struct {
	E        lead.Erasure
	Operator string
	Rows     []actRow
}

// actRow is one kind of rows destroyed and how many.
type actRow struct {
	Key string
	N   int64
}

func (e actData) Total() int64 { return e.E.Counts.Total() }

func actRows(c lead.ErasureCounts) []actRow {
	return []actRow{{"erasure.n.leads", c.Leads}, {"erasure.n.clients", c.Clients}, {"erasure.n.deliveries", c.Deliveries},
		{"erasure.n.idempotency", c.Idempotency}, {"erasure.n.events", c.Events}, {"erasure.n.jobs", c.Jobs},
		{"erasure.n.notes", c.Notes}, {"erasure.n.tasks", c.Tasks}, {"erasure.n.importFiles", c.ImportFiles}}
}

// handleErasureAct shows the act of destruction of one erasure, to print.
func (s *Server) handleErasureAct(w http.ResponseWriter, r *http.Request) {
	d, err := s.act(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "erasureact", s.newView(w, r, "settings", "erasure.act", d))
}

func (s *Server) act(r *http.Request) (actData, error) {
	acct := sessionOf(r).User.AccountID
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return actData{}, err
	}
	e, err := s.store.GetErasure(r.Context(), acct, id)
	if err != nil {
		return actData{}, err
	}
	a, err := s.store.GetAccount(r.Context(), acct)
	if err != nil {
		return actData{}, err
	}
	return actData{E: e, Operator: a.Name, Rows: actRows(e.Counts)}, nil
}

// handleErasureLog downloads the erasure as the extract of the event log
// that the order asks for beside the act when data is processed by
// computer: one CSV row per lead erased.
func (s *Server) handleErasureLog(w http.ResponseWriter, r *http.Request) {
	d, err := s.act(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	e := d.E
	at := time.Unix(e.Created, 0).In(s.zone(sessionOf(r).Zone)).Format("02.01.2006 15:04:05 -07:00")
	_, err = respond.Download(w, "text/csv; charset=utf-8", fmt.Sprintf("erasure-%d.csv", e.ID), func(out io.Writer) error {
		out.Write([]byte("\xef\xbb\xbf")) // Excel reads UTF-8 by its BOM
		c := csv.NewWriter(out)
		c.Comma = ';'
		c.Write([]string{"Оператор", "Запись", "Дата и время", "Кто", "Основание", "Вид", "Лид", "Действие"})
		kind := map[string]string{lead.ErasureSubject: "по запросу", lead.ErasureRetention: "по сроку хранения"}[e.Kind]
		ids := e.LeadIDs
		if len(ids) == 0 {
			ids = []int64{0}
		}
		for _, id := range ids {
			l, what := "", "Удалены исходные запросы: "+strconv.FormatInt(e.Counts.Deliveries, 10)
			if id != 0 {
				l, what = strconv.FormatInt(id, 10), "Удалены ФИО, телефон, email, IP-адрес, идентификаторы посетителя, дополнительные поля, исходный запрос, тексты заметок и задач"
			}
			c.Write([]string{d.Operator, strconv.FormatInt(e.ID, 10), at, e.Actor, e.Reason, kind, l, what})
		}
		c.Flush()
		return c.Error()
	})
	if err != nil {
		s.log.Error("erasure log", "err", err)
	}
}
