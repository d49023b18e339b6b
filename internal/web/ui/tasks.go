package ui

import (
	"encoding/json"
	"net/http"
	"time"

	"leadbox/internal/store"
	"leadbox/internal/web/respond"
)

// taskSection is one section of «Мои задачи».
type taskSection struct {
	ID, Title string // the element id, the heading's key
	Rows      []taskRow
}

// handleTasks shows the user's open tasks: overdue, due today (in the zone
// times are shown in), and later.
func (s *Server) handleTasks(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	ts, err := s.store.ListTasks(r.Context(), ss.User.AccountID, store.TaskFilter{AssigneeID: &ss.User.ID, State: store.TasksOpen})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	n, err := s.loadNames(r.Context(), ss.User.AccountID, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	now := s.store.Now()
	loc := s.zone(ss.Zone)
	y, m, d := now.In(loc).Date()
	tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, loc).Unix()
	data := []taskSection{{ID: "tasks-overdue", Title: "tasks.overdue"}, {ID: "tasks-today", Title: "tasks.today"},
		{ID: "tasks-later", Title: "tasks.later"}}
	for _, t := range n.tasks(ts) {
		switch {
		case t.Overdue:
			data[0].Rows = append(data[0].Rows, t)
		case t.Due < tomorrow:
			data[1].Rows = append(data[1].Rows, t)
		default:
			data[2].Rows = append(data[2].Rows, t)
		}
	}
	s.render(w, r, http.StatusOK, "tasks", s.newView(w, r, "tasks", "nav.tasks", data))
}

// dueTask is a task as the page's script needs it to notify.
type dueTask struct {
	ID   int64  `json:"id"`
	Text string `json:"text"`
	Due  int64  `json:"due"`
	Lead string `json:"lead"`
	URL  string `json:"url"`
}

// dueAnswer tells the page's script the server's time, how many of the
// user's open tasks are due, and the tasks due within dueAhead, so that it
// can notify each at its time between two polls.
type dueAnswer struct {
	Now   int64     `json:"now"`
	Count int       `json:"count"`
	Tasks []dueTask `json:"tasks"`
}

// dueAhead is how far ahead the script is told of tasks; it polls more
// often than that.
const dueAhead = 10 * time.Minute

// dueTasks bounds the tasks one answer lists (the earliest due); the count
// counts them all.
const dueTasks = 100

// handleTasksDue answers dueAnswer as JSON, for the badge and the desktop
// notifications.
func (s *Server) handleTasksDue(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	now := s.store.Now()
	ts, err := s.store.ListTasks(r.Context(), ss.User.AccountID, store.TaskFilter{AssigneeID: &ss.User.ID, State: store.TasksOpen,
		DueBefore: now.Add(dueAhead).Unix(), Limit: dueTasks})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	a := dueAnswer{Now: now.Unix(), Count: s.dueCount(r, ss), Tasks: []dueTask{}}
	for _, t := range ts {
		name := uiStr(t.LeadName)
		if name == "" {
			name = formatPhone(t.LeadPhone)
		}
		a.Tasks = append(a.Tasks, dueTask{ID: t.ID, Text: t.Text, Due: t.Due, Lead: name, URL: "/leads/" + itoa(t.LeadID) + "#tasks"})
	}
	body, err := json.Marshal(a) // with <, > and & escaped: the texts are the users'

	if err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	respond.JSON(w, http.StatusOK, body)
}

// dueCount is the number on «Мои задачи» in the menu: the user's open tasks
// due by now. A failure only hides the number; the page itself reports
// storage errors.
func (s *Server) dueCount(r *http.Request, ss *session) int {
	n, err := s.store.CountDueTasks(r.Context(), ss.User.AccountID, ss.User.ID)
	if err != nil {
		return 0
	}
	return n
}
