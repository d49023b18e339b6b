package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
)

func TestUILeadWork(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		setPasswords(t, e)
		first := wantCreated(t, e.post(t, e.src, `{"name": "Анна", "phone": "+7 (999) 888-88-88", "utmCampaign": "spring", "colour": "red"}`))
		src2 := must[lead.Source](t)(e.s.CreateSource(context.Background(), lead.Source{AccountID: e.acct.ID, Name: "Квиз", Type: lead.SourceWebhook}))
		second := wantCreated(t, e.post(t, src2, `{"name": "Анна снова", "phone": "89998888888"}`))
		b := login(t, e, "manager@example.com")

		t.Run("Inbox", func(t *testing.T) {
			r := b.get("/")
			wantBody(t, r, "Анна снова", "&#43;7 999 888-88-88", "spring", `href="/leads/`+string(first["id"])+`"`, "Дубль +1")
			r = b.get("/?q=" + url.QueryEscape("8 (999) 888-88-88") + "&source=" + id(e.src.ID))
			wantBody(t, r, `data-id="`+string(first["id"])+`"`)
			if strings.Contains(string(r.body), `data-id="`+string(second["id"])+`"`) {
				t.Fatal("the source filter let another source's lead through")
			}
			wantBody(t, b.get("/?dup=1"), `data-id="`+string(second["id"])+`"`)
			wantStatus(t, b.get("/?source=abc"), http.StatusUnprocessableEntity, "bad filter")
			wantStatus(t, b.get("/?from=yesterday"), http.StatusUnprocessableEntity, "bad date")
			r = b.get("/inbox/new?after=" + string(first["id"]))
			wantBody(t, r, `data-id="`+string(second["id"])+`"`)
			if strings.Contains(string(r.body), `data-id="`+string(first["id"])+`"`) {
				t.Fatal("new rows include an old lead")
			}
			wantStatus(t, b.get("/inbox/new?after=x"), http.StatusUnprocessableEntity, "bad after")
		})
		t.Run("Paging", func(t *testing.T) {
			for i := 0; i < 55; i++ {
				e.post(t, src2, `{"email": "p`+id(int64(i))+`@example.com"}`)
			}
			r := b.get("/")
			next := regexp.MustCompile(`href="(/\?&amp;before=\d+)"`).FindSubmatch(r.body)
			if next == nil {
				t.Fatalf("no next page link")
			}
			r = b.get(strings.ReplaceAll(string(next[1]), "&amp;", "&"))
			wantBody(t, r, `data-id="`+string(first["id"])+`"`, "К новым")
		})
		t.Run("Card", func(t *testing.T) {
			p := "/leads/" + string(first["id"])
			r := b.get(p)
			wantBody(t, r, "colour", "red", "Другие лиды этого контакта", "Анна снова", "UTM Campaign", "Исходный запрос", `&#43;7 (999) 888-88-88`)
			for _, k := range leadKeys {
				wantBody(t, r, `title="`+k+`"`)
			}
			wantStatus(t, b.submit(p, url.Values{"funnelStageId": {id(e.stage.ID)}, "phone": {"8 999 888 88 88"}, "name": {"Анна"}}), http.StatusSeeOther, "edit")
			wantStatus(t, b.submit(p+"/no-answer", nil), http.StatusSeeOther, "no answer")
			r = b.get(p)
			wantBody(t, r, "Отмечено: не дозвонились.", "Этап воронки", "Новый", "отметил недозвон", "Manager")
			r = b.submit(p, url.Values{"email": {"not an email"}})
			wantStatus(t, r, http.StatusSeeOther, "bad email")
			wantBody(t, b.get(p), "Email")
			r = b.submit(p, url.Values{"phone": {""}, "email": {""}})
			wantStatus(t, r, http.StatusSeeOther, "no contacts")
			wantBody(t, b.get(p), "Поле Телефон обязательно для заполнения.")
			wantStatus(t, b.submit(p+"/client", url.Values{"action": {"create"}}), http.StatusSeeOther, "client from lead")
			l, _ := e.s.GetLead(context.Background(), e.acct.ID, intOf(t, "id", first["id"]))
			if l.ClientID == nil || l.NotAnswer == nil || !*l.NotAnswer || l.DtNotAnswer == nil || l.UserIDUpdate == nil || *l.UserIDUpdate != e.manager.ID {
				t.Fatalf("lead after the edits: client %v notAnswer %v dtNotAnswer %v userIdUpdate %v", l.ClientID, l.NotAnswer, l.DtNotAnswer, l.UserIDUpdate)
			}
			q := "/leads/" + string(second["id"]) + "/client"
			wantStatus(t, b.submit(q, url.Values{"client": {id(*l.ClientID) + " — Анна"}}), http.StatusSeeOther, "link")
			wantStatus(t, b.submit(q, url.Values{"client": {"999999"}}), http.StatusSeeOther, "unknown client")
			wantBody(t, b.get("/leads/"+string(second["id"])), "ID Клиента")
		})
	})
}

func TestUISources(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		setPasswords(t, e)
		b := login(t, e, "admin@example.com")
		r := b.submit("/sources", url.Values{"name": {"Лендинг"}, "type": {"webhook"}, "stage": {id(e.stage.ID)}, "owner": {id(e.manager.ID)}})
		wantStatus(t, r, http.StatusSeeOther, "create")
		loc := r.header.Get("Location")
		r = b.get(loc)
		m := regexp.MustCompile(`value="(http[^"]+/hooks/([^"]+))"`).FindSubmatch(r.body)
		if m == nil {
			t.Fatalf("no webhook URL on %s", loc)
		}
		hook := string(m[1])
		wantBody(t, r, "curl -i -X POST &#39;"+hook, `&#34;phone&#34;: 79998888888`, `&#34;userIdOwner&#34;: `+id(e.admin.ID))
		res := e.do(t, http.MethodPost, hook, []byte(`{"name": "test","phone": 79998888888,"email": "fff@mail.ru","userIdOwner": `+id(e.admin.ID)+`}`))
		data := wantCreated(t, res)
		if string(data["funnelStageId"]) != id(e.stage.ID) {
			t.Fatalf("source default stage not applied: %s", data["funnelStageId"])
		}
		e.do(t, http.MethodPost, hook, []byte(`{"name": "no contacts"}`))
		r = b.get(loc)
		wantBody(t, r, "422", "Поле Телефон обязательно для заполнения.", "no contacts", "201")
		wantBody(t, b.get("/sources"), "Лендинг", "<td class=\"num\">1</td>")

		wantStatus(t, b.submit(loc+"/rotate", nil), http.StatusSeeOther, "rotate")
		if r := e.do(t, http.MethodPost, hook, []byte(`{"phone": "79990001122"}`)); r.status != http.StatusNotFound {
			t.Fatalf("old URL after rotation: %d", r.status)
		}
		m = regexp.MustCompile(`value="(http[^"]+/hooks/[^"]+)"`).FindSubmatch(b.get(loc).body)
		hook = string(m[1])
		wantCreated(t, e.do(t, http.MethodPost, hook, []byte(`{"phone": "79990001122"}`)))
		wantStatus(t, b.submit(loc+"/enabled", url.Values{"enabled": {"0"}}), http.StatusSeeOther, "disable")
		if r := e.do(t, http.MethodPost, hook, []byte(`{"phone": "79990001122"}`)); r.status != http.StatusGone {
			t.Fatalf("disabled source: %d", r.status)
		}
		wantStatus(t, b.submit(loc, url.Values{"name": {""}}), http.StatusSeeOther, "empty name")
		wantBody(t, b.get(loc), "Поле Название обязательно")
		wantStatus(t, b.submit(loc, url.Values{"name": {"Новое имя"}, "stage": {id(e.other.stage.ID)}}), http.StatusSeeOther, "foreign default")
		wantStatus(t, b.submit("/sources", url.Values{"name": {"Звонки"}, "type": {"bogus"}}), http.StatusSeeOther, "bad type")
		wantBody(t, b.get("/sources"), "Тип источника")
	})
}

func TestUIReferenceData(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		setPasswords(t, e)
		b := login(t, e, "admin@example.com")
		for _, kind := range []string{"offices", "cities"} {
			wantStatus(t, b.submit("/settings/"+kind, url.Values{"name": {"Казань " + kind}}), http.StatusSeeOther, kind)
			wantBody(t, b.get("/settings/"+kind), "Казань "+kind)
			wantStatus(t, b.submit("/settings/"+kind, url.Values{"name": {"  "}}), http.StatusSeeOther, "empty "+kind)
		}
		wantStatus(t, b.submit("/settings/stages", url.Values{"name": {"Оплата"}, "color": {"#16a34a"}}), http.StatusSeeOther, "stage")
		stages, _ := e.s.ListStages(context.Background(), e.acct.ID)
		last := stages[len(stages)-1]
		wantStatus(t, b.submit("/settings/stages/"+id(last.ID)+"/move", url.Values{"position": {"1"}}), http.StatusSeeOther, "move")
		stages, _ = e.s.ListStages(context.Background(), e.acct.ID)
		if stages[0].ID != last.ID {
			t.Fatalf("stage not moved first: %+v", stages)
		}
		wantStatus(t, b.submit("/settings/stages/"+id(last.ID)+"/move", url.Values{"position": {"x"}}), http.StatusSeeOther, "bad position")
		wantStatus(t, b.submit("/settings/stages/"+id(last.ID)+"/delete", nil), http.StatusSeeOther, "delete stage")
		r := b.submit("/settings/users", url.Values{"name": {"Ольга"}, "email": {"olga@example.com"}, "role": {"manager"}})
		wantStatus(t, r, http.StatusSeeOther, "user")
		r = b.get("/settings/users")
		pw := regexp.MustCompile(`olga@example.com / (\S+)<`).FindSubmatch(r.body)
		if pw == nil {
			t.Fatalf("the new user's password is not shown once:\n%.2000s", r.body)
		}
		o := newBrowser(t, e)
		wantStatus(t, o.post("/login", url.Values{"email": {"olga@example.com"}, "password": {string(pw[1])}}), http.StatusSeeOther, "new user logs in")
		wantStatus(t, b.submit("/settings/users", url.Values{"name": {"Дубль"}, "email": {"olga@example.com"}, "role": {"manager"}}), http.StatusSeeOther, "duplicate email")
		wantStatus(t, b.submit("/settings/users/"+id(e.admin.ID), url.Values{"name": {"Admin"}, "role": {"manager"}, "active": {"1"}}), http.StatusSeeOther, "self-demotion")
		if u, _ := e.s.GetUser(context.Background(), e.acct.ID, e.admin.ID); u.Role != "admin" {
			t.Fatal("the admin demoted themself")
		}
		m := login(t, e, "manager@example.com")
		wantStatus(t, b.submit("/settings/users/"+id(e.manager.ID), url.Values{"name": {"Manager"}, "role": {"manager"}}), http.StatusSeeOther, "deactivate")
		wantStatus(t, m.get("/"), http.StatusSeeOther, "a deactivated user's session")
	})
}

func TestUILanguageAndPages(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		setPasswords(t, e)
		wantCreated(t, e.post(t, e.src, `{"name": "Анна", "phone": "79998888888", "utmCampaign": "spring"}`))
		b := login(t, e, "admin@example.com")
		for _, p := range []string{"/", "/dashboard", "/sources", "/settings/users", "/settings/offices", "/settings/cities", "/settings/stages", "/password", "/leads/1", "/sources/" + id(e.src.ID)} {
			r := b.get(p)
			wantStatus(t, r, http.StatusOK, p)
			if strings.Contains(string(r.body), "ZgotmplZ") {
				t.Fatalf("%s renders an unsafe value", p)
			}
		}
		wantBody(t, b.get("/dashboard"), `id="chart-days"`, "<rect", "spring", "Сайт")
		wantStatus(t, b.submit("/lang", url.Values{"lang": {"en"}, "back": {"/dashboard"}}), http.StatusSeeOther, "lang")
		wantBody(t, b.get("/dashboard"), "Leads per day by source", `lang="en"`)
		// Validation messages follow the user's language too.
		wantStatus(t, b.submit("/leads/1", url.Values{"phone": {""}, "email": {""}}), http.StatusSeeOther, "no contacts, in English")
		wantBody(t, b.get("/leads/1"), "The Phone field is required.")
		wantStatus(t, b.submit("/lang", url.Values{"lang": {"fr"}}), http.StatusUnprocessableEntity, "unknown lang")
		r := b.get("/static/app.css")
		wantStatus(t, r, http.StatusOK, "css")
		if r.header.Get("Content-Type") != "text/css; charset=utf-8" {
			t.Fatalf("css type %q", r.header.Get("Content-Type"))
		}
		wantStatus(t, b.get("/static/nope.js"), http.StatusNotFound, "unknown asset")
	})
}

func TestUIEvents(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		setPasswords(t, e)
		b := login(t, e, "admin@example.com")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/events", nil)
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("events content type %q", res.Header.Get("Content-Type"))
		}
		rd := bufio.NewReader(res.Body)
		rd.ReadString('\n')                                                // the stream is open once its first bytes arrive
		time.Sleep(300 * time.Millisecond)                                 // PostgreSQL: let LISTEN start
		wantCreated(t, e.post(t, e.other.src, `{"phone": "79990000009"}`)) // another account's: not shown
		l := wantCreated(t, e.post(t, e.src, `{"phone": "79990000010"}`))
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
