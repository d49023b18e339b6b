package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

const testPassword = "correct horse battery"

// browser is a cookie-keeping client signed in (or not) to the UI.
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
}

// setPasswords gives the env's admin, manager and rival admin testPassword.
func setPasswords(t *testing.T, e *env) {
	t.Helper()
	hash, err := password.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []lead.User{e.admin, e.manager, e.other.user} {
		if _, err := e.s.UpdateUser(context.Background(), u.AccountID, u.ID, store.UserPatch{PasswordHash: &hash}); err != nil {
			t.Fatal(err)
		}
	}
}

func newBrowser(t *testing.T, e *env) *browser {
	return &browser{t: t, e: e, c: webtest.BrowserClient(e.client.Transport)}
}

// login signs in and fails the test unless it works.
func login(t *testing.T, e *env, email string) *browser {
	t.Helper()
	b := &browser{t: t, e: e, c: webtest.SignIn(t, e.srv.URL, e.client.Transport, email, testPassword)}
	b.get("/") // picks up the CSRF token
	return b
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values, headers ...string) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.srv.URL+path, body)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if m := csrfInput.FindSubmatch(data); m != nil {
		b.csrf = string(m[1])
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func (b *browser) get(path string) response { b.t.Helper(); return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	return b.do(http.MethodPost, path, form)
}

// submit posts a form with the session's CSRF token.
func (b *browser) submit(path string, form url.Values) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.post(path, form)
}

func wantStatus(t *testing.T, r response, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d\n%.600s", what, r.status, status, r.body)
	}
}

func wantBody(t *testing.T, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(string(r.body), p) {
			t.Fatalf("page lacks %q:\n%.3000s", p, r.body)
		}
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestUILogin(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		setPasswords(t, e)

		t.Run("AnonymousGoesToLogin", func(t *testing.T) {
			b := newBrowser(t, e)
			r := b.get("/leads/1")
			wantStatus(t, r, http.StatusSeeOther, "anonymous GET")
			if loc := r.header.Get("Location"); loc != "/login?next=%2Fleads%2F1" {
				t.Fatalf("Location %q", loc)
			}
			wantStatus(t, b.post("/leads/1/no-answer", url.Values{}), http.StatusUnauthorized, "anonymous POST")
			wantStatus(t, b.get("/events"), http.StatusUnauthorized, "anonymous events")
			wantBody(t, b.get("/login"), `name="password"`, "Войти")
		})
		t.Run("WrongPassword", func(t *testing.T) {
			b := newBrowser(t, e)
			r := b.post("/login", url.Values{"email": {"admin@example.com"}, "password": {"nope nope"}})
			wantStatus(t, r, http.StatusUnauthorized, "wrong password")
			wantBody(t, r, "Неверный email или пароль.")
			r = b.post("/login", url.Values{"email": {"nobody@example.com"}, "password": {testPassword}})
			wantStatus(t, r, http.StatusUnauthorized, "unknown email")
		})
		t.Run("CookieAndRedirect", func(t *testing.T) {
			b := newBrowser(t, e)
			r := b.post("/login", url.Values{"email": {"ADMIN@example.com"}, "password": {testPassword}, "next": {"//evil.example/x"}})
			wantStatus(t, r, http.StatusSeeOther, "login")
			if loc := r.header.Get("Location"); loc != "/" {
				t.Fatalf("redirected to %q, want / (no open redirect)", loc)
			}
			c := r.header.Get("Set-Cookie")
			for _, want := range []string{"leadbox=", "HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(c, want) {
					t.Fatalf("cookie %q lacks %q", c, want)
				}
			}
			wantStatus(t, b.get("/"), http.StatusOK, "inbox")
		})
		t.Run("InactiveUser", func(t *testing.T) {
			u, err := e.s.CreateUser(context.Background(), lead.User{AccountID: e.acct.ID, Name: "Gone", Email: "gone@example.com", Role: lead.RoleManager})
			if err != nil {
				t.Fatal(err)
			}
			hash, _ := password.Hash(testPassword)
			off := false
			e.s.UpdateUser(context.Background(), e.acct.ID, u.ID, store.UserPatch{PasswordHash: &hash, Active: &off})
			r := newBrowser(t, e).post("/login", url.Values{"email": {"gone@example.com"}, "password": {testPassword}})
			wantStatus(t, r, http.StatusUnauthorized, "inactive user")
		})
		t.Run("Throttled", func(t *testing.T) {
			b := newBrowser(t, e)
			for i := 0; i < 5; i++ {
				b.post("/login", url.Values{"email": {"manager@example.com"}, "password": {"wrong wrong"}})
			}
			r := b.post("/login", url.Values{"email": {"manager@example.com"}, "password": {testPassword}})
			wantStatus(t, r, http.StatusTooManyRequests, "sixth try")
			if r.header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		})
	})
}
