package ui_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

func TestUILeadWork(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		first := webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Анна", "phone": "+7 (999) 888-88-88", "utmCampaign": "spring", "colour": "red"}`))
		src2 := webtest.Must[lead.Source](t)(e.Store.CreateSource(context.Background(), lead.Source{AccountID: e.Acct.ID, Name: "Квиз", Type: lead.SourceWebhook}))
		second := webtest.WantCreated(t, e.Post(t, src2, `{"name": "Анна снова", "phone": "89998888888"}`))
		b := webtest.Login(t, e, "manager@example.com")

		t.Run("Inbox", func(t *testing.T) {
			r := b.Get("/")
			webtest.WantBody(t, r, "Анна снова", "&#43;7 999 888-88-88", "spring", `href="/leads/`+string(first["id"])+`"`, "Дубль +1")
			r = b.Get("/?q=" + url.QueryEscape("8 (999) 888-88-88") + "&source=" + webtest.ID(e.Src.ID))
			webtest.WantBody(t, r, `data-id="`+string(first["id"])+`"`)
			if strings.Contains(string(r.Body), `data-id="`+string(second["id"])+`"`) {
				t.Fatal("the source filter let another source's lead through")
			}
			webtest.WantBody(t, b.Get("/?dup=1"), `data-id="`+string(second["id"])+`"`)
			webtest.WantStatus(t, b.Get("/?source=abc"), http.StatusUnprocessableEntity, "bad filter")
			webtest.WantStatus(t, b.Get("/?from=yesterday"), http.StatusUnprocessableEntity, "bad date")
			r = b.Get("/inbox/new?after=" + string(first["id"]))
			webtest.WantBody(t, r, `data-id="`+string(second["id"])+`"`)
			if strings.Contains(string(r.Body), `data-id="`+string(first["id"])+`"`) {
				t.Fatal("new rows include an old lead")
			}
			webtest.WantStatus(t, b.Get("/inbox/new?after=x"), http.StatusUnprocessableEntity, "bad after")
		})
		t.Run("Paging", func(t *testing.T) {
			for i := 0; i < 55; i++ {
				e.Post(t, src2, `{"email": "p`+webtest.ID(int64(i))+`@example.com"}`)
			}
			r := b.Get("/")
			next := regexp.MustCompile(`href="(/\?&amp;before=\d+)"`).FindSubmatch(r.Body)
			if next == nil {
				t.Fatalf("no next page link")
			}
			r = b.Get(strings.ReplaceAll(string(next[1]), "&amp;", "&"))
			webtest.WantBody(t, r, `data-id="`+string(first["id"])+`"`, "К новым")
		})
		t.Run("Card", func(t *testing.T) {
			p := "/leads/" + string(first["id"])
			r := b.Get(p)
			webtest.WantBody(t, r, "colour", "red", "Другие лиды этого контакта", "Анна снова", "UTM Campaign", "Исходный запрос", `&#43;7 (999) 888-88-88`)
			for _, k := range webtest.LeadKeys {
				webtest.WantBody(t, r, `title="`+k+`"`)
			}
			webtest.WantStatus(t, b.Submit(p, url.Values{"funnelStageId": {webtest.ID(e.Stage.ID)}, "phone": {"8 999 888 88 88"}, "name": {"Анна"}}), http.StatusSeeOther, "edit")
			webtest.WantStatus(t, b.Submit(p+"/no-answer", nil), http.StatusSeeOther, "no answer")
			r = b.Get(p)
			webtest.WantBody(t, r, "Отмечено: не дозвонились.", "Этап воронки", "Новый", "отметка «недозвон»", "Manager")
			r = b.Submit(p, url.Values{"email": {"not an email"}})
			webtest.WantStatus(t, r, http.StatusSeeOther, "bad email")
			webtest.WantBody(t, b.Get(p), "Email")
			r = b.Submit(p, url.Values{"phone": {""}, "email": {""}})
			webtest.WantStatus(t, r, http.StatusSeeOther, "no contacts")
			webtest.WantBody(t, b.Get(p), "Поле Телефон обязательно для заполнения.")
			webtest.WantStatus(t, b.Submit(p+"/client", url.Values{"action": {"create"}}), http.StatusSeeOther, "client from lead")
			l, _ := e.Store.GetLead(context.Background(), e.Acct.ID, webtest.IntOf(t, "id", first["id"]))
			if l.ClientID == nil || l.NotAnswer == nil || !*l.NotAnswer || l.DtNotAnswer == nil || l.UserIDUpdate == nil || *l.UserIDUpdate != e.Manager.ID {
				t.Fatalf("lead after the edits: client %v notAnswer %v dtNotAnswer %v userIdUpdate %v", l.ClientID, l.NotAnswer, l.DtNotAnswer, l.UserIDUpdate)
			}
			q := "/leads/" + string(second["id"]) + "/client"
			webtest.WantStatus(t, b.Submit(q, url.Values{"client": {webtest.ID(*l.ClientID) + " — Анна"}}), http.StatusSeeOther, "link")
			webtest.WantStatus(t, b.Submit(q, url.Values{"client": {"999999"}}), http.StatusSeeOther, "unknown client")
			webtest.WantBody(t, b.Get("/leads/"+string(second["id"])), "ID Клиента")
		})
	})
}

func TestUISources(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		b := webtest.Login(t, e, "admin@example.com")
		r := b.Submit("/sources", url.Values{"name": {"Лендинг"}, "type": {"webhook"}, "stage": {webtest.ID(e.Stage.ID)}, "owner": {webtest.ID(e.Manager.ID)}})
		webtest.WantStatus(t, r, http.StatusSeeOther, "create")
		loc := r.Header.Get("Location")
		r = b.Get(loc)
		m := regexp.MustCompile(`value="(http[^"]+/hooks/([^"]+))"`).FindSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no webhook URL on %s", loc)
		}
		hook := string(m[1])
		webtest.WantBody(t, r, "curl -i -X POST &#39;"+hook, `&#34;phone&#34;: 79998888888`, `&#34;userIdOwner&#34;: `+webtest.ID(e.Admin.ID))
		res := e.Do(t, http.MethodPost, hook, []byte(`{"name": "test","phone": 79998888888,"email": "fff@mail.ru","userIdOwner": `+webtest.ID(e.Admin.ID)+`}`))
		data := webtest.WantCreated(t, res)
		if string(data["funnelStageId"]) != webtest.ID(e.Stage.ID) {
			t.Fatalf("source default stage not applied: %s", data["funnelStageId"])
		}
		e.Do(t, http.MethodPost, hook, []byte(`{"name": "no contacts"}`))
		r = b.Get(loc)
		webtest.WantBody(t, r, "422", "Поле Телефон обязательно для заполнения.", "no contacts", "201")
		webtest.WantBody(t, b.Get("/sources"), "Лендинг", "<td class=\"num\">1</td>")

		webtest.WantStatus(t, b.Submit(loc+"/rotate", nil), http.StatusSeeOther, "rotate")
		if r := e.Do(t, http.MethodPost, hook, []byte(`{"phone": "79990001122"}`)); r.Status != http.StatusNotFound {
			t.Fatalf("old URL after rotation: %d", r.Status)
		}
		m = regexp.MustCompile(`value="(http[^"]+/hooks/[^"]+)"`).FindSubmatch(b.Get(loc).Body)
		hook = string(m[1])
		webtest.WantCreated(t, e.Do(t, http.MethodPost, hook, []byte(`{"phone": "79990001122"}`)))
		webtest.WantStatus(t, b.Submit(loc+"/enabled", url.Values{"enabled": {"0"}}), http.StatusSeeOther, "disable")
		if r := e.Do(t, http.MethodPost, hook, []byte(`{"phone": "79990001122"}`)); r.Status != http.StatusGone {
			t.Fatalf("disabled source: %d", r.Status)
		}
		webtest.WantStatus(t, b.Submit(loc, url.Values{"name": {""}}), http.StatusSeeOther, "empty name")
		webtest.WantBody(t, b.Get(loc), "Поле Название обязательно")
		webtest.WantStatus(t, b.Submit(loc, url.Values{"name": {"Новое имя"}, "stage": {webtest.ID(e.Other.Stage.ID)}}), http.StatusSeeOther, "foreign default")
		webtest.WantStatus(t, b.Submit("/sources", url.Values{"name": {"Звонки"}, "type": {"bogus"}}), http.StatusSeeOther, "bad type")
		webtest.WantBody(t, b.Get("/sources"), "Тип источника")
	})
}

func TestUIReferenceData(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		b := webtest.Login(t, e, "admin@example.com")
		for _, kind := range []string{"offices", "cities"} {
			webtest.WantStatus(t, b.Submit("/settings/"+kind, url.Values{"name": {"Казань " + kind}}), http.StatusSeeOther, kind)
			webtest.WantBody(t, b.Get("/settings/"+kind), "Казань "+kind)
			webtest.WantStatus(t, b.Submit("/settings/"+kind, url.Values{"name": {"  "}}), http.StatusSeeOther, "empty "+kind)
		}
		webtest.WantStatus(t, b.Submit("/settings/stages", url.Values{"name": {"Оплата"}, "color": {"#16a34a"}}), http.StatusSeeOther, "stage")
		stages, _ := e.Store.ListStages(context.Background(), e.Acct.ID)
		last := stages[len(stages)-1]
		webtest.WantStatus(t, b.Submit("/settings/stages/"+webtest.ID(last.ID)+"/move", url.Values{"position": {"1"}}), http.StatusSeeOther, "move")
		stages, _ = e.Store.ListStages(context.Background(), e.Acct.ID)
		if stages[0].ID != last.ID {
			t.Fatalf("stage not moved first: %+v", stages)
		}
		webtest.WantStatus(t, b.Submit("/settings/stages/"+webtest.ID(last.ID)+"/move", url.Values{"position": {"x"}}), http.StatusSeeOther, "bad position")
		webtest.WantStatus(t, b.Submit("/settings/stages/"+webtest.ID(last.ID)+"/delete", nil), http.StatusSeeOther, "delete stage")
		r := b.Submit("/settings/users", url.Values{"name": {"Ольга"}, "email": {"olga@example.com"}, "role": {"manager"}})
		webtest.WantStatus(t, r, http.StatusSeeOther, "user")
		r = b.Get("/settings/users")
		pw := regexp.MustCompile(`olga@example.com / (\S+)<`).FindSubmatch(r.Body)
		if pw == nil {
			t.Fatalf("the new user's password is not shown once:\n%.2000s", r.Body)
		}
		o := webtest.NewBrowser(t, e)
		webtest.WantStatus(t, o.Post("/login", url.Values{"email": {"olga@example.com"}, "password": {string(pw[1])}}), http.StatusSeeOther, "new user logs in")
		webtest.WantStatus(t, b.Submit("/settings/users", url.Values{"name": {"Дубль"}, "email": {"olga@example.com"}, "role": {"manager"}}), http.StatusSeeOther, "duplicate email")
		webtest.WantStatus(t, b.Submit("/settings/users/"+webtest.ID(e.Admin.ID), url.Values{"name": {"Admin"}, "role": {"manager"}, "active": {"1"}}), http.StatusSeeOther, "self-demotion")
		if u, _ := e.Store.GetUser(context.Background(), e.Acct.ID, e.Admin.ID); u.Role != "admin" {
			t.Fatal("the admin demoted themself")
		}
		m := webtest.Login(t, e, "manager@example.com")
		webtest.WantStatus(t, b.Submit("/settings/users/"+webtest.ID(e.Manager.ID), url.Values{"name": {"Manager"}, "role": {"manager"}}), http.StatusSeeOther, "deactivate")
		webtest.WantStatus(t, m.Get("/"), http.StatusSeeOther, "a deactivated user's session")
	})
}

func TestUILanguageAndPages(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Анна", "phone": "79998888888", "utmCampaign": "spring"}`))
		b := webtest.Login(t, e, "admin@example.com")
		for _, p := range []string{"/", "/dashboard", "/sources", "/settings/users", "/settings/offices", "/settings/cities", "/settings/stages", "/password", "/leads/1", "/sources/" + webtest.ID(e.Src.ID)} {
			r := b.Get(p)
			webtest.WantStatus(t, r, http.StatusOK, p)
			if strings.Contains(string(r.Body), "ZgotmplZ") {
				t.Fatalf("%s renders an unsafe value", p)
			}
		}
		webtest.WantBody(t, b.Get("/dashboard"), `id="chart-days"`, "<rect", "spring", "Сайт")
		webtest.WantStatus(t, b.Submit("/lang", url.Values{"lang": {"en"}, "back": {"/dashboard"}}), http.StatusSeeOther, "lang")
		webtest.WantBody(t, b.Get("/dashboard"), "Leads per day by source", `lang="en"`)
		// Validation messages follow the user's language too.
		webtest.WantStatus(t, b.Submit("/leads/1", url.Values{"phone": {""}, "email": {""}}), http.StatusSeeOther, "no contacts, in English")
		webtest.WantBody(t, b.Get("/leads/1"), "The Phone field is required.")
		webtest.WantStatus(t, b.Submit("/lang", url.Values{"lang": {"fr"}}), http.StatusUnprocessableEntity, "unknown lang")
		r := b.Get("/static/app.css")
		webtest.WantStatus(t, r, http.StatusOK, "css")
		if r.Header.Get("Content-Type") != "text/css; charset=utf-8" {
			t.Fatalf("css type %q", r.Header.Get("Content-Type"))
		}
		webtest.WantStatus(t, b.Get("/static/nope.js"), http.StatusNotFound, "unknown asset")
		// Browsers ask for /favicon.ico whatever the page says; both answer.
		icon := b.Get("/favicon.ico")
		webtest.WantStatus(t, icon, http.StatusOK, "favicon.ico")
		if ct := icon.Header.Get("Content-Type"); ct != "image/svg+xml" || !bytes.HasPrefix(icon.Body, []byte("<svg")) {
			t.Fatalf("favicon.ico: %q %.20s", ct, icon.Body)
		}
		webtest.WantBody(t, b.Get("/dashboard"), `<link rel="icon" href="/static/favicon.svg?v=`)
	})
}

func TestUIEvents(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		b := webtest.Login(t, e, "admin@example.com")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.Srv.URL+"/events", nil)
		res, err := b.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("events content type %q", res.Header.Get("Content-Type"))
		}
		rd := bufio.NewReader(res.Body)
		rd.ReadString('\n')                                                        // the stream is open once its first bytes arrive
		time.Sleep(300 * time.Millisecond)                                         // PostgreSQL: let LISTEN start
		webtest.WantCreated(t, e.Post(t, e.Other.Src, `{"phone": "79990000009"}`)) // another account's: not shown
		l := webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990000010"}`))
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended before the lead: %v", err)
			}
			if strings.HasPrefix(line, "data: ") {
				if got := strings.TrimSpace(line[6:]); got != string(l["id"]) {
					t.Fatalf("event for lead %s, want %s", got, l["id"])
				}
				return
			}
		}
	})
}
