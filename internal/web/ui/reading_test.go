package ui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestUISourceReading: an admin sets how a source reads requests on its
// page; a bad alias line is refused with its reason and saves nothing; a
// manager sees the settings but cannot change them; the page offers an HTML
// form that posts to the source.
func TestUISourceReading(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		ctx := context.Background()
		admin := webtest.Login(t, e, "admin@example.com")
		page := "/sources/" + webtest.ID(e.Src.ID)
		good := url.Values{"preset": {"form"}, "aliases": {"Телефон клиента = phone\r\n\r\nCOMMENTS =  \r\nutm = utmSource"},
			"allowGet": {"1"}, "corsOrigins": {"https://shop.example\r\nhttp://127.0.0.1:8080/"},
			"redirectUrl": {"https://shop.example/spasibo?a=1&b=2"}, "honeypot": {"website"}, "ratePerMinute": {"30"}}

		t.Run("Save", func(t *testing.T) {
			r := admin.Submit(page+"/reading", good)
			webtest.WantStatus(t, r, http.StatusSeeOther, "save")
			src := webtest.Must[lead.Source](t)(e.Store.GetSource(ctx, e.Acct.ID, e.Src.ID))
			want := lead.Reading{Preset: "form", Aliases: map[string]string{"Телефон клиента": "phone", "COMMENTS": "", "utm": "utmSource"},
				AllowGet: true, CORSOrigins: []string{"https://shop.example", "http://127.0.0.1:8080"},
				RedirectURL: "https://shop.example/spasibo?a=1&b=2", Honeypot: "website", RatePerMinute: 30}
			if !reflect.DeepEqual(src.Reading, want) {
				t.Fatalf("saved %+v\nwant  %+v", src.Reading, want)
			}
			r = admin.Get(page)
			webtest.WantBody(t, r, "Настройки приёма заявок сохранены.", `<option value="form" selected>HTML-форма</option>`,
				"COMMENTS = \nutm = utmSource\nТелефон клиента = phone\n", "https://shop.example\nhttp://127.0.0.1:8080</textarea>",
				`value="https://shop.example/spasibo?a=1&amp;b=2"`, `name="allowGet" value="1" checked`, `value="30"`)
		})

		t.Run("Snippet", func(t *testing.T) {
			r := admin.Get(page)
			m := regexp.MustCompile(`(?s)<pre class="code" id="snippet">(.*?)</pre>`).FindSubmatch(r.Body)
			if m == nil {
				t.Fatalf("no form snippet on the page:\n%.3000s", r.Body)
			}
			snippet := html.UnescapeString(string(m[1]))
			for _, want := range []string{`<form method="post" action="` + e.Hook(e.Src) + `" accept-charset="utf-8">`,
				`name="name"`, `<input type="tel" name="phone" required`, `type="email" name="email"`, `<textarea name="comment"`,
				`<input name="website" tabindex="-1" autocomplete="off"`, `<button type="submit">Отправить</button>`} {
				if !strings.Contains(snippet, want) {
					t.Fatalf("snippet lacks %q:\n%s", want, snippet)
				}
			}
			// The form as a browser would send it makes a lead.
			body := url.Values{"name": {"Ирина"}, "phone": {"8 999 123-45-67"}, "email": {""}, "comment": {"перезвоните"}, "website": {""}}
			res := e.Do(t, http.MethodPost, e.Hook(e.Src), []byte(body.Encode()), "Content-Type", "application/x-www-form-urlencoded")
			l := webtest.WantCreated(t, res)
			if webtest.StrOf(t, "phone", l["phone"]) != "79991234567" {
				t.Fatalf("lead from the snippet: %s", res.Body)
			}
		})

		t.Run("BadAliasSavesNothing", func(t *testing.T) {
			before := webtest.Must[lead.Source](t)(e.Store.GetSource(ctx, e.Acct.ID, e.Src.ID)).Reading
			for _, c := range []struct{ aliases, message string }{
				{"Phone_1 = phone\nбез знака равенства", "Строка 2 псевдонимов «без знака равенства»: нужен вид «входящее имя = поле лида»."},
				{" = phone", "Строка 1 псевдонимов «= phone»"},
				{"tel = phone\ntel = email", "Строка 2 псевдонимов: имя «tel» уже встречалось выше."},
				{"tel = telephone", "Псевдоним &#34;tel&#34; указывает на неизвестное поле лида &#34;telephone&#34;."},
			} {
				bad := url.Values{}
				for k, v := range good {
					bad[k] = v
				}
				bad.Set("preset", "tilda")
				bad.Set("aliases", c.aliases)
				r := admin.Submit(page+"/reading", bad)
				webtest.WantStatus(t, r, http.StatusSeeOther, "bad aliases "+c.aliases)
				webtest.WantBody(t, admin.Get(page), `class="flash err"`, c.message)
				if after := webtest.Must[lead.Source](t)(e.Store.GetSource(ctx, e.Acct.ID, e.Src.ID)).Reading; !reflect.DeepEqual(after, before) {
					t.Fatalf("a refused form changed the settings: %+v", after)
				}
			}
			r := admin.Submit(page+"/reading", url.Values{"corsOrigins": {"shop.example/path"}, "ratePerMinute": {"many"}})
			webtest.WantStatus(t, r, http.StatusSeeOther, "bad origin and rate")
			webtest.WantBody(t, admin.Get(page), "Число запросов в минуту должно быть целым от 0 до 60000.")
		})

		t.Run("Manager", func(t *testing.T) {
			manager := webtest.Login(t, e, "manager@example.com")
			r := manager.Get(page)
			webtest.WantBody(t, r, `id="reading-view"`, "HTML-форма", "website", "https://shop.example/spasibo?a=1&amp;b=2")
			for _, no := range []string{`id="reading-form"`, `id="snippet"`, e.Src.Token} {
				if strings.Contains(string(r.Body), no) {
					t.Fatalf("a manager's source page shows %q", no)
				}
			}
			before := webtest.Must[lead.Source](t)(e.Store.GetSource(ctx, e.Acct.ID, e.Src.ID)).Reading
			webtest.WantStatus(t, manager.Submit(page+"/reading", url.Values{"preset": {"tilda"}}), http.StatusForbidden, "manager saves")
			webtest.WantStatus(t, manager.Submit(page+"/reprocess", nil), http.StatusForbidden, "manager re-processes")
			if after := webtest.Must[lead.Source](t)(e.Store.GetSource(ctx, e.Acct.ID, e.Src.ID)).Reading; !reflect.DeepEqual(after, before) {
				t.Fatal("a manager changed the settings")
			}
			webtest.WantStatus(t, manager.Submit("/lang", url.Values{"lang": {"en"}}), http.StatusSeeOther, "English")
			webtest.WantBody(t, manager.Get(page), "Reading requests", "Generic HTML form", "Honeypot field for bots")
		})
	})
}

// TestUIReprocess: requests rejected for a mapping the source lacked become
// leads from the delivery log once an admin adds the alias, one by one or
// all at once; what still fails stays, with its reason.
func TestUIReprocess(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		ctx := context.Background()
		admin := webtest.Login(t, e, "admin@example.com")
		page := "/sources/" + webtest.ID(e.Src.ID)
		form := func(body string) webtest.Response {
			return e.Do(t, http.MethodPost, e.Hook(e.Src), []byte(body), "Content-Type", "application/x-www-form-urlencoded")
		}
		for _, body := range []string{"Client_Tel=89990000101&Client_Name=%D0%90%D0%BD%D0%BD%D0%B0", "Client_Tel=89990000102", "Client_Tel=89990000103"} {
			webtest.WantStatus(t, form(body), http.StatusUnprocessableEntity, "no phone the source knows")
		}
		webtest.WantStatus(t, e.Post(t, e.Src, `{"name": "Только имя"}`), http.StatusUnprocessableEntity, "no contacts at all")
		q := webtest.Must[[]lead.Delivery](t)(e.Store.QuarantinedDeliveries(ctx, e.Acct.ID, e.Src.ID, 0, 10))
		if len(q) != 4 {
			t.Fatalf("%d quarantined requests, want 4", len(q))
		}
		first := q[0]

		noContacts := q[len(q)-1]
		retry := func(dl lead.Delivery) string {
			return `action="/sources/` + webtest.ID(e.Src.ID) + `/deliveries/` + webtest.ID(dl.ID) + `/reprocess"`
		}
		// Before the fix no request would make a lead: none is offered,
		// and the reasons read as sentences.
		r := admin.Get(page)
		webtest.WantBody(t, r, `<li>Поле Телефон обязательно для заполнения.</li>`)
		for _, not := range []string{`id="reprocess-all"`, retry(first), `\u`, `{&#34;errors&#34;`} {
			if strings.Contains(string(r.Body), not) {
				t.Fatalf("before the fix, the page has %s", not)
			}
		}
		// Asked anyway, the request still fails and stays.
		webtest.WantStatus(t, admin.Submit(page+"/deliveries/"+webtest.ID(first.ID)+"/reprocess", nil), http.StatusSeeOther, "too early")
		webtest.WantBody(t, admin.Get(page), `class="flash err"`, "Поле Телефон обязательно для заполнения.")

		aliases := url.Values{"preset": {"form"}, "aliases": {"Client_Tel = phone\nClient_Name = name"}}
		webtest.WantStatus(t, admin.Submit(page+"/reading", aliases), http.StatusSeeOther, "add the alias")
		r = admin.Get(page)
		webtest.WantBody(t, r, `id="reprocess-all"`, "Обработать все отклонённые", retry(first), "Обработать снова")
		if strings.Contains(string(r.Body), retry(noContacts)) {
			t.Fatal("a request without contacts is offered for re-processing")
		}

		webtest.WantStatus(t, admin.Submit(page+"/deliveries/"+webtest.ID(first.ID)+"/reprocess", nil), http.StatusSeeOther, "one")
		d := webtest.Must[lead.Delivery](t)(e.Store.GetDelivery(ctx, e.Acct.ID, e.Src.ID, first.ID))
		if d.LeadID == nil || d.Reprocessed == nil || d.Quarantined() {
			t.Fatalf("re-processed delivery: lead %v reprocessed %v", d.LeadID, d.Reprocessed)
		}
		l := webtest.Must[lead.Lead](t)(e.Store.GetLead(ctx, e.Acct.ID, *d.LeadID))
		if l.Phone == nil || *l.Phone != "79990000101" || l.Name == nil || *l.Name != "Анна" {
			t.Fatalf("lead from the request: phone %v name %v", l.Phone, l.Name)
		}
		r = admin.Get(page)
		webtest.WantBody(t, r, "Запрос #"+webtest.ID(first.ID)+" обработан: создан лид #"+webtest.ID(l.ID)+".", `href="/leads/`+webtest.ID(l.ID)+`"`,
			"обработан снова", "Поля после сопоставления", `&#34;phone&#34;: &#34;89990000101&#34;`)
		webtest.WantBody(t, admin.Get("/leads/"+webtest.ID(l.ID)), "Admin</b> — создание лида из отклонённого запроса #"+webtest.ID(first.ID)+" (ответ был 422)")

		// Again: it is a lead already.
		webtest.WantStatus(t, admin.Submit(page+"/deliveries/"+webtest.ID(first.ID)+"/reprocess", nil), http.StatusSeeOther, "twice")
		webtest.WantBody(t, admin.Get(page), `class="flash err"`, "Этот запрос уже стал лидом")

		n := e.CountLeads(t)
		webtest.WantStatus(t, admin.Submit(page+"/reprocess", nil), http.StatusSeeOther, "all")
		webtest.WantBody(t, admin.Get(page), "Создано лидов: 2, осталось с ошибками: 1.", "Поле Телефон обязательно для заполнения.")
		if got := e.CountLeads(t); got != n+2 {
			t.Fatalf("%d leads after re-processing all, want %d", got, n+2)
		}
		if q := webtest.Must[[]lead.Delivery](t)(e.Store.QuarantinedDeliveries(ctx, e.Acct.ID, e.Src.ID, 0, 10)); len(q) != 1 {
			t.Fatalf("%d requests left in quarantine, want the one without contacts", len(q))
		}

		// Another account's request through this account's source: not found.
		e.Post(t, e.Other.Src, `{"name": "Чужой"}`)
		theirs := webtest.Must[[]lead.Delivery](t)(e.Store.QuarantinedDeliveries(ctx, e.Other.Acct.ID, e.Other.Src.ID, 0, 1))[0]
		webtest.WantStatus(t, admin.Submit(page+"/deliveries/"+webtest.ID(theirs.ID)+"/reprocess", nil), http.StatusNotFound, "other account's delivery")
		webtest.WantStatus(t, admin.Submit(page+"/deliveries/abc/reprocess", nil), http.StatusNotFound, "bad id")
	})
}
