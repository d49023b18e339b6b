package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestUINotes: a note written on the card shows in the timeline with the
// history; its author edits and deletes it within 15 minutes and not after;
// another manager cannot; an admin can delete.
func TestUINotes(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		id := webtest.IntOf(t, "id", webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Анна", "phone": "79990005501"}`))["id"])
		p := "/leads/" + webtest.ID(id)
		m := webtest.Login(t, e, "manager@example.com")
		admin := webtest.Login(t, e, "admin@example.com")

		webtest.WantStatus(t, m.Submit(p+"/no-answer", nil), http.StatusSeeOther, "no answer")
		time.Sleep(1100 * time.Millisecond) // the note is a second newer than the history entry
		webtest.WantStatus(t, m.Submit(p+"/notes", url.Values{"text": {"перезвонить после 18:00,\nинтересует кухня 3 м"}}), http.StatusSeeOther, "add note")
		webtest.WantStatus(t, m.Submit(p+"/notes", url.Values{"text": {"  "}}), http.StatusSeeOther, "empty note")
		webtest.WantBody(t, m.Get(p), "Поле Текст обязательно для заполнения.")
		notes := webtest.Must[[]lead.Note](t)(e.Store.ListNotes(ctx, e.Acct.ID, id))
		if len(notes) != 1 {
			t.Fatalf("notes: %+v", notes)
		}
		note := "/notes/" + webtest.ID(notes[0].ID)
		r := m.Get(p)
		webtest.WantBody(t, r, "Заметки и история", "перезвонить после 18:00,\nинтересует кухня 3 м", "отметка «недозвон»", `action="`+note+`"`, `action="`+note+`/delete"`)
		// The note is above the earlier history entry: newest first.
		if i, j := strings.Index(string(r.Body), `id="note-`), strings.Index(string(r.Body), "отметка «недозвон»"); i < 0 || j < i {
			t.Fatalf("the timeline is not newest first (note at %d, creation at %d)", i, j)
		}
		// Another user sees the note but no edit form; the admin may delete only.
		r = admin.Get(p)
		webtest.WantBody(t, r, "перезвонить после 18:00", `action="`+note+`/delete"`)
		if strings.Contains(string(r.Body), `action="`+note+`"`) {
			t.Fatal("the admin is offered to edit another user's note")
		}
		webtest.WantStatus(t, admin.Submit(note, url.Values{"text": {"чужая правка"}}), http.StatusForbidden, "admin edits another's note")

		webtest.WantStatus(t, m.Submit(note, url.Values{"text": {"перезвонить после 19:00"}}), http.StatusSeeOther, "edit own note")
		webtest.WantBody(t, m.Get(p), "перезвонить после 19:00", "изменена", "Заметка сохранена.")

		// 15 minutes later the author can neither edit nor delete it.
		e.Store.SetClock(func() time.Time { return time.Now().Add(15 * time.Minute) })
		defer e.Store.SetClock(time.Now)
		r = m.Get(p)
		if strings.Contains(string(r.Body), `action="`+note+`"`) || strings.Contains(string(r.Body), `action="`+note+`/delete"`) {
			t.Fatal("edit or delete offered after 15 minutes")
		}
		webtest.WantStatus(t, m.Submit(note, url.Values{"text": {"поздно"}}), http.StatusSeeOther, "late edit")
		webtest.WantBody(t, m.Get(p), "Заметку можно изменить или удалить только в течение 15 минут после создания.")
		webtest.WantStatus(t, m.Submit(note+"/delete", nil), http.StatusSeeOther, "late delete")
		if got := webtest.Must[lead.Note](t)(e.Store.GetNote(ctx, e.Acct.ID, notes[0].ID)); got.Text != "перезвонить после 19:00" {
			t.Fatalf("a late edit changed the note: %q", got.Text)
		}
		webtest.WantStatus(t, admin.Submit(note+"/delete", nil), http.StatusSeeOther, "admin deletes")
		if _, err := e.Store.GetNote(ctx, e.Acct.ID, notes[0].ID); lead.ErrorCode(err) != lead.ENotFound {
			t.Fatalf("the note after the admin deleted it: %v", err)
		}
	})
}

// TestUITasks: a task added on the card goes to the lead's owner by
// default, shows on «Мои задачи» under the right section, counts in the
// menu once due, and is done and reopened from either page.
func TestUITasks(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		id := webtest.IntOf(t, "id", webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Борис", "phone": "79990005502", "userIdOwner": `+webtest.ID(e.Manager.ID)+`}`))["id"])
		p := "/leads/" + webtest.ID(id)
		admin := webtest.Login(t, e, "admin@example.com")
		m := webtest.Login(t, e, "manager@example.com")

		webtest.WantBody(t, admin.Get(p), `<option value="`+webtest.ID(e.Manager.ID)+`" selected>`) // the owner is the default assignee
		later := time.Now().Add(48 * time.Hour).Format("2006-01-02T15:04")
		webtest.WantStatus(t, admin.Submit(p+"/tasks", url.Values{"text": {"перезвонить в 18:00"}, "due": {later}, "assignee": {""}}), http.StatusSeeOther, "add task")
		for _, bad := range []url.Values{{"text": {"x"}, "due": {"завтра"}}, {"text": {"x"}, "due": {""}}, {"text": {""}, "due": {later}},
			{"text": {"x"}, "due": {later}, "assignee": {"999999"}}} {
			webtest.WantStatus(t, admin.Submit(p+"/tasks", bad), http.StatusSeeOther, "bad task")
		}
		webtest.WantBody(t, admin.Get(p), "Выбранное значение для ID Исполнителя некорректно.")
		tasks := webtest.Must[[]store.TaskItem](t)(e.Store.ListTasks(ctx, e.Acct.ID, store.TaskFilter{}))
		if len(tasks) != 1 || *tasks[0].AssigneeID != e.Manager.ID || tasks[0].Text != "перезвонить в 18:00" {
			t.Fatalf("tasks: %+v", tasks)
		}
		r := m.Get("/tasks")
		webtest.WantBody(t, r, "Мои задачи", "перезвонить в 18:00", "Борис", `id="tasks-later"`)
		section := func(body, id string) string {
			i := strings.Index(body, `id="`+id+`"`)
			j := strings.Index(body[i:], "</section>")
			return body[i : i+j]
		}
		if !strings.Contains(section(string(r.Body), "tasks-later"), "перезвонить в 18:00") {
			t.Fatal("a task due in two days is not under «Предстоящие»")
		}
		badge := regexp.MustCompile(`id="due-badge"[^>]*>(\d+)<`)
		if b := badge.FindSubmatch(r.Body); b == nil || string(b[1]) != "0" || !strings.Contains(string(r.Body), `hidden>0<`) {
			t.Fatalf("the due count before the task is due: %q", b)
		}
		// A task due a minute ago: overdue, counted, marked.
		past := time.Now().Add(-time.Minute).Format("2006-01-02T15:04")
		webtest.WantStatus(t, m.Submit(p+"/tasks", url.Values{"text": {"выслать КП"}, "due": {past}}), http.StatusSeeOther, "add an overdue task")
		tasks = webtest.Must[[]store.TaskItem](t)(e.Store.ListTasks(ctx, e.Acct.ID, store.TaskFilter{DueBefore: time.Now().Unix()}))
		if len(tasks) != 1 || tasks[0].Text != "выслать КП" {
			t.Fatalf("overdue tasks: %+v", tasks)
		}
		tk := tasks[0]
		r = m.Get("/tasks")
		if !strings.Contains(section(string(r.Body), "tasks-overdue"), "выслать КП") || !strings.Contains(string(r.Body), "просрочена") {
			t.Fatal("the task is not under «Просроченные», marked overdue")
		}
		if b := badge.FindSubmatch(r.Body); b == nil || string(b[1]) != "1" {
			t.Fatalf("the due count: %q, want 1", b)
		}
		// Rescheduled to tomorrow and back: it leaves «Просроченные» and returns.
		tomorrow := time.Now().Add(24 * time.Hour).Format("2006-01-02T15:04")
		webtest.WantStatus(t, m.Submit("/tasks/"+webtest.ID(tk.ID), url.Values{"text": {"выслать КП"}, "due": {tomorrow}, "back": {"/tasks"}}), http.StatusSeeOther, "reschedule")
		r = m.Get("/tasks")
		webtest.WantBody(t, r, "Задача сохранена.")
		if strings.Contains(section(string(r.Body), "tasks-overdue"), "выслать КП") {
			t.Fatal("a rescheduled task is still overdue")
		}
		webtest.WantStatus(t, m.Submit("/tasks/"+webtest.ID(tk.ID), url.Values{"text": {"выслать КП"}, "due": {"вчера"}, "back": {"/tasks"}}), http.StatusSeeOther, "bad due")
		webtest.WantBody(t, m.Get("/tasks"), "Значение поля Срок имеет некорректный формат.")
		webtest.WantStatus(t, m.Submit("/tasks/"+webtest.ID(tk.ID), url.Values{"text": {"выслать КП"}, "due": {past}, "back": {"/tasks"}}), http.StatusSeeOther, "back to overdue")
		due := m.Get("/tasks/due")
		webtest.WantBody(t, due, `"count":1`, `"id":`+webtest.ID(tk.ID), `"lead":"Борис"`)
		if ct := due.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("/tasks/due: %q", ct)
		}
		// The admin is not the assignee: nothing due for them.
		webtest.WantBody(t, admin.Get("/tasks/due"), `"count":0`)
		// Handed to the admin from «Мои задачи»'s edit form, and back; a user
		// of another account is refused.
		webtest.WantBody(t, m.Get("/tasks"), `<select name="assignee"`, `<option value="`+webtest.ID(e.Manager.ID)+`" selected>`)
		webtest.WantStatus(t, m.Submit("/tasks/"+webtest.ID(tk.ID), url.Values{"text": {"выслать КП"}, "due": {past},
			"assignee": {webtest.ID(e.Admin.ID)}, "back": {"/tasks"}}), http.StatusSeeOther, "reassign")
		webtest.WantBody(t, admin.Get("/tasks/due"), `"count":1`)
		webtest.WantBody(t, m.Get("/tasks/due"), `"count":0`)
		webtest.WantStatus(t, m.Submit("/tasks/"+webtest.ID(tk.ID), url.Values{"text": {"выслать КП"}, "due": {past},
			"assignee": {webtest.ID(e.Other.User.ID)}, "back": {p}}), http.StatusSeeOther, "reassign to a stranger")
		webtest.WantBody(t, m.Get(p), "Выбранное значение для ID Исполнителя некорректно.")
		webtest.WantStatus(t, admin.Submit("/tasks/"+webtest.ID(tk.ID), url.Values{"text": {"выслать КП"}, "due": {past},
			"assignee": {webtest.ID(e.Manager.ID)}, "back": {p}}), http.StatusSeeOther, "reassign back")
		webtest.WantBody(t, m.Get("/tasks/due"), `"count":1`)

		webtest.WantStatus(t, m.Submit("/tasks/"+webtest.ID(tk.ID)+"/done", url.Values{"back": {"/tasks"}}), http.StatusSeeOther, "done")
		r = m.Get("/tasks")
		webtest.WantBody(t, r, "Задача выполнена.")
		if strings.Contains(string(r.Body), "выслать КП") || !strings.Contains(string(r.Body), "перезвонить в 18:00") {
			t.Fatal("a done task is still on «Мои задачи», or the open one is not")
		}
		r = m.Get(p)
		webtest.WantBody(t, r, "выполнена", `action="/tasks/`+webtest.ID(tk.ID)+`/reopen"`)
		webtest.WantStatus(t, m.Submit("/tasks/"+webtest.ID(tk.ID)+"/reopen", url.Values{"back": {"https://evil.example/"}}), http.StatusSeeOther, "reopen")
		got := webtest.Must[lead.Task](t)(e.Store.GetTask(ctx, e.Acct.ID, tk.ID))
		if got.Done != nil || !got.Overdue {
			t.Fatalf("reopened task: %+v", got)
		}
		// Deleting: the manager may delete the task she wrote (the button is
		// there), not the admin's (no button; the form refused); the admin may.
		var adminTask store.TaskItem
		for _, x := range webtest.Must[[]store.TaskItem](t)(e.Store.ListTasks(ctx, e.Acct.ID, store.TaskFilter{})) {
			if x.Text == "перезвонить в 18:00" {
				adminTask = x
			}
		}
		body := string(m.Get("/tasks").Body)
		if !strings.Contains(body, `action="/tasks/`+webtest.ID(tk.ID)+`/delete"`) || strings.Contains(body, `action="/tasks/`+webtest.ID(adminTask.ID)+`/delete"`) {
			t.Fatal("«Удалить» is not offered on the manager's own task, or is on the admin's")
		}
		r = m.Submit("/tasks/"+webtest.ID(adminTask.ID)+"/delete", url.Values{"back": {"/tasks"}})
		webtest.WantStatus(t, r, http.StatusForbidden, "the manager deletes the admin's task")
		webtest.WantBody(t, r, "Недостаточно прав")
		webtest.WantStatus(t, admin.Submit("/tasks/"+webtest.ID(adminTask.ID)+"/delete", url.Values{"back": {p}}), http.StatusSeeOther, "the admin deletes her task")
		webtest.WantBody(t, admin.Get(p), "Задача удалена.")
		if _, err := e.Store.GetTask(ctx, e.Acct.ID, adminTask.ID); err == nil {
			t.Fatal("the deleted task is still there")
		}

		// The assignee has left: the task's text can still be changed, the
		// form sending the assignee it shows.
		webtest.Must[lead.User](t)(e.Store.UpdateUser(ctx, e.Acct.ID, e.Manager.ID, store.UserPatch{Active: new(bool)}))
		webtest.WantStatus(t, admin.Submit("/tasks/"+webtest.ID(tk.ID), url.Values{"text": {"выслать КП до пятницы"}, "due": {past},
			"assignee": {webtest.ID(e.Manager.ID)}, "back": {p}}), http.StatusSeeOther, "edit a task of a former user")
		if got := webtest.Must[lead.Task](t)(e.Store.GetTask(ctx, e.Acct.ID, tk.ID)); got.Text != "выслать КП до пятницы" || *got.AssigneeID != e.Manager.ID {
			t.Fatalf("the task of a former user after an edit: %+v", got)
		}
	})
}

// TestUIManualLead: «+ Лид» creates a lead through the pipeline, marked a
// duplicate as the webhook marks it; the hint finds the same first lead for
// the phone typed any way; a refused form keeps what was typed.
func TestUIManualLead(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		first := webtest.IntOf(t, "id", webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Вера", "phone": "+7 (999) 000-55-03"}`))["id"])
		manual := webtest.Must[lead.Source](t)(e.Store.CreateSource(ctx, lead.Source{AccountID: e.Acct.ID, Name: "Звонок в офис", Type: lead.SourceManual}))
		m := webtest.Login(t, e, "manager@example.com")

		webtest.WantBody(t, m.Get("/"), `href="/leads/new"`, "&#43; Лид")
		r := m.Get("/leads/new")
		webtest.WantBody(t, r, "Новый лид", `<option value="`+webtest.ID(manual.ID)+`" selected>Звонок в офис (Вручную)</option>`,
			`<option value="`+webtest.ID(e.Manager.ID)+`" selected>`)

		for _, typed := range []string{"8 999 000 55 03", "79990005503", "+7(999)000-55-03"} {
			r = m.Get("/leads/dups?phone=" + url.QueryEscape(typed))
			webtest.WantBody(t, r, `data-first="`+webtest.ID(first)+`"`, "Вера")
		}
		for _, none := range []string{"8 999 000", "", "79990005599"} {
			if r = m.Get("/leads/dups?phone=" + url.QueryEscape(none)); strings.Contains(string(r.Body), "data-first") {
				t.Fatalf("hint for %q: %s", none, r.Body)
			}
		}

		r = m.Submit("/leads", url.Values{"name": {"Вера звонок"}, "phone": {"8 (999) 000-55-03"}, "sourceId": {webtest.ID(manual.ID)},
			"userIdOwner": {webtest.ID(e.Manager.ID)}, "funnelStageId": {webtest.ID(e.Stage.ID)}, "comment": {"хочет кухню, звонить после 18"}})
		webtest.WantStatus(t, r, http.StatusSeeOther, "create")
		loc := r.Header.Get("Location")
		id, err := lead.ParseID(strings.TrimPrefix(loc, "/leads/"))
		if err != nil {
			t.Fatalf("redirect to %q", loc)
		}
		l := webtest.Must[lead.Lead](t)(e.Store.GetLead(ctx, e.Acct.ID, id))
		if l.FirstID == nil || *l.FirstID != first || l.OtherCount != 1 || *l.Phone != "79990005503" || *l.SourceID != manual.ID ||
			*l.UserIDCreate != e.Manager.ID || *l.FunnelStageID != e.Stage.ID || !strings.Contains(string(l.Extra), "хочет кухню") {
			t.Fatalf("the manual lead: %+v extra %s", l, l.Extra)
		}
		webtest.WantBody(t, m.Get(loc), "Лид создан и отмечен как дубль", "Дубль +1")
		// Refused: the form comes back with the values and the reason.
		before := e.CountLeads(t)
		r = m.Submit("/leads", url.Values{"name": {"Без контактов"}, "comment": {"ничего"}})
		webtest.WantStatus(t, r, http.StatusUnprocessableEntity, "no contacts")
		webtest.WantBody(t, r, "Поле Телефон обязательно для заполнения.", `value="Без контактов"`, "ничего")
		r = m.Submit("/leads", url.Values{"phone": {"abc"}})
		webtest.WantStatus(t, r, http.StatusUnprocessableEntity, "bad phone")
		webtest.WantBody(t, r, "Значение поля Телефон имеет некорректный формат.", `value="abc"`)
		r = m.Submit("/leads", url.Values{"phone": {"79990005504"}, "userIdOwner": {webtest.ID(e.Other.User.ID)}})
		webtest.WantStatus(t, r, http.StatusUnprocessableEntity, "another account's owner")
		webtest.WantBody(t, r, "ID Ответственного сотрудника")
		if after := e.CountLeads(t); after != before {
			t.Fatalf("refused forms made %d leads", after-before)
		}
	})
}
