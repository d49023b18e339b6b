package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

func TestUILogin(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)

		t.Run("AnonymousGoesToLogin", func(t *testing.T) {
			b := webtest.NewBrowser(t, e)
			r := b.Get("/leads/1")
			webtest.WantStatus(t, r, http.StatusSeeOther, "anonymous GET")
			if loc := r.Header.Get("Location"); loc != "/login?next=%2Fleads%2F1" {
				t.Fatalf("Location %q", loc)
			}
			webtest.WantStatus(t, b.Post("/leads/1/no-answer", url.Values{}), http.StatusUnauthorized, "anonymous POST")
			webtest.WantStatus(t, b.Get("/events"), http.StatusUnauthorized, "anonymous events")
			webtest.WantBody(t, b.Get("/login"), `name="password"`, "Войти")
		})
		t.Run("WrongPassword", func(t *testing.T) {
			b := webtest.NewBrowser(t, e)
			r := b.Post("/login", url.Values{"email": {"admin@example.com"}, "password": {"nope nope"}})
			webtest.WantStatus(t, r, http.StatusUnauthorized, "wrong password")
			webtest.WantBody(t, r, "Неверный email или пароль.")
			r = b.Post("/login", url.Values{"email": {"nobody@example.com"}, "password": {webtest.TestPassword}})
			webtest.WantStatus(t, r, http.StatusUnauthorized, "unknown email")
		})
		t.Run("CookieAndRedirect", func(t *testing.T) {
			b := webtest.NewBrowser(t, e)
			r := b.Post("/login", url.Values{"email": {"ADMIN@example.com"}, "password": {webtest.TestPassword}, "next": {"//evil.example/x"}})
			webtest.WantStatus(t, r, http.StatusSeeOther, "login")
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Fatalf("redirected to %q, want / (no open redirect)", loc)
			}
			c := r.Header.Get("Set-Cookie")
			for _, want := range []string{"leadbox=", "HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(c, want) {
					t.Fatalf("cookie %q lacks %q", c, want)
				}
			}
			webtest.WantStatus(t, b.Get("/"), http.StatusOK, "inbox")
		})
		t.Run("InactiveUser", func(t *testing.T) {
			u, err := e.Store.CreateUser(context.Background(), lead.User{AccountID: e.Acct.ID, Name: "Gone", Email: "gone@example.com", Role: lead.RoleManager})
			if err != nil {
				t.Fatal(err)
			}
			hash, _ := password.Hash(webtest.TestPassword)
			off := false
			e.Store.UpdateUser(context.Background(), e.Acct.ID, u.ID, store.UserPatch{PasswordHash: &hash, Active: &off})
			r := webtest.NewBrowser(t, e).Post("/login", url.Values{"email": {"gone@example.com"}, "password": {webtest.TestPassword}})
			webtest.WantStatus(t, r, http.StatusUnauthorized, "inactive user")
		})
		t.Run("Throttled", func(t *testing.T) {
			b := webtest.NewBrowser(t, e)
			for i := 0; i < 5; i++ {
				b.Post("/login", url.Values{"email": {"manager@example.com"}, "password": {"wrong wrong"}})
			}
			r := b.Post("/login", url.Values{"email": {"manager@example.com"}, "password": {webtest.TestPassword}})
			webtest.WantStatus(t, r, http.StatusTooManyRequests, "sixth try")
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		})
	})
}
