package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestUITimezone shows times in the account's zone (Moscow by default),
// then in a user's own; the inbox's period, in Russian date format, is
// read in the user's zone. Kiritimati (UTC+14) and Pago Pago (UTC−11) are
// 25 hours apart, so a lead's day differs between them whenever it came.
func TestUITimezone(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		d := webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990003344", "name": "Пояс"}`))
		l := webtest.Must[lead.Lead](t)(e.Store.GetLead(ctx, e.Acct.ID, webtest.IntOf(t, "id", d["id"])))
		at := time.Unix(l.DtCreate, 0)
		in := func(name string) time.Time { return at.In(webtest.Must[*time.Location](t)(time.LoadLocation(name))) }
		card := "/leads/" + string(d["id"])

		b := webtest.Login(t, e, "manager@example.com")
		webtest.WantBody(t, b.Get(card), in("Europe/Moscow").Format("02.01.2006 15:04"))

		// The admin moves the company to Vladivostok.
		admin := webtest.Login(t, e, "admin@example.com")
		webtest.WantStatus(t, admin.Submit("/settings/account", url.Values{"timezone": {"Asia/Vladivostok"}}), http.StatusSeeOther, "company zone")
		webtest.WantBody(t, b.Get(card), in("Asia/Vladivostok").Format("02.01.2006 15:04"))
		webtest.WantStatus(t, b.Submit("/settings/account", url.Values{"timezone": {"UTC"}}), http.StatusForbidden, "a manager sets the company's zone")
		r := admin.Submit("/settings/account", url.Values{"timezone": {"Mars/Olympus"}})
		webtest.WantStatus(t, r, http.StatusSeeOther, "unknown zone")
		webtest.WantBody(t, admin.Get("/settings/account"), "Неизвестный часовой пояс", `value="Asia/Vladivostok" selected`)

		// The manager picks their own zones.
		for _, z := range []struct{ mine, other string }{{"Pacific/Kiritimati", "Pacific/Pago_Pago"}, {"Pacific/Pago_Pago", "Pacific/Kiritimati"}} {
			webtest.WantStatus(t, b.Submit("/timezone", url.Values{"timezone": {z.mine}}), http.StatusSeeOther, "own zone")
			webtest.WantBody(t, b.Get(card), in(z.mine).Format("02.01.2006 15:04"))
			webtest.WantBody(t, b.Get("/"), in(z.mine).Format("02.01.2006 15:04")) // the inbox's rows
			day := in(z.mine).Format("02.01.2006")
			if !strings.Contains(string(b.Get("/?from="+day+"&to="+day).Body), `data-id="`+string(d["id"])+`"`) {
				t.Errorf("zone %s: the lead is not in its own day %s", z.mine, day)
			}
			other := in(z.other).Format("02.01.2006")
			if strings.Contains(string(b.Get("/?from="+other+"&to="+other).Body), `data-id="`+string(d["id"])+`"`) {
				t.Errorf("zone %s: the lead is in the day %s, which is %s's", z.mine, other, z.other)
			}
		}
		// Back to the company's.
		webtest.WantStatus(t, b.Submit("/timezone", url.Values{"timezone": {""}}), http.StatusSeeOther, "company's zone")
		webtest.WantBody(t, b.Get(card), in("Asia/Vladivostok").Format("02.01.2006 15:04"))
		webtest.WantBody(t, b.Get("/password"), "Как у компании (Asia/Vladivostok)")
	})
}
