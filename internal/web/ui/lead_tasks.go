package ui

import (
	"net/http"
	"strings"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// taskRow is a task as the card and «Мои задачи» show it.
type taskRow struct {
	store.TaskItem
	Assignee string
	Users    []lead.User // whom the edit form offers: the account's active users and the assignee
}

// AssignedTo is the assignee's id, 0 for none: what the form's select
// compares user ids with.
func (t taskRow) AssignedTo() int64 {
	if t.AssigneeID == nil {
		return 0
	}
	return *t.AssigneeID
}

func (n *names) tasks(ts []store.TaskItem) []taskRow {
	out := make([]taskRow, len(ts))
	for i, t := range ts {
		out[i] = taskRow{TaskItem: t, Assignee: name(n.user, t.AssigneeID), Users: n.Users}
	}
	return out
}

// taskItem is what the "taskitem" partial needs: the view for its text and
// CSRF token, the task, where its form goes back to, and whether to name
// its lead.
type taskItem struct {
	*view
	Task     taskRow
	Back     string
	ShowLead bool
}

func taskOf(v *view, t taskRow, back string, showLead bool) taskItem {
	return taskItem{view: v, Task: t, Back: back, ShowLead: showLead}
}

// CanDelete is whether the viewer may delete the task: its author or an
// admin (store.DeleteTask).
func (t taskItem) CanDelete() bool {
	u := t.view.User
	return u != nil && (u.Role == lead.RoleAdmin || t.Task.CreatedBy != nil && *t.Task.CreatedBy == u.ID)
}

// handleTaskDelete deletes a task and goes back where its form was.
func (s *Server) handleTaskDelete(w http.ResponseWriter, r *http.Request) {
	t, ok := s.formTask(w, r)
	if !ok {
		return
	}
	back := taskBack(r, t)
	if err := s.store.DeleteTask(r.Context(), t.AccountID, t.ID, noteEditor(sessionOf(r))); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "task.deleted")
}

// formTask is the task a form's path names, of the user's account; false
// when there is none (the error page is sent): another account's task is
// not found, whatever the form says.
func (s *Server) formTask(w http.ResponseWriter, r *http.Request) (lead.Task, bool) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err == nil {
		var t lead.Task
		if t, err = s.store.GetTask(r.Context(), sessionOf(r).User.AccountID, id); err == nil {
			return t, true
		}
	}
	s.uiError(w, r, err)
	return lead.Task{}, false
}

// dueLayouts are what a datetime-local input sends, with or without seconds.
var dueLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"}

// parseDue reads a due time as the task form sends it, in the zone the
// user sees times in.
func parseDue(v string, loc *time.Location) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, lead.Errorf(lead.EInvalid, "dtDue", lead.MsgRequired, "Срок")
	}
	for _, layout := range dueLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, lead.Errorf(lead.EInvalid, "dtDue", lead.MsgFormat, "Срок")
}

// defaultDue is the due time the task form offers: the next full hour
// after an hour from now.
func defaultDue(now time.Time) int64 {
	return now.Add(time.Hour).Truncate(time.Hour).Add(time.Hour).Unix()
}

// handleTaskCreate adds a task to the lead; without an assignee it goes to
// the lead's owner.
func (s *Server) handleTaskCreate(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/leads/" + itoa(id)
	if _, err := s.store.GetLead(r.Context(), ss.User.AccountID, id); err != nil {
		s.uiError(w, r, err) // another account's lead is not found, whatever the form says
		return
	}
	n := store.NewTask{AccountID: ss.User.AccountID, LeadID: id, UserID: &ss.User.ID, Text: r.PostFormValue("text")}
	if n.AssigneeID, err = formID(r.PostFormValue("assignee")); err == nil {
		n.Due, err = parseDue(r.PostFormValue("due"), s.zone(sessionOf(r).Zone))
	}
	if err == nil {
		_, err = s.store.AddTask(r.Context(), n)
	}
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back+"#tasks", "task.added")
}

// handleTaskEdit changes a task's text and due time ("перенести").
func (s *Server) handleTaskEdit(w http.ResponseWriter, r *http.Request) {
	t, ok := s.formTask(w, r)
	if !ok {
		return
	}
	ss, id := sessionOf(r), t.ID
	back := taskBack(r, t)
	text := r.PostFormValue("text")
	due, err := parseDue(r.PostFormValue("due"), s.zone(sessionOf(r).Zone))
	var assignee *int64
	if err == nil {
		assignee, err = formID(r.PostFormValue("assignee")) // absent: the assignee stays
	}
	if assignee != nil && t.AssigneeID != nil && *assignee == *t.AssigneeID {
		assignee = nil // unchanged, even if the assignee has left since
	}
	if err == nil {
		_, err = s.store.UpdateTask(r.Context(), ss.User.AccountID, id, store.TaskPatch{Text: &text, Due: &due, AssigneeID: assignee})
	}
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "task.saved")
}

// taskBack is where a task's form goes back to: the page it was on, else
// the lead's card.
func taskBack(r *http.Request, t lead.Task) string {
	if b := r.PostFormValue("back"); b != "" {
		return localPath(b)
	}
	return "/leads/" + itoa(t.LeadID) + "#tasks"
}

// handleTaskDone marks a task done; handleTaskReopen opens it again. Both
// go back where the form was (the card or «Мои задачи»).
func (s *Server) handleTaskDone(w http.ResponseWriter, r *http.Request)   { s.taskDone(w, r, true) }
func (s *Server) handleTaskReopen(w http.ResponseWriter, r *http.Request) { s.taskDone(w, r, false) }

func (s *Server) taskDone(w http.ResponseWriter, r *http.Request, done bool) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	t, err := s.store.SetTaskDone(r.Context(), ss.User.AccountID, id, &ss.User.ID, done)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := taskBack(r, t)
	msg := "task.done"
	if !done {
		msg = "task.reopened"
	}
	s.done(w, r, back, msg)
}
