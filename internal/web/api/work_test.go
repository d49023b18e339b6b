package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestAPINotes: write, list, edit and delete notes; another account's
// lead and notes are not found; every answer matches openapi.json.
func TestAPINotes(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		id := webtest.IDOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/leads", `{"phone": "79990006601"}`), 201))
		base := fmt.Sprintf("/api/v1/leads/%d/notes", id)

		n := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", base, `{"text": "перезвонить после 18:00"}`), 201))
		if n["text"] != "перезвонить после 18:00" || webtest.Num(t, n["userId"]) != a.Admin.ID || n["dtUpdate"] != nil {
			t.Fatalf("note: %v", n)
		}
		note := fmt.Sprintf("/api/v1/notes/%d", webtest.Num(t, n["id"]))
		webtest.WantAPIError(t, a.Call(t, "POST", base, `{"text": ""}`), 422, "text")
		webtest.WantAPIError(t, a.Call(t, "POST", base, `{"text": "x", "pinned": true}`), 422, "pinned")
		webtest.WantAPIError(t, a.Call(t, "POST", base, `[]`), 400, "body")
		list := webtest.ListOf(t, webtest.Want(t, a.Call(t, "GET", base, ""), 200))
		if len(list) != 1 || list[0]["id"] != n["id"] {
			t.Fatalf("notes: %v", list)
		}
		e := webtest.DataOf(t, webtest.Want(t, a.Call(t, "PATCH", note, `{"text": "перезвонить после 19:00"}`), 200))
		if e["text"] != "перезвонить после 19:00" || e["dtUpdate"] == nil {
			t.Fatalf("edited: %v", e)
		}

		// The other account: its token finds nothing of this one.
		other := func(method, path, body string) webtest.Response {
			return a.Call(t, method, path, body, "Authorization", "Bearer "+a.OtherToken)
		}
		webtest.WantAPIError(t, other("GET", base, ""), 404, "lead")
		webtest.WantAPIError(t, other("POST", base, `{"text": "чужое"}`), 404, "lead")
		webtest.WantAPIError(t, other("PATCH", note, `{"text": "чужое"}`), 404, "note")
		webtest.WantAPIError(t, other("DELETE", note, ""), 404, "note")

		// Late: the author may no longer edit; the token, an admin, deletes.
		a.Store.SetClock(func() time.Time { return time.Now().Add(16 * time.Minute) })
		defer a.Store.SetClock(time.Now)
		webtest.WantAPIError(t, a.Call(t, "PATCH", note, `{"text": "поздно"}`), 409, "note")
		webtest.Want(t, a.Call(t, "DELETE", note, ""), 204)
		webtest.WantAPIError(t, a.Call(t, "DELETE", note, ""), 404, "note")
		if list := webtest.ListOf(t, webtest.Want(t, a.Call(t, "GET", base, ""), 200)); len(list) != 0 {
			t.Fatalf("notes after delete: %v", list)
		}
	})
}

// TestAPITasks: create with the owner as the default assignee, list per
// lead and by assignee and state, update, done and reopen.
func TestAPITasks(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		a := webtest.NewAPIEnv(t, engine)
		id := webtest.IDOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/leads", fmt.Sprintf(`{"phone": "79990006602", "userIdOwner": %d}`, a.Manager.ID)), 201))
		base := fmt.Sprintf("/api/v1/leads/%d/tasks", id)
		soon := time.Now().Add(time.Hour).Unix()

		tk := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", base, fmt.Sprintf(`{"text": "перезвонить в 18:00", "dtDue": %d}`, soon)), 201))
		if webtest.Num(t, tk["userIdAssignee"]) != a.Manager.ID || tk["overdue"] != false || tk["dtDone"] != nil {
			t.Fatalf("task: %v", tk)
		}
		task := fmt.Sprintf("/api/v1/tasks/%d", webtest.Num(t, tk["id"]))
		past := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", base, fmt.Sprintf(`{"text": "выслать КП", "dtDue": %d, "userIdAssignee": %d}`,
			time.Now().Add(-time.Minute).Unix(), a.Admin.ID)), 201))
		if past["overdue"] != true {
			t.Fatalf("a task due a minute ago: %v", past)
		}
		for body, key := range map[string]string{
			`{"dtDue": 1}`:                                        "text",
			`{"text": "x"}`:                                       "dtDue",
			`{"text": "x", "dtDue": "завтра"}`:                    "dtDue",
			`{"text": "x", "dtDue": 1, "done": 1}`:                "done",
			`{"text": "x", "dtDue": 1, "userIdAssignee": 999999}`: "userIdAssignee",
		} {
			webtest.WantAPIError(t, a.Call(t, "POST", base, body), 422, key)
		}
		webtest.WantAPIError(t, a.Call(t, "POST", base, fmt.Sprintf(`{"text": "x", "dtDue": 1, "userIdAssignee": %d}`, a.Other.User.ID)), 422, "userIdAssignee")

		if l := webtest.ListOf(t, webtest.Want(t, a.Call(t, "GET", base, ""), 200)); len(l) != 2 || l[0]["id"] != past["id"] {
			t.Fatalf("the lead's tasks, by due time: %v", l)
		}
		mine := webtest.ListOf(t, webtest.Want(t, a.Call(t, "GET", fmt.Sprintf("/api/v1/tasks?userIdAssignee=%d&state=open", a.Manager.ID), ""), 200))
		if len(mine) != 1 || mine[0]["id"] != tk["id"] {
			t.Fatalf("the manager's open tasks: %v", mine)
		}
		due := webtest.ListOf(t, webtest.Want(t, a.Call(t, "GET", fmt.Sprintf("/api/v1/tasks?dueBefore=%d", time.Now().Unix()+1), ""), 200))
		if len(due) != 1 || due[0]["id"] != past["id"] {
			t.Fatalf("tasks due now: %v", due)
		}
		p1 := webtest.Want(t, a.Call(t, "GET", "/api/v1/tasks?limit=1", ""), 200)
		if c, ok := p1["nextCursor"].(string); !ok {
			t.Fatalf("no next cursor: %v", p1)
		} else if p2 := webtest.ListOf(t, webtest.Want(t, a.Call(t, "GET", "/api/v1/tasks?limit=1&cursor="+c, ""), 200)); len(p2) != 1 || p2[0]["id"] != past["id"] {
			t.Fatalf("page 2: %v", p2)
		}
		webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/tasks?state=later", ""), 422, "state")
		webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/tasks?userIdAssignee=x", ""), 422, "userIdAssignee")

		u := webtest.DataOf(t, webtest.Want(t, a.Call(t, "PATCH", task, fmt.Sprintf(`{"text": "перезвонить завтра", "userIdAssignee": %d}`, a.Admin.ID)), 200))
		if u["text"] != "перезвонить завтра" || webtest.Num(t, u["userIdAssignee"]) != a.Admin.ID || webtest.Num(t, u["dtDue"]) != soon {
			t.Fatalf("updated: %v", u)
		}
		webtest.WantAPIError(t, a.Call(t, "PATCH", task, `{"userIdAssignee": null}`), 422, "userIdAssignee")
		d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", task+"/done", ""), 200))
		if d["dtDone"] == nil || webtest.Num(t, d["userIdDone"]) != a.Admin.ID {
			t.Fatalf("done: %v", d)
		}
		if again := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", task+"/done", ""), 200)); again["dtDone"] != d["dtDone"] {
			t.Fatalf("done twice moved dtDone: %v", again)
		}
		if r := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", task+"/reopen", ""), 200)); r["dtDone"] != nil {
			t.Fatalf("reopened: %v", r)
		}

		other := func(method, path, body string) webtest.Response {
			return a.Call(t, method, path, body, "Authorization", "Bearer "+a.OtherToken)
		}
		webtest.WantAPIError(t, other("GET", task, ""), 404, "task")
		webtest.WantAPIError(t, other("POST", task+"/done", ""), 404, "task")
		webtest.WantAPIError(t, other("PATCH", task, `{"text": "x"}`), 404, "task")
		webtest.WantAPIError(t, other("POST", base, `{"text": "x", "dtDue": 1}`), 404, "lead")
		if l := webtest.ListOf(t, webtest.Want(t, other("GET", "/api/v1/tasks", ""), 200)); len(l) != 0 {
			t.Fatalf("the other account lists %d tasks", len(l))
		}
		webtest.WantAPIError(t, other("DELETE", task, ""), 404, "task")
		if got, _ := a.Store.GetTask(ctx, a.Acct.ID, webtest.Num(t, tk["id"])); got.Done != nil || got.Text != "перезвонить завтра" {
			t.Fatalf("the other account changed the task: %+v", got)
		}
		if r := a.Call(t, "DELETE", task, ""); r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("DELETE the task: %d %s", r.Status, r.Body)
		}
		webtest.WantAPIError(t, a.Call(t, "GET", task, ""), 404, "task")
		webtest.WantAPIError(t, a.Call(t, "DELETE", task, ""), 404, "task")
	})
}
