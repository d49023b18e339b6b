package webtest

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
)

const TestPassword = "correct horse battery"

// Browser is a cookie-keeping client signed in (or not) to the UI.
type Browser struct {
	t      *testing.T
	e      *Env
	Client *http.Client
	CSRF   string
}

// SetPasswords gives the env's admin, manager and rival admin testPassword.
func SetPasswords(t *testing.T, e *Env) {
	t.Helper()
	hash, err := password.Hash(TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []lead.User{e.Admin, e.Manager, e.Other.User} {
		if _, err := e.Store.UpdateUser(context.Background(), u.AccountID, u.ID, store.UserPatch{PasswordHash: &hash}); err != nil {
			t.Fatal(err)
		}
	}
}

func NewBrowser(t *testing.T, e *Env) *Browser {
	return &Browser{t: t, e: e, Client: BrowserClient(e.Client.Transport)}
}

// Login signs in and fails the test unless it works.
func Login(t *testing.T, e *Env, email string) *Browser {
	t.Helper()
	b := &Browser{t: t, e: e, Client: SignIn(t, e.Srv.URL, e.Client.Transport, email, TestPassword)}
	b.Get("/") // picks up the CSRF token
	return b
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *Browser) Do(method, path string, form url.Values, headers ...string) Response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.Srv.URL+path, body)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if m := csrfInput.FindSubmatch(data); m != nil {
		b.CSRF = string(m[1])
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: data}
}

func (b *Browser) Get(path string) Response { b.t.Helper(); return b.Do(http.MethodGet, path, nil) }

// Post posts a form as it is, but for the login form, which a browser
// always loads before posting: without a csrf value, Post loads it first
// and sends its token.
func (b *Browser) Post(path string, form url.Values) Response {
	b.t.Helper()
	if path == "/login" && form != nil && !form.Has("csrf") {
		form.Set("csrf", LoginToken(b.t, b.Client, b.e.Srv.URL))
	}
	return b.Do(http.MethodPost, path, form)
}

// Submit posts a form with the session's CSRF token.
func (b *Browser) Submit(path string, form url.Values) Response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.CSRF)
	return b.Post(path, form)
}

func WantStatus(t *testing.T, r Response, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d\n%.600s", what, r.Status, status, r.Body)
	}
}

func WantBody(t *testing.T, r Response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(string(r.Body), p) {
			t.Fatalf("page lacks %q:\n%.3000s", p, r.Body)
		}
	}
}

func ID(n int64) string { return strconv.FormatInt(n, 10) }
