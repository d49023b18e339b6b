package ui_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// uiRoute is one route of ui.go.
type uiRoute struct{ method, pattern string }

var routeCall = regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`)

// uiRouteTable reads the UI's route table from its source, so a route added
// there is walked here without anyone remembering to.
func uiRouteTable(t *testing.T) []uiRoute {
	t.Helper()
	src, err := os.ReadFile("ui.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []uiRoute
	for _, m := range routeCall.FindAllStringSubmatch(string(src), -1) {
		if m[2] == "/static/{name}" {
			continue // embedded assets, the same for everyone
		}
		out = append(out, uiRoute{m[1], m[2]})
	}
	if len(out) < 20 {
		t.Fatalf("found only %d routes in ui.go: %v", len(out), out)
	}
	return out
}

// ids are the rows one account's routes are filled with.
type ids struct {
	lead, src, user, office, city, stage, delivery, note, task, filter, upload, erasure int64
}

// inboxRows makes a user's saved filter and uploaded import file, for
// their routes.
func inboxRows(t *testing.T, s *store.Store, acct, user int64, name string) (filter, upload int64) {
	t.Helper()
	ctx := context.Background()
	f := webtest.Must[store.SavedFilter](t)(s.SaveFilter(ctx, acct, user, name+" filter", "dup=1"))
	upload = webtest.Must[int64](t)(s.SaveImportFile(ctx, acct, user, "zebra.csv", []byte("Имя,Телефон\n"+name+",79990004401\n")))
	return f.ID, upload
}

// fill turns a route pattern into paths with the given rows; {kind} walks
// both reference lists. A pattern it does not know fails the test, so a new
// kind of route cannot go unwalked.
func fill(t *testing.T, pattern string, x ids) []string {
	t.Helper()
	p := strings.TrimSuffix(pattern, "{$}")
	// The inbox's filters name rows too.
	filter := "source=" + webtest.ID(x.src) + "&stage=" + webtest.ID(x.stage) + "&owner=" + webtest.ID(x.user)
	switch p {
	case "/":
		return []string{"/", "/?" + filter, "/?q=zebra"} // any case finds a name; the box echoes "zebra"
	case "/inbox/new":
		return []string{"/inbox/new?after=0", "/inbox/new?after=0&" + filter}
	case "/kanban", "/inbox/count":
		return []string{p, p + "?" + filter, p + "?stage=none"}
	case "/inbox/export":
		return []string{p, p + "?format=xlsx&" + filter, p + "?format=csv&sep=semicolon&q=zebra"}
	}
	if !strings.Contains(p, "{") {
		return []string{p}
	}
	switch {
	case strings.HasPrefix(p, "/leads/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.lead), 1)}
	case strings.HasPrefix(p, "/notes/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.note), 1)}
	case strings.HasPrefix(p, "/tasks/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.task), 1)}
	case strings.HasPrefix(p, "/sources/{id}"):
		return []string{strings.NewReplacer("{id}", webtest.ID(x.src), "{deliveryId}", webtest.ID(x.delivery)).Replace(p)}
	case strings.HasPrefix(p, "/inbox/filters/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.filter), 1)}
	case strings.HasPrefix(p, "/import/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.upload), 1)}
	case strings.HasPrefix(p, "/settings/erasure/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.erasure), 1)}
	case strings.HasPrefix(p, "/settings/users/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.user), 1)}
	case strings.HasPrefix(p, "/settings/stages/{id}"):
		return []string{strings.Replace(p, "{id}", webtest.ID(x.stage), 1)}
	case p == "/settings/{kind}":
		return []string{"/settings/offices", "/settings/cities"}
	case strings.HasPrefix(p, "/settings/{kind}/{id}"):
		return []string{
			strings.NewReplacer("{kind}", "offices", "{id}", webtest.ID(x.office)).Replace(p),
			strings.NewReplacer("{kind}", "cities", "{id}", webtest.ID(x.city)).Replace(p),
		}
	}
	t.Fatalf("route %s: the walker does not know what to fill in; teach fill()", pattern)
	return nil
}

// hostileForm is posted to every state-changing route: every field any form
// reads, with the other account's rows where a form takes a reference.
func hostileForm(o ids) url.Values {
	return url.Values{"name": {"Hijacked"}, "email": {"hijack@example.com"}, "role": {"admin"}, "active": {"1"},
		"enabled": {"0"}, "position": {"1"}, "dir": {"up"}, "action": {"create"}, "color": {"#000000"},
		"funnelStageId": {webtest.ID(o.stage)}, "userIdOwner": {webtest.ID(o.user)}, "locationUnitId": {webtest.ID(o.office)},
		"locationCityId": {webtest.ID(o.city)}, "clientId": {"1"}, "phone": {"79990004455"}, "lang": {"en"},
		"type": {"webhook"}, "current": {"wrong wrong"}, "new": {"new password 1"},
		"preset": {"form"}, "aliases": {"tel = phone"}, "corsOrigins": {"*"}, "redirectUrl": {"https://evil.example/"},
		"honeypot": {"website"}, "allowGet": {"1"}, "ratePerMinute": {"1"},
		"text": {"Hijacked"}, "due": {"2030-01-01T10:00"}, "assignee": {webtest.ID(o.user)}, "sourceId": {webtest.ID(o.src)}}
}

// snapshot is everything an account holds, as JSON, to see that nothing
// changed.
func snapshot(t *testing.T, s *store.Store, acct int64) string {
	t.Helper()
	ctx := context.Background()
	var all []any
	add := func(v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, v)
	}
	add(s.ListLeads(ctx, acct, store.LeadFilter{Limit: store.MaxPage}))
	srcs, err := s.ListSourcesPlain(ctx, acct)
	add(srcs, err)
	for _, src := range srcs {
		add(s.ListDeliveries(ctx, acct, src.ID, 0, 1000))
	}
	add(s.ListUsers(ctx, acct))
	add(s.ListRefs(ctx, store.Offices, acct))
	add(s.ListRefs(ctx, store.Cities, acct))
	add(s.ListStages(ctx, acct))
	add(s.ListClients(ctx, acct, "", 0, 1000))
	add(s.ListTasks(ctx, acct, store.TaskFilter{}))
	add(s.ListErasures(ctx, acct, 0, store.MaxPage))
	leads, err := s.ListLeads(ctx, acct, store.LeadFilter{Limit: store.MaxPage})
	add(leads, err)
	for _, l := range leads {
		add(s.ListNotes(ctx, acct, l.ID))
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUIRouteWalk walks every route of the UI's route table as a signed-in
// admin of one account, filled with the other account's rows: no page shows
// the other account's data, every change is refused (404 or 403) and the
// other account is unchanged; GETs change nothing; every state-changing
// route refuses a request without the CSRF token or from another origin.
func TestUIRouteWalk(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		ctx := context.Background()
		webtest.WantCreated(t, e.Post(t, e.Other.Src, `{"name": "Чужой клиент Zebra", "phone": "79990004401", "email": "zebra@rival.example"}`))
		webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Свой", "phone": "79990004402"}`))
		// A rejected request on each side, which an admin could re-process.
		e.Post(t, e.Other.Src, `{"name": "Zebra без контактов"}`)
		e.Post(t, e.Src, `{"name": "Свой без контактов"}`)
		rejected := func(acct, src int64) int64 {
			t.Helper()
			q := webtest.Must[[]lead.Delivery](t)(e.Store.QuarantinedDeliveries(ctx, acct, src, 0, 1))
			if len(q) != 1 {
				t.Fatalf("no quarantined request of source %d", src)
			}
			return q[0].ID
		}
		otherLead := webtest.Must[[]lead.Lead](t)(e.Store.ListLeads(ctx, e.Other.Acct.ID, store.LeadFilter{}))[0]
		myLead := webtest.Must[[]lead.Lead](t)(e.Store.ListLeads(ctx, e.Acct.ID, store.LeadFilter{}))[0]
		webtest.Must[lead.Client](t)(e.Store.CreateClient(ctx, lead.Client{AccountID: e.Other.Acct.ID, Name: "Rival client Yak"}))
		// A note and a task on each side.
		work := func(acct, leadID, user int64, text string) (note, task int64) {
			t.Helper()
			n := webtest.Must[lead.Note](t)(e.Store.AddNote(ctx, acct, leadID, &user, text+" заметка"))
			tk := webtest.Must[lead.Task](t)(e.Store.AddTask(ctx, store.NewTask{AccountID: acct, LeadID: leadID, UserID: &user,
				Text: text + " задача", Due: time.Now().Add(-time.Minute).Unix()}))
			return n.ID, tk.ID
		}
		oNote, oTask := work(e.Other.Acct.ID, otherLead.ID, e.Other.User.ID, "Zebra")
		myNote, myTask := work(e.Acct.ID, myLead.ID, e.Admin.ID, "Своя")
		oFilter, oUpload := inboxRows(t, e.Store, e.Other.Acct.ID, e.Other.User.ID, "Zebra")
		myFilter, myUpload := inboxRows(t, e.Store, e.Acct.ID, e.Admin.ID, "Мой")
		erasure := func(acct int64, reason string) int64 {
			t.Helper()
			return webtest.Must[lead.Erasure](t)(e.Store.Erase(ctx, store.EraseRequest{AccountID: acct, Actor: "test",
				Phone: "79990009999", Reason: reason})).ID
		}
		o := ids{otherLead.ID, e.Other.Src.ID, e.Other.User.ID, e.Other.Office.ID, e.Other.City.ID, e.Other.Stage.ID,
			rejected(e.Other.Acct.ID, e.Other.Src.ID), oNote, oTask, oFilter, oUpload, erasure(e.Other.Acct.ID, "Zebra asked")}
		mine := ids{myLead.ID, e.Src.ID, e.Manager.ID, e.Office.ID, e.City.ID, e.Stage.ID, rejected(e.Acct.ID, e.Src.ID),
			myNote, myTask, myFilter, myUpload, erasure(e.Acct.ID, "Свой запрос")}
		// What the other account's rows look like on a page.
		secrets := []string{"Zebra", "zebra@rival.example", "000-44-01", "79990004401", e.Other.Src.Token, "Rival site",
			"boss@rival.example", "Rival admin", "Rival office", "Rival city", "Rival stage", "Rival client Yak"}
		routes := uiRouteTable(t)
		admin := webtest.Login(t, e, "admin@example.com")

		t.Run("OtherAccount", func(t *testing.T) {
			before := snapshot(t, e.Store, e.Other.Acct.ID)
			walked := 0
			for _, rt := range routes {
				if rt.pattern == "/logout" || rt.pattern == "/events" || rt.pattern == "/login" {
					continue // below: the session must live through the walk
				}
				for _, p := range fill(t, rt.pattern, o) {
					walked++
					var r webtest.Response
					if rt.method == http.MethodGet {
						r = admin.Get(p)
					} else {
						r = admin.Submit(p, hostileForm(o))
					}
					named := strings.Contains(rt.pattern, "{id}")
					switch {
					case r.Status >= 500:
						t.Errorf("%s %s: %d", rt.method, p, r.Status)
					case named && r.Status != 404 && r.Status != 403:
						t.Errorf("%s %s with the other account's row: %d, want 404 or 403", rt.method, p, r.Status)
					}
					for _, s := range secrets {
						if strings.Contains(string(r.Body), s) {
							t.Errorf("%s %s shows the other account's %q", rt.method, p, s)
						}
					}
				}
			}
			t.Logf("%d routes, %d paths walked", len(routes), walked)
			if after := snapshot(t, e.Store, e.Other.Acct.ID); after != before {
				t.Fatalf("the walk changed the other account:\nbefore %s\nafter  %s", before, after)
			}
		})

		t.Run("GetChangesNothing", func(t *testing.T) {
			before := snapshot(t, e.Store, e.Acct.ID)
			for _, rt := range routes {
				if rt.method != http.MethodGet || rt.pattern == "/events" {
					continue
				}
				for _, p := range fill(t, rt.pattern, mine) {
					if r := admin.Get(p); r.Status != 200 {
						t.Errorf("GET %s of the own account: %d", p, r.Status)
					}
				}
			}
			if after := snapshot(t, e.Store, e.Acct.ID); after != before {
				t.Fatalf("a GET changed the account:\nbefore %s\nafter  %s", before, after)
			}
		})

		t.Run("CSRF", func(t *testing.T) {
			before := snapshot(t, e.Store, e.Acct.ID)
			n := 0
			for _, rt := range routes {
				if rt.method == http.MethodGet {
					continue
				}
				for _, p := range fill(t, rt.pattern, mine) {
					n++
					form := hostileForm(mine)
					if rt.pattern != "/login" {
						webtest.WantStatus(t, admin.Post(p, form), http.StatusForbidden, rt.method+" "+p+" without the CSRF token")
						bad := hostileForm(mine)
						bad.Set("csrf", admin.CSRF+"x")
						webtest.WantStatus(t, admin.Post(p, bad), http.StatusForbidden, rt.method+" "+p+" with a wrong CSRF token")
					}
					form.Set("csrf", admin.CSRF)
					if rt.pattern == "/login" {
						form = url.Values{"email": {"admin@example.com"}, "password": {webtest.TestPassword}}
					}
					r := admin.Do(rt.method, p, form, "Sec-Fetch-Site", "cross-site")
					webtest.WantStatus(t, r, http.StatusForbidden, rt.method+" "+p+" cross-site")
					r = admin.Do(rt.method, p, form, "Origin", "https://evil.example")
					webtest.WantStatus(t, r, http.StatusForbidden, rt.method+" "+p+" from another origin")
				}
			}
			if n < 15 {
				t.Fatalf("only %d state-changing routes walked", n)
			}
			t.Logf("%d state-changing paths refused without, with a wrong token, cross-site and cross-origin", n)
			if after := snapshot(t, e.Store, e.Acct.ID); after != before {
				t.Fatalf("a refused request changed the account:\nbefore %s\nafter  %s", before, after)
			}
			webtest.WantStatus(t, admin.Get("/"), http.StatusOK, "still signed in")
		})

		t.Run("Events", func(t *testing.T) {
			// The live stream carries the own account's new leads only.
			req, _ := http.NewRequest(http.MethodGet, e.Srv.URL+"/events", nil)
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			res, err := admin.Client.Do(req.WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			webtest.WantStatus(t, webtest.Response{Status: res.StatusCode}, 200, "events")
			rd := bufio.NewReader(res.Body)
			readLine := func() string {
				line, err := rd.ReadString('\n')
				if err != nil {
					t.Fatalf("events: %v", err)
				}
				return strings.TrimSpace(line)
			}
			for readLine() != ": hello" {
			}
			theirs := webtest.IntOf(t, "id", webtest.WantCreated(t, e.Post(t, e.Other.Src, `{"phone": "79990004403"}`))["id"])
			ours := webtest.IntOf(t, "id", webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990004404"}`))["id"])
			for {
				line := readLine()
				if line == "data: "+webtest.ID(theirs) {
					t.Fatalf("the stream announced the other account's lead %d", theirs)
				}
				if line == "data: "+webtest.ID(ours) {
					break
				}
			}
		})

		t.Run("Logout", func(t *testing.T) {
			// Last: it ends the admin's sessions.
			rival := webtest.Login(t, e, "boss@rival.example")
			webtest.WantStatus(t, admin.Submit("/logout", nil), http.StatusSeeOther, "logout")
			webtest.WantStatus(t, rival.Get("/"), http.StatusOK, "the other account's session after this one's logout")
		})
	})
}
