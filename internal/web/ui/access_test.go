package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

func TestUIAccess(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		ctx := context.Background()
		mine := webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Мой", "phone": "79990000001"}`))
		otherLead := webtest.WantCreated(t, e.Post(t, e.Other.Src, `{"name": "Чужой", "phone": "79990000002"}`))
		otherID := string(otherLead["id"])
		admin := webtest.Login(t, e, "admin@example.com")
		manager := webtest.Login(t, e, "manager@example.com")

		t.Run("CSRF", func(t *testing.T) {
			webtest.WantStatus(t, admin.Post("/settings/offices", url.Values{"name": {"X"}}), http.StatusForbidden, "no token")
			webtest.WantStatus(t, admin.Post("/settings/offices", url.Values{"name": {"X"}, "csrf": {manager.CSRF}}), http.StatusForbidden, "another session's token")
			r := admin.Do(http.MethodPost, "/settings/offices", url.Values{"name": {"X"}, "csrf": {admin.CSRF}}, "Sec-Fetch-Site", "cross-site")
			webtest.WantStatus(t, r, http.StatusForbidden, "cross-origin")
			r = admin.Do(http.MethodPost, "/settings/offices", url.Values{"name": {"X"}, "csrf": {admin.CSRF}}, "Origin", "https://evil.example")
			webtest.WantStatus(t, r, http.StatusForbidden, "foreign Origin")
			webtest.WantStatus(t, admin.Submit("/settings/offices", url.Values{"name": {"Офис 2"}}), http.StatusSeeOther, "with token")
		})
		t.Run("ManagerReadsButDoesNotChange", func(t *testing.T) {
			for _, p := range []string{"/sources", "/settings/users", "/settings/offices", "/settings/cities", "/settings/stages", "/sources/" + webtest.ID(e.Src.ID)} {
				r := manager.Get(p)
				webtest.WantStatus(t, r, http.StatusOK, p)
				if strings.Contains(string(r.Body), e.Src.Token) {
					t.Fatalf("%s shows a manager the webhook secret", p)
				}
			}
			for _, p := range []string{"/sources", "/sources/" + webtest.ID(e.Src.ID), "/sources/" + webtest.ID(e.Src.ID) + "/rotate",
				"/sources/" + webtest.ID(e.Src.ID) + "/enabled", "/settings/users", "/settings/users/" + webtest.ID(e.Manager.ID),
				"/settings/offices", "/settings/offices/" + webtest.ID(e.Office.ID), "/settings/cities/" + webtest.ID(e.City.ID) + "/delete",
				"/settings/stages", "/settings/stages/" + webtest.ID(e.Stage.ID), "/settings/stages/" + webtest.ID(e.Stage.ID) + "/move",
				"/settings/stages/" + webtest.ID(e.Stage.ID) + "/delete"} {
				webtest.WantStatus(t, manager.Submit(p, url.Values{"name": {"Hacked"}, "role": {"admin"}, "active": {"1"}, "position": {"1"}}), http.StatusForbidden, p)
			}
			if u, _ := e.Store.GetUser(ctx, e.Acct.ID, e.Manager.ID); u.Role != lead.RoleManager {
				t.Fatal("the manager made themself an admin")
			}
			// Managers work leads.
			webtest.WantStatus(t, manager.Submit("/leads/"+string(mine["id"])+"/no-answer", nil), http.StatusSeeOther, "manager no-answer")
		})
		t.Run("AnotherAccountIsNotFound", func(t *testing.T) {
			webtest.WantStatus(t, admin.Get("/leads/"+otherID), http.StatusNotFound, "other lead")
			for _, p := range []string{"/leads/" + otherID, "/leads/" + otherID + "/no-answer", "/leads/" + otherID + "/client",
				"/sources/" + webtest.ID(e.Other.Src.ID), "/sources/" + webtest.ID(e.Other.Src.ID) + "/rotate", "/sources/" + webtest.ID(e.Other.Src.ID) + "/enabled",
				"/settings/offices/" + webtest.ID(e.Other.Office.ID), "/settings/cities/" + webtest.ID(e.Other.City.ID) + "/delete",
				"/settings/stages/" + webtest.ID(e.Other.Stage.ID), "/settings/stages/" + webtest.ID(e.Other.Stage.ID) + "/move",
				"/settings/stages/" + webtest.ID(e.Other.Stage.ID) + "/delete", "/settings/users/" + webtest.ID(e.Other.User.ID)} {
				webtest.WantStatus(t, admin.Submit(p, url.Values{"name": {"Hacked"}, "role": {"manager"}, "active": {"1"}, "position": {"1"}, "action": {"create"}}), http.StatusNotFound, p)
			}
			webtest.WantStatus(t, admin.Get("/sources/"+webtest.ID(e.Other.Src.ID)), http.StatusNotFound, "other source")
			// A reference of another account is refused on an own lead.
			r := admin.Submit("/leads/"+string(mine["id"]), url.Values{"funnelStageId": {webtest.ID(e.Other.Stage.ID)}})
			webtest.WantStatus(t, r, http.StatusSeeOther, "foreign stage")
			if l, _ := e.Store.GetLead(ctx, e.Acct.ID, webtest.IntOf(t, "id", mine["id"])); l.FunnelStageID == nil || *l.FunnelStageID == e.Other.Stage.ID {
				t.Fatal("a lead took another account's stage")
			}
			r = admin.Get("/?q=" + url.QueryEscape("Чужой"))
			if strings.Contains(string(r.Body), "000-00-02") || strings.Contains(string(r.Body), "/leads/"+otherID) {
				t.Fatal("search shows another account's lead")
			}
			if u, _ := e.Store.GetUser(ctx, e.Other.Acct.ID, e.Other.User.ID); u.Name != "Rival admin" {
				t.Fatal("another account's user changed")
			}
		})
		t.Run("NoSuchThing", func(t *testing.T) {
			for _, p := range []string{"/leads/0", "/leads/abc", "/leads/999999", "/sources/999999", "/settings/planets", "/nope"} {
				webtest.WantStatus(t, admin.Get(p), http.StatusNotFound, p)
			}
		})
		t.Run("LogoutEndsAllSessions", func(t *testing.T) {
			a1, a2 := webtest.Login(t, e, "manager@example.com"), webtest.Login(t, e, "manager@example.com")
			webtest.WantStatus(t, a1.Submit("/logout", nil), http.StatusSeeOther, "logout")
			webtest.WantStatus(t, a1.Get("/"), http.StatusSeeOther, "after logout, same browser")
			webtest.WantStatus(t, a2.Get("/"), http.StatusSeeOther, "after logout, other browser")
			webtest.WantStatus(t, manager.Get("/"), http.StatusSeeOther, "after logout, first session")
		})
		t.Run("PasswordChangeEndsOtherSessions", func(t *testing.T) {
			a1, a2 := webtest.Login(t, e, "admin@example.com"), webtest.Login(t, e, "admin@example.com")
			r := a1.Submit("/password", url.Values{"current": {"wrong wrong"}, "new": {"another password"}})
			webtest.WantStatus(t, r, http.StatusSeeOther, "wrong current password")
			webtest.WantStatus(t, a2.Get("/"), http.StatusOK, "still signed in")
			webtest.WantStatus(t, a1.Submit("/password", url.Values{"current": {webtest.TestPassword}, "new": {"short"}}), http.StatusSeeOther, "short")
			webtest.WantStatus(t, a1.Submit("/password", url.Values{"current": {webtest.TestPassword}, "new": {"another password"}}), http.StatusSeeOther, "change")
			webtest.WantStatus(t, a1.Get("/"), http.StatusOK, "this browser keeps a fresh session")
			webtest.WantStatus(t, a2.Get("/"), http.StatusSeeOther, "the other browser is out")
		})
		t.Run("Expiry", func(t *testing.T) {
			webtest.SetPasswords(t, e)
			b := webtest.Login(t, e, "admin@example.com")
			start := time.Now()
			defer e.Store.SetClock(time.Now)
			e.Store.SetClock(func() time.Time { return start.Add(29 * time.Minute) })
			webtest.WantStatus(t, b.Get("/"), http.StatusOK, "29 minutes idle")
			e.Store.SetClock(func() time.Time { return start.Add(29*time.Minute + 31*time.Minute) })
			webtest.WantStatus(t, b.Get("/"), http.StatusSeeOther, "30 minutes idle")

			e.Store.SetClock(time.Now)
			b = webtest.Login(t, e, "admin@example.com")
			start = time.Now()
			for m := 25; m <= 8*60; m += 25 { // never idle, yet the session ends after 8 hours
				at := start.Add(time.Duration(m) * time.Minute)
				e.Store.SetClock(func() time.Time { return at })
				if r := b.Get("/dashboard"); m < 8*60 && r.Status != http.StatusOK {
					t.Fatalf("after %d minutes: %d", m, r.Status)
				}
			}
			at := start.Add(8*time.Hour + time.Minute)
			e.Store.SetClock(func() time.Time { return at })
			webtest.WantStatus(t, b.Get("/"), http.StatusSeeOther, "8 hours after login")
			if err := e.Store.DeleteExpiredSessions(ctx, 30*time.Minute, 8*time.Hour); err != nil {
				t.Fatal(err)
			}
		})
	})
}

var _ = store.Offices
