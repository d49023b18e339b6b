package web_test

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
)

func TestUIAccess(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := NewEnv(t, engine)
		SetPasswords(t, e)
		ctx := context.Background()
		mine := WantCreated(t, e.Post(t, e.Src, `{"name": "Мой", "phone": "79990000001"}`))
		otherLead := WantCreated(t, e.Post(t, e.Other.Src, `{"name": "Чужой", "phone": "79990000002"}`))
		otherID := string(otherLead["id"])
		admin := Login(t, e, "admin@example.com")
		manager := Login(t, e, "manager@example.com")

		t.Run("CSRF", func(t *testing.T) {
			WantStatus(t, admin.Post("/settings/offices", url.Values{"name": {"X"}}), http.StatusForbidden, "no token")
			WantStatus(t, admin.Post("/settings/offices", url.Values{"name": {"X"}, "csrf": {manager.CSRF}}), http.StatusForbidden, "another session's token")
			r := admin.Do(http.MethodPost, "/settings/offices", url.Values{"name": {"X"}, "csrf": {admin.CSRF}}, "Sec-Fetch-Site", "cross-site")
			WantStatus(t, r, http.StatusForbidden, "cross-origin")
			r = admin.Do(http.MethodPost, "/settings/offices", url.Values{"name": {"X"}, "csrf": {admin.CSRF}}, "Origin", "https://evil.example")
			WantStatus(t, r, http.StatusForbidden, "foreign Origin")
			WantStatus(t, admin.Submit("/settings/offices", url.Values{"name": {"Офис 2"}}), http.StatusSeeOther, "with token")
		})
		t.Run("ManagerReadsButDoesNotChange", func(t *testing.T) {
			for _, p := range []string{"/sources", "/settings/users", "/settings/offices", "/settings/cities", "/settings/stages", "/sources/" + ID(e.Src.ID)} {
				r := manager.Get(p)
				WantStatus(t, r, http.StatusOK, p)
				if strings.Contains(string(r.Body), e.Src.Token) {
					t.Fatalf("%s shows a manager the webhook secret", p)
				}
			}
			for _, p := range []string{"/sources", "/sources/" + ID(e.Src.ID), "/sources/" + ID(e.Src.ID) + "/rotate",
				"/sources/" + ID(e.Src.ID) + "/enabled", "/settings/users", "/settings/users/" + ID(e.Manager.ID),
				"/settings/offices", "/settings/offices/" + ID(e.Office.ID), "/settings/cities/" + ID(e.City.ID) + "/delete",
				"/settings/stages", "/settings/stages/" + ID(e.Stage.ID), "/settings/stages/" + ID(e.Stage.ID) + "/move",
				"/settings/stages/" + ID(e.Stage.ID) + "/delete"} {
				WantStatus(t, manager.Submit(p, url.Values{"name": {"Hacked"}, "role": {"admin"}, "active": {"1"}, "position": {"1"}}), http.StatusForbidden, p)
			}
			if u, _ := e.Store.GetUser(ctx, e.Acct.ID, e.Manager.ID); u.Role != lead.RoleManager {
				t.Fatal("the manager made themself an admin")
			}
			// Managers work leads.
			WantStatus(t, manager.Submit("/leads/"+string(mine["id"])+"/no-answer", nil), http.StatusSeeOther, "manager no-answer")
		})
		t.Run("AnotherAccountIsNotFound", func(t *testing.T) {
			WantStatus(t, admin.Get("/leads/"+otherID), http.StatusNotFound, "other lead")
			for _, p := range []string{"/leads/" + otherID, "/leads/" + otherID + "/no-answer", "/leads/" + otherID + "/client",
				"/sources/" + ID(e.Other.Src.ID), "/sources/" + ID(e.Other.Src.ID) + "/rotate", "/sources/" + ID(e.Other.Src.ID) + "/enabled",
				"/settings/offices/" + ID(e.Other.Office.ID), "/settings/cities/" + ID(e.Other.City.ID) + "/delete",
				"/settings/stages/" + ID(e.Other.Stage.ID), "/settings/stages/" + ID(e.Other.Stage.ID) + "/move",
				"/settings/stages/" + ID(e.Other.Stage.ID) + "/delete", "/settings/users/" + ID(e.Other.User.ID)} {
				WantStatus(t, admin.Submit(p, url.Values{"name": {"Hacked"}, "role": {"manager"}, "active": {"1"}, "position": {"1"}, "action": {"create"}}), http.StatusNotFound, p)
			}
			WantStatus(t, admin.Get("/sources/"+ID(e.Other.Src.ID)), http.StatusNotFound, "other source")
			// A reference of another account is refused on an own lead.
			r := admin.Submit("/leads/"+string(mine["id"]), url.Values{"funnelStageId": {ID(e.Other.Stage.ID)}})
			WantStatus(t, r, http.StatusSeeOther, "foreign stage")
			if l, _ := e.Store.GetLead(ctx, e.Acct.ID, IntOf(t, "id", mine["id"])); l.FunnelStageID != nil {
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
				WantStatus(t, admin.Get(p), http.StatusNotFound, p)
			}
		})
		t.Run("LogoutEndsAllSessions", func(t *testing.T) {
			a1, a2 := Login(t, e, "manager@example.com"), Login(t, e, "manager@example.com")
			WantStatus(t, a1.Submit("/logout", nil), http.StatusSeeOther, "logout")
			WantStatus(t, a1.Get("/"), http.StatusSeeOther, "after logout, same browser")
			WantStatus(t, a2.Get("/"), http.StatusSeeOther, "after logout, other browser")
			WantStatus(t, manager.Get("/"), http.StatusSeeOther, "after logout, first session")
		})
		t.Run("PasswordChangeEndsOtherSessions", func(t *testing.T) {
			a1, a2 := Login(t, e, "admin@example.com"), Login(t, e, "admin@example.com")
			r := a1.Submit("/password", url.Values{"current": {"wrong wrong"}, "new": {"another password"}})
			WantStatus(t, r, http.StatusSeeOther, "wrong current password")
			WantStatus(t, a2.Get("/"), http.StatusOK, "still signed in")
			WantStatus(t, a1.Submit("/password", url.Values{"current": {TestPassword}, "new": {"short"}}), http.StatusSeeOther, "short")
			WantStatus(t, a1.Submit("/password", url.Values{"current": {TestPassword}, "new": {"another password"}}), http.StatusSeeOther, "change")
			WantStatus(t, a1.Get("/"), http.StatusOK, "this browser keeps a fresh session")
			WantStatus(t, a2.Get("/"), http.StatusSeeOther, "the other browser is out")
		})
		t.Run("Expiry", func(t *testing.T) {
			SetPasswords(t, e)
			b := Login(t, e, "admin@example.com")
			start := time.Now()
			defer e.Store.SetClock(time.Now)
			e.Store.SetClock(func() time.Time { return start.Add(29 * time.Minute) })
			WantStatus(t, b.Get("/"), http.StatusOK, "29 minutes idle")
			e.Store.SetClock(func() time.Time { return start.Add(29*time.Minute + 31*time.Minute) })
			WantStatus(t, b.Get("/"), http.StatusSeeOther, "30 minutes idle")

			e.Store.SetClock(time.Now)
			b = Login(t, e, "admin@example.com")
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
			WantStatus(t, b.Get("/"), http.StatusSeeOther, "8 hours after login")
			if err := e.Store.DeleteExpiredSessions(ctx, 30*time.Minute, 8*time.Hour); err != nil {
				t.Fatal(err)
			}
		})
	})
}

var _ = store.Offices
