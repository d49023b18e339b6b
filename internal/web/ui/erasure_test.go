package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestUIErasure: an admin erases a person whose leads came through the
// webhook — a preview that changes nothing, the confirmation, the act and
// its log extract — and the database holds none of the forms sent; a
// manager cannot reach the page; the retention is set in «Компания».
func TestUIErasure(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Ефим Удаляев", "phone": "+7 (916) 909-08-07", "email": "Efim@Udal.example"}`))
		webtest.WantCreated(t, e.Post(t, e.Src, `phone=89169090807`, "Content-Type", "application/x-www-form-urlencoded"))
		webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Сосед", "phone": "79035550099"}`))
		admin := webtest.Login(t, e, "admin@example.com")
		manager := webtest.Login(t, e, "manager@example.com")

		webtest.WantStatus(t, manager.Get("/settings/erasure"), http.StatusForbidden, "a manager's erasure page")
		webtest.WantStatus(t, manager.Submit("/settings/erasure", url.Values{"phone": {"89169090807"}, "reason": {"x"}, "confirm": {"1"}}),
			http.StatusForbidden, "a manager's erasure")
		page := admin.Get("/settings/erasure")
		webtest.WantStatus(t, page, 200, "erasure page")
		webtest.WantBody(t, page, "Персональные данные", `id="erasure-form"`, "Удалений ещё не было")

		// Without a basis: back to the form with the message.
		follow := func(r webtest.Response, what string) webtest.Response {
			t.Helper()
			webtest.WantStatus(t, r, http.StatusSeeOther, what)
			return admin.Get(r.Header.Get("Location"))
		}
		r := follow(admin.Submit("/settings/erasure", url.Values{"phone": {"8 916 909-08-07"}}), "erasure without a basis")
		webtest.WantBody(t, r, "Основание")
		form := url.Values{"phone": {"8 916 909-08-07"}, "email": {"efim@udal.example"}, "reason": {"Заявление от 05.12.2026"}}
		r = admin.Submit("/settings/erasure", form)
		webtest.WantStatus(t, r, 200, "preview")
		webtest.WantBody(t, r, `id="erasure-preview"`, `id="erasure-confirm"`, "Ещё ничего не удалено")
		if n := e.CountLeads(t); n != 3 {
			t.Fatalf("%d leads after the preview", n)
		}
		if where := storetest.Holding(t, engine, e.DSN, "79169090807"); len(where) == 0 {
			t.Fatalf("the preview erased the phone")
		}
		form.Set("confirm", "1")
		r = follow(admin.Submit("/settings/erasure", form), "erasure")
		webtest.WantBody(t, r, "Данные удалены", "Акт об уничтожении персональных данных", "Acme", "Заявление от 05.12.2026",
			"Admin &lt;admin@example.com&gt;", "удаление из базы данных")
		for _, needle := range []string{"79169090807", "9169090807", "909-08-07", "Efim@Udal.example", "efim@udal.example", "Удаляев"} {
			if where := storetest.Holding(t, engine, e.DSN, needle); len(where) > 0 {
				t.Errorf("%q is still in %v", needle, where)
			}
		}
		if where := storetest.Holding(t, engine, e.DSN, "79035550099"); len(where) == 0 {
			t.Errorf("the neighbour's phone is gone: the check sees nothing")
		}
		list, err := e.Store.ListErasures(t.Context(), e.Acct.ID, 0, 10)
		if err != nil || len(list) != 1 || list[0].Counts.Leads != 2 {
			t.Fatalf("erasures: %+v, %v", list, err)
		}
		id := webtest.ID(list[0].ID)
		csv := admin.Get("/settings/erasure/" + id + "/log.csv")
		webtest.WantStatus(t, csv, 200, "log extract")
		if !strings.Contains(csv.Header.Get("Content-Disposition"), "erasure-"+id+".csv") ||
			strings.Count(string(csv.Body), "\n") != 3 || !strings.Contains(string(csv.Body), "Заявление от 05.12.2026") {
			t.Errorf("log extract: %s %s", csv.Header, csv.Body)
		}
		webtest.WantBody(t, admin.Get("/settings/erasure"), "Заявление от 05.12.2026", "/settings/erasure/"+id)
		webtest.WantStatus(t, admin.Get("/settings/erasure/999999"), 404, "another erasure")
		webtest.WantStatus(t, manager.Get("/settings/erasure/"+id), http.StatusForbidden, "a manager's act")

		follow(admin.Submit("/settings/account", url.Values{"timezone": {"Europe/Moscow"}, "raw_retention_days": {"90"}}), "retention")
		if d, err := e.Store.AccountRetention(t.Context(), e.Acct.ID); err != nil || d != 90 {
			t.Errorf("retention = %d, %v", d, err)
		}
		r = follow(admin.Submit("/settings/account", url.Values{"timezone": {"Europe/Moscow"}, "raw_retention_days": {"много"}}), "a wrong retention")
		webtest.WantBody(t, r, "от 0 до 3650")
		webtest.WantBody(t, admin.Get("/settings/account"), `name="raw_retention_days"`, `value="90"`)
		phone := "79169090807"
		if d := webtest.Must[store.ContactDuplicates](t)(e.Store.FindDuplicates(t.Context(), e.Acct.ID, &phone, nil, 5)); d.Count != 0 {
			t.Errorf("leads still found by the phone: %+v", d)
		}
	})
}
