package api

import (
	"net/http"
	"strconv"
	"strings"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Tasks on leads: a text, a due time (dtDue, unix seconds) and an assignee
// (userIdAssignee; by default the lead's owner, else the token's user).

func tasksOf(items []store.TaskItem) []lead.Task {
	out := make([]lead.Task, len(items))
	for i, it := range items {
		out[i] = it.Task
	}
	return out
}

func (s *Server) apiListLeadTasks(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetLead(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	items, err := s.store.ListTasks(r.Context(), c.account, store.TaskFilter{LeadID: id})
	return http.StatusOK, data[[]lead.Task]{tasksOf(items)}, err
}

// apiListTasks lists the account's tasks in id order, a page at a time:
// userIdAssignee, state (open, done, all) and dueBefore select them.
func (s *Server) apiListTasks(r *http.Request, c apiCaller) (int, any, error) {
	q := r.URL.Query()
	bad := &lead.Error{Code: lead.EInvalid}
	limit, after := store.QueryPage(q, "limit", "cursor", bad)
	f := store.TaskFilter{State: strings.TrimSpace(q.Get("state")), Limit: limit, After: after, ByID: true}
	for _, p := range []struct {
		key   string
		label string
		dst   *int64
	}{{"userIdAssignee", "ID Исполнителя", nil}, {"dueBefore", "dueBefore", &f.DueBefore}} {
		v := strings.TrimSpace(q.Get(p.key))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			bad.Addf(p.key, lead.MsgInteger, p.label)
			continue
		}
		if p.dst == nil {
			f.AssigneeID = &n
		} else {
			*p.dst = n
		}
	}
	if len(bad.Fields) > 0 {
		return 0, nil, bad
	}
	items, err := s.store.ListTasks(r.Context(), c.account, f)
	if err != nil {
		return 0, nil, err
	}
	p := page[lead.Task]{Data: tasksOf(items)}
	if len(items) == limit {
		p.NextCursor = cursorAfter(items[len(items)-1].ID)
	}
	return http.StatusOK, p, nil
}

// taskFields reads a task's fields from a body; on create, text and dtDue
// are required.
func taskFields(r *http.Request, create bool) (store.TaskPatch, error) {
	var p store.TaskPatch
	f, err := readForm(r, "text", "dtDue", "userIdAssignee")
	if err != nil {
		return p, err
	}
	if create || f.has("text") {
		text := f.required("text", "Текст", lead.MaxNote)
		p.Text = &text
	}
	if create || f.has("dtDue") {
		p.Due = f.id("dtDue", "Срок")
		if p.Due == nil && (f.errs == nil || !f.errs.Has("dtDue")) {
			f.fail("dtDue", lead.MsgRequired, "Срок")
		}
	}
	if f.has("userIdAssignee") {
		if p.AssigneeID = f.id("userIdAssignee", "ID Исполнителя"); p.AssigneeID == nil && !create && f.errs == nil {
			f.fail("userIdAssignee", lead.MsgRequired, "ID Исполнителя") // a task keeps an assignee once it has one
		}
	}
	return p, f.err()
}

func (s *Server) apiCreateTask(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetLead(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	p, err := taskFields(r, true)
	if err != nil {
		return 0, nil, err
	}
	t, err := s.store.AddTask(r.Context(), store.NewTask{AccountID: c.account, LeadID: id, UserID: c.user, Text: *p.Text,
		Due: *p.Due, AssigneeID: p.AssigneeID})
	return http.StatusCreated, data[lead.Task]{t}, err
}

func (s *Server) apiGetTask(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	t, err := s.store.GetTask(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Task]{t}, err
}

func (s *Server) apiUpdateTask(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetTask(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	p, err := taskFields(r, false)
	if err != nil {
		return 0, nil, err
	}
	t, err := s.store.UpdateTask(r.Context(), c.account, id, p)
	return http.StatusOK, data[lead.Task]{t}, err
}

// apiDeleteTask deletes a task; a token acts as an admin.
func (s *Server) apiDeleteTask(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteTask(r.Context(), c.account, id, store.NoteEditor{UserID: c.user, Admin: true})
}

// apiTaskDone marks a task done (or, with done false, open again); doing
// it twice changes nothing.
func (s *Server) apiTaskDone(done bool) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		t, err := s.store.SetTaskDone(r.Context(), c.account, id, c.user, done)
		return http.StatusOK, data[lead.Task]{t}, err
	}
}
