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
		e := newEnv(t, engine)
		setPasswords(t, e)
		ctx := context.Background()
		mine := wantCreated(t, e.post(t, e.src, `{"name": "Мой", "phone": "79990000001"}`))
		otherLead := wantCreated(t, e.post(t, e.other.src, `{"name": "Чужой", "phone": "79990000002"}`))
		otherID := string(otherLead["id"])
		admin := login(t, e, "admin@example.com")
		manager := login(t, e, "manager@example.com")

		t.Run("CSRF", func(t *testing.T) {
			wantStatus(t, admin.post("/settings/offices", url.Values{"name": {"X"}}), http.StatusForbidden, "no token")
			wantStatus(t, admin.post("/settings/offices", url.Values{"name": {"X"}, "csrf": {manager.csrf}}), http.StatusForbidden, "another session's token")
			r := admin.do(http.MethodPost, "/settings/offices", url.Values{"name": {"X"}, "csrf": {admin.csrf}}, "Sec-Fetch-Site", "cross-site")
			wantStatus(t, r, http.StatusForbidden, "cross-origin")
			r = admin.do(http.MethodPost, "/settings/offices", url.Values{"name": {"X"}, "csrf": {admin.csrf}}, "Origin", "https://evil.example")
			wantStatus(t, r, http.StatusForbidden, "foreign Origin")
			wantStatus(t, admin.submit("/settings/offices", url.Values{"name": {"Офис 2"}}), http.StatusSeeOther, "with token")
		})
		t.Run("ManagerReadsButDoesNotChange", func(t *testing.T) {
			for _, p := range []string{"/sources", "/settings/users", "/settings/offices", "/settings/cities", "/settings/stages", "/sources/" + id(e.src.ID)} {
				r := manager.get(p)
				wantStatus(t, r, http.StatusOK, p)
				if strings.Contains(string(r.body), e.src.Token) {
					t.Fatalf("%s shows a manager the webhook secret", p)
				}
			}
			for _, p := range []string{"/sources", "/sources/" + id(e.src.ID), "/sources/" + id(e.src.ID) + "/rotate",
				"/sources/" + id(e.src.ID) + "/enabled", "/settings/users", "/settings/users/" + id(e.manager.ID),
				"/settings/offices", "/settings/offices/" + id(e.office.ID), "/settings/cities/" + id(e.city.ID) + "/delete",
				"/settings/stages", "/settings/stages/" + id(e.stage.ID), "/settings/stages/" + id(e.stage.ID) + "/move",
				"/settings/stages/" + id(e.stage.ID) + "/delete"} {
				wantStatus(t, manager.submit(p, url.Values{"name": {"Hacked"}, "role": {"admin"}, "active": {"1"}, "position": {"1"}}), http.StatusForbidden, p)
			}
			if u, _ := e.s.GetUser(ctx, e.acct.ID, e.manager.ID); u.Role != lead.RoleManager {
				t.Fatal("the manager made themself an admin")
			}
			// Managers work leads.
			wantStatus(t, manager.submit("/leads/"+string(mine["id"])+"/no-answer", nil), http.StatusSeeOther, "manager no-answer")
		})
		t.Run("AnotherAccountIsNotFound", func(t *testing.T) {
			wantStatus(t, admin.get("/leads/"+otherID), http.StatusNotFound, "other lead")
			for _, p := range []string{"/leads/" + otherID, "/leads/" + otherID + "/no-answer", "/leads/" + otherID + "/client",
				"/sources/" + id(e.other.src.ID), "/sources/" + id(e.other.src.ID) + "/rotate", "/sources/" + id(e.other.src.ID) + "/enabled",
				"/settings/offices/" + id(e.other.office.ID), "/settings/cities/" + id(e.other.city.ID) + "/delete",
				"/settings/stages/" + id(e.other.stage.ID), "/settings/stages/" + id(e.other.stage.ID) + "/move",
				"/settings/stages/" + id(e.other.stage.ID) + "/delete", "/settings/users/" + id(e.other.user.ID)} {
				wantStatus(t, admin.submit(p, url.Values{"name": {"Hacked"}, "role": {"manager"}, "active": {"1"}, "position": {"1"}, "action": {"create"}}), http.StatusNotFound, p)
			}
			wantStatus(t, admin.get("/sources/"+id(e.other.src.ID)), http.StatusNotFound, "other source")
			// A reference of another account is refused on an own lead.
			r := admin.submit("/leads/"+string(mine["id"]), url.Values{"funnelStageId": {id(e.other.stage.ID)}})
			wantStatus(t, r, http.StatusSeeOther, "foreign stage")
			if l, _ := e.s.GetLead(ctx, e.acct.ID, intOf(t, "id", mine["id"])); l.FunnelStageID != nil {
				t.Fatal("a lead took another account's stage")
			}
			r = admin.get("/?q=" + url.QueryEscape("Чужой"))
			if strings.Contains(string(r.body), "000-00-02") || strings.Contains(string(r.body), "/leads/"+otherID) {
				t.Fatal("search shows another account's lead")
			}
			if u, _ := e.s.GetUser(ctx, e.other.acct.ID, e.other.user.ID); u.Name != "Rival admin" {
				t.Fatal("another account's user changed")
			}
		})
		t.Run("NoSuchThing", func(t *testing.T) {
			for _, p := range []string{"/leads/0", "/leads/abc", "/leads/999999", "/sources/999999", "/settings/planets", "/nope"} {
				wantStatus(t, admin.get(p), http.StatusNotFound, p)
			}
		})
		t.Run("LogoutEndsAllSessions", func(t *testing.T) {
			a1, a2 := login(t, e, "manager@example.com"), login(t, e, "manager@example.com")
			wantStatus(t, a1.submit("/logout", nil), http.StatusSeeOther, "logout")
			wantStatus(t, a1.get("/"), http.StatusSeeOther, "after logout, same browser")
			wantStatus(t, a2.get("/"), http.StatusSeeOther, "after logout, other browser")
			wantStatus(t, manager.get("/"), http.StatusSeeOther, "after logout, first session")
		})
		t.Run("PasswordChangeEndsOtherSessions", func(t *testing.T) {
			a1, a2 := login(t, e, "admin@example.com"), login(t, e, "admin@example.com")
			r := a1.submit("/password", url.Values{"current": {"wrong wrong"}, "new": {"another password"}})
			wantStatus(t, r, http.StatusSeeOther, "wrong current password")
			wantStatus(t, a2.get("/"), http.StatusOK, "still signed in")
			wantStatus(t, a1.submit("/password", url.Values{"current": {testPassword}, "new": {"short"}}), http.StatusSeeOther, "short")
			wantStatus(t, a1.submit("/password", url.Values{"current": {testPassword}, "new": {"another password"}}), http.StatusSeeOther, "change")
			wantStatus(t, a1.get("/"), http.StatusOK, "this browser keeps a fresh session")
			wantStatus(t, a2.get("/"), http.StatusSeeOther, "the other browser is out")
		})
		t.Run("Expiry", func(t *testing.T) {
			setPasswords(t, e)
			b := login(t, e, "admin@example.com")
			start := time.Now()
			defer e.s.SetClock(time.Now)
			e.s.SetClock(func() time.Time { return start.Add(29 * time.Minute) })
			wantStatus(t, b.get("/"), http.StatusOK, "29 minutes idle")
			e.s.SetClock(func() time.Time { return start.Add(29*time.Minute + 31*time.Minute) })
			wantStatus(t, b.get("/"), http.StatusSeeOther, "30 minutes idle")

			e.s.SetClock(time.Now)
			b = login(t, e, "admin@example.com")
			start = time.Now()
			for m := 25; m <= 8*60; m += 25 { // never idle, yet the session ends after 8 hours
				at := start.Add(time.Duration(m) * time.Minute)
				e.s.SetClock(func() time.Time { return at })
				if r := b.get("/dashboard"); m < 8*60 && r.status != http.StatusOK {
					t.Fatalf("after %d minutes: %d", m, r.status)
				}
			}
			at := start.Add(8*time.Hour + time.Minute)
			e.s.SetClock(func() time.Time { return at })
			wantStatus(t, b.get("/"), http.StatusSeeOther, "8 hours after login")
			if err := e.s.DeleteExpiredSessions(ctx, 30*time.Minute, 8*time.Hour); err != nil {
				t.Fatal(err)
			}
		})
	})
}

var _ = store.Offices
