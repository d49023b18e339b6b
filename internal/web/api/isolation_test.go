package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// isolationBodies are valid bodies for every documented operation that takes
// one, so that a 404 is the account check's, not a validation error. Ids of
// the other account come in as {{other...}} placeholders.
var isolationBodies = map[string]string{
	"POST /api/v1/leads":                `{"phone":"79990002233","userIdOwner":{{otherUser}},"funnelStageId":{{otherStage}}}`,
	"PATCH /api/v1/leads/{id}":          `{"name":"hijacked"}`,
	"PUT /api/v1/leads/{id}/client":     `{"clientId":null}`,
	"POST /api/v1/sources":              `{"name":"x","funnelStageId":{{otherStage}},"locationUnitId":{{otherOffice}}}`,
	"PATCH /api/v1/sources/{id}":        `{"name":"hijacked"}`,
	"POST /api/v1/users":                `{"email":"walker@example.com","password":"long enough"}`,
	"PATCH /api/v1/users/{id}":          `{"active":false}`,
	"POST /api/v1/offices":              `{"name":"walker"}`,
	"PATCH /api/v1/offices/{id}":        `{"name":"hijacked"}`,
	"POST /api/v1/cities":               `{"name":"walker"}`,
	"PATCH /api/v1/cities/{id}":         `{"name":"hijacked"}`,
	"POST /api/v1/funnel-stages":        `{"name":"walker"}`,
	"PATCH /api/v1/funnel-stages/{id}":  `{"name":"hijacked","position":1}`,
	"POST /api/v1/clients":              `{"name":"walker"}`,
	"PATCH /api/v1/clients/{id}":        `{"name":"hijacked"}`,
	"POST /api/v1/leads/{id}/no-answer": ``,
	"POST /api/v1/sources/{id}/rotate":  ``,
	"POST /api/v1/sources/{id}/disable": ``,
	"POST /api/v1/sources/{id}/enable":  ``,
	"POST /api/v1/leads/{id}/notes":     `{"text":"hijacked"}`,
	"PATCH /api/v1/notes/{id}":          `{"text":"hijacked"}`,
	"POST /api/v1/leads/{id}/tasks":     `{"text":"hijacked","dtDue":1}`,
	"PATCH /api/v1/tasks/{id}":          `{"text":"hijacked"}`,
	"POST /api/v1/erasures":             `{"phone":"79990001122","reason":"walker"}`, // the other account's lead's phone
}

// TestAPIIsolation walks every documented route with one account's token and
// the other account's ids, both ways: each answers 404 (or 403), never data,
// and changes nothing; lists hold only the caller's rows; creating with the
// other account's references is refused.
func TestAPIIsolation(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		ctx := context.Background()
		phone := "79990003344"
		mine := webtest.Must[lead.Lead](t)(a.Store.AddLead(ctx, store.NewLead{AccountID: a.Acct.ID, Input: lead.Input{Phone: &phone}}))
		myClient := webtest.Must[lead.Client](t)(a.Store.CreateClient(ctx, lead.Client{AccountID: a.Acct.ID, Name: "Мой клиент"}))
		o := a.Other
		// A note and a task on each side's lead.
		work := func(account, leadID int64) (note, task int64) {
			n := webtest.Must[lead.Note](t)(a.Store.AddNote(ctx, account, leadID, nil, "заметка"))
			tk := webtest.Must[lead.Task](t)(a.Store.AddTask(ctx, store.NewTask{AccountID: account, LeadID: leadID, Text: "задача", Due: 1}))
			return n.ID, tk.ID
		}
		myNote, myTask := work(a.Acct.ID, mine.ID)
		otherNote, otherTask := work(o.Acct.ID, a.OtherLead.ID)
		erasure := func(account int64) int64 {
			return webtest.Must[lead.Erasure](t)(a.Store.Erase(ctx, store.EraseRequest{AccountID: account, Actor: "test",
				Phone: "79990009999", Reason: "проверка"})).ID
		}
		myErasure, otherErasure := erasure(a.Acct.ID), erasure(o.Acct.ID)
		sides := []struct {
			name          string
			token         string
			account, peer int64
			ids           map[string]int64
			peerLeadIDs   []int64
			vars          func(string) string
			before, after func() string
		}{
			{name: "OtherIDs", token: a.Token, account: a.Acct.ID, peer: o.Acct.ID,
				ids: map[string]int64{"leads": a.OtherLead.ID, "sources": o.Src.ID, "users": o.User.ID, "offices": o.Office.ID,
					"cities": o.City.ID, "funnel-stages": o.Stage.ID, "clients": a.OtherClient.ID,
					"notes": otherNote, "tasks": otherTask, "erasures": otherErasure},
				peerLeadIDs: []int64{a.OtherLead.ID}, vars: a.Vars},
			{name: "MyIDsFromOtherAccount", token: a.OtherToken, account: o.Acct.ID, peer: a.Acct.ID,
				ids: map[string]int64{"leads": mine.ID, "sources": a.Src.ID, "users": a.Manager.ID, "offices": a.Office.ID,
					"cities": a.City.ID, "funnel-stages": a.Stage.ID, "clients": myClient.ID,
					"notes": myNote, "tasks": myTask, "erasures": myErasure},
				peerLeadIDs: []int64{mine.ID},
				vars: strings.NewReplacer("{{otherUser}}", fmt.Sprint(a.Manager.ID), "{{otherStage}}", fmt.Sprint(a.Stage.ID),
					"{{otherOffice}}", fmt.Sprint(a.Office.ID)).Replace},
		}
		webtest.LoadDoc(t)
		for _, side := range sides {
			t.Run(side.name, func(t *testing.T) {
				snapshot := accountSnapshot(t, a.Store, side.peer)
				for _, rt := range webtest.OpenAPI.Routes {
					method := strings.ToUpper(rt.Method)
					key := method + " " + rt.Path
					body, hasBody := isolationBodies[key]
					if (method == "PATCH" || method == "PUT" || (method == "POST" && !strings.Contains(rt.Path, "{id}/"))) && !hasBody {
						t.Errorf("%s: add a body to isolationBodies", key)
						continue
					}
					path := rt.Path
					if strings.Contains(path, "{id}") {
						coll := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")[0]
						id, ok := side.ids[coll]
						if !ok {
							t.Errorf("%s: no id of the other account for %q", key, coll)
							continue
						}
						path = strings.ReplaceAll(path, "{id}", fmt.Sprint(id))
						// A delivery of the source's own account, if any: the
						// source's id already belongs to the other account.
						path = strings.ReplaceAll(path, "{deliveryId}", "1")
					}
					r := a.Call(t, method, path, side.vars(body), "Authorization", "Bearer "+side.token)
					switch {
					case strings.Contains(rt.Path, "{id}"):
						if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
							t.Errorf("%s %s: %d, want 404: %s", method, path, r.Status, r.Body)
						}
					case rt.Path == "/api/v1/openapi.json":
					case rt.Path == "/api/v1/leads/export":
						if r.Status != 200 {
							t.Errorf("%s: %d", key, r.Status)
						}
						for _, id := range side.peerLeadIDs {
							if bytes.Contains(r.Body, []byte("\n"+fmt.Sprint(id)+",")) {
								t.Errorf("%s exports the other account's lead %d:\n%s", key, id, r.Body)
							}
						}
					case method == "GET":
						if r.Status != 200 {
							t.Errorf("%s: %d", key, r.Status)
						}
						checkOwnRows(t, key, webtest.Decode(t, r.Body), side.account, side.peerLeadIDs)
					case method == "POST":
						if r.Status/100 == 2 {
							checkOwnRows(t, key, webtest.Decode(t, r.Body), side.account, side.peerLeadIDs)
						}
						if (rt.Path == "/api/v1/leads" || rt.Path == "/api/v1/sources") && r.Status != 422 {
							t.Errorf("%s with the other account's references: %d, want 422: %s", key, r.Status, r.Body)
						}
					}
				}
				if after := accountSnapshot(t, a.Store, side.peer); after != snapshot {
					t.Errorf("the other account changed:\nbefore %s\nafter  %s", snapshot, after)
				}
			})
		}
	})
}

// checkOwnRows fails when an answer holds a row of another account: every
// accountId must be the caller's and no listed lead may be one of peerLeads.
func checkOwnRows(t *testing.T, key string, v any, account int64, peerLeads []int64) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["accountId"]; ok && webtest.Num(t, id) != account {
				t.Errorf("%s: answer holds a row of account %v", key, id)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	if strings.HasPrefix(key, "GET /api/v1/leads") {
		for _, l := range webtest.ListOf(t, v.(map[string]any)) {
			for _, p := range peerLeads {
				if webtest.Num(t, l["id"]) == p {
					t.Errorf("%s: lists the other account's lead %d", key, p)
				}
			}
		}
	}
}

// accountSnapshot renders everything of an account the API could change.
func accountSnapshot(t *testing.T, s *store.Store, account int64) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	leads := webtest.Must[[]lead.Lead](t)(s.ListLeads(ctx, account, store.LeadFilter{Limit: 500}))
	for _, l := range leads {
		fmt.Fprintf(&b, "lead %d %v %v %v %v %d;", l.ID, l.Name, l.ClientID, l.NotAnswer, l.UserIDUpdate, l.DtUpdate)
		for _, n := range webtest.Must[[]lead.Note](t)(s.ListNotes(ctx, account, l.ID)) {
			fmt.Fprintf(&b, "note %d %s %v;", n.ID, n.Text, n.Updated)
		}
	}
	for _, tk := range webtest.Must[[]store.TaskItem](t)(s.ListTasks(ctx, account, store.TaskFilter{})) {
		fmt.Fprintf(&b, "task %d %s %d %v %v %d;", tk.ID, tk.Text, tk.Due, tk.AssigneeID, tk.Done, tk.Updated)
	}
	for _, src := range webtest.Must[[]store.SourceStats](t)(s.ListSources(ctx, account)) {
		fmt.Fprintf(&b, "source %d %s %v %s;", src.ID, src.Name, src.Enabled, src.Token)
	}
	for _, u := range webtest.Must[[]lead.User](t)(s.ListUsers(ctx, account)) {
		fmt.Fprintf(&b, "user %d %s %v %s;", u.ID, u.Name, u.Active, u.PasswordHash)
	}
	for _, k := range []store.RefKind{store.Offices, store.Cities} {
		for _, r := range webtest.Must[[]lead.Ref](t)(s.ListRefs(ctx, k, account)) {
			fmt.Fprintf(&b, "%s %d %s;", k, r.ID, r.Name)
		}
	}
	for _, st := range webtest.Must[[]lead.Stage](t)(s.ListStages(ctx, account)) {
		fmt.Fprintf(&b, "stage %d %s %d;", st.ID, st.Name, st.Position)
	}
	for _, c := range webtest.Must[[]lead.Client](t)(s.ListClients(ctx, account, "", 0, 500)) {
		fmt.Fprintf(&b, "client %d %s;", c.ID, c.Name)
	}
	return b.String()
}
