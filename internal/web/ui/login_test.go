package ui_test

import (
	"context"
	"net"
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

// TestUILoginCSRF: the login form carries a token of its own, in a cookie
// and in the form; a post without both (another site's form: no cookie
// reaches us, or no token) is refused with the form again, and no session.
func TestUILoginCSRF(t *testing.T) {
	e := webtest.NewEnv(t, "sqlite")
	webtest.SetPasswords(t, e)
	creds := func(csrf string) url.Values {
		v := url.Values{"email": {"admin@example.com"}, "password": {webtest.TestPassword}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	refused := func(t *testing.T, r webtest.Response) {
		t.Helper()
		webtest.WantStatus(t, r, http.StatusForbidden, "login without its token")
		webtest.WantBody(t, r, "Форма входа устарела или пришла с другого сайта", `name="csrf"`)
		for _, c := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "leadbox=") {
				t.Fatalf("a session cookie for a refused login: %s", c)
			}
		}
	}
	t.Run("no Origin, no Referer, no token", func(t *testing.T) {
		refused(t, webtest.NewBrowser(t, e).Do(http.MethodPost, "/login", creds("")))
	})
	t.Run("a token from another browser", func(t *testing.T) {
		theirs := webtest.LoginToken(t, webtest.BrowserClient(e.Client.Transport), e.Srv.URL)
		b := webtest.NewBrowser(t, e)
		webtest.LoginToken(t, b.Client, e.Srv.URL) // b has a cookie of its own
		refused(t, b.Do(http.MethodPost, "/login", creds(theirs)))
	})
	t.Run("the form's own token", func(t *testing.T) {
		b := webtest.NewBrowser(t, e)
		tok := webtest.LoginToken(t, b.Client, e.Srv.URL)
		webtest.WantStatus(t, b.Do(http.MethodPost, "/login", creds(tok)), http.StatusSeeOther, "login with the form's token")
	})
	t.Run("the token stays across a wrong password", func(t *testing.T) {
		b := webtest.NewBrowser(t, e)
		tok := webtest.LoginToken(t, b.Client, e.Srv.URL)
		wrong := creds(tok)
		wrong.Set("password", "wrong wrong")
		webtest.WantStatus(t, b.Do(http.MethodPost, "/login", wrong), http.StatusUnauthorized, "wrong password")
		webtest.WantStatus(t, b.Do(http.MethodPost, "/login", creds(tok)), http.StatusSeeOther, "then the right one")
	})
}

// TestUILoginThrottle, both ways: guessing is slowed — per address and
// email at once, and per email across addresses — while the owner still
// logs in from the address they used before.
func TestUILoginThrottle(t *testing.T) {
	e := webtest.NewEnv(t, "sqlite")
	webtest.SetPasswords(t, e)
	const email = "admin@example.com"
	try := func(b *webtest.Browser, pw string) webtest.Response {
		return b.Post("/login", url.Values{"email": {email}, "password": {pw}})
	}
	owner := browserFrom(t, e, net.IPv4(127, 0, 1, 1))
	webtest.WantStatus(t, try(owner, webtest.TestPassword), http.StatusSeeOther, "the owner's usual login")

	// One stranger: five wrong tries, then even the right password waits;
	// the same address may still try another email.
	one := browserFrom(t, e, net.IPv4(127, 0, 1, 2))
	for range 5 {
		webtest.WantStatus(t, try(one, "wrong wrong"), http.StatusUnauthorized, "a wrong try")
	}
	webtest.WantStatus(t, try(one, webtest.TestPassword), http.StatusTooManyRequests, "sixth try from one address")
	webtest.WantStatus(t, one.Post("/login", url.Values{"email": {"manager@example.com"}, "password": {"wrong wrong"}}),
		http.StatusUnauthorized, "another email from that address")

	// Strangers at many addresses run the email's ceiling dry: 20 in all.
	for i := range 3 {
		b := browserFrom(t, e, net.IPv4(127, 0, 1, byte(10+i)))
		for range 5 {
			try(b, "wrong wrong")
		}
	}
	fresh := browserFrom(t, e, net.IPv4(127, 0, 1, 50))
	r := try(fresh, "wrong wrong")
	webtest.WantStatus(t, r, http.StatusTooManyRequests, "a new address once the email's ceiling is reached")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}

	// The owner, at the address they logged in from, is not locked out.
	webtest.WantStatus(t, try(owner, webtest.TestPassword), http.StatusSeeOther, "the owner from their usual address")
	webtest.WantStatus(t, try(browserFrom(t, e, net.IPv4(127, 0, 1, 51)), webtest.TestPassword), http.StatusTooManyRequests,
		"the owner from an address never used: slowed like everyone")
}
