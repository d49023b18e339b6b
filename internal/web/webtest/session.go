package webtest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"leadbox/internal/store"
)

// BrowserClient is an HTTP client that keeps cookies, as a browser does,
// and does not follow redirects, so that a test sees them.
func BrowserClient(rt http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// SignIn logs email in to the UI of the server at base and returns a
// BrowserClient holding the session; it fails the test unless the login
// works.
func SignIn(t testing.TB, base string, rt http.RoundTripper, email, password string) *http.Client {
	t.Helper()
	c := BrowserClient(rt)
	form := url.Values{"email": {email}, "password": {password}, "csrf": {LoginToken(t, c, base)}}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("login %s: %d %s", email, res.StatusCode, body)
	}
	return c
}

// LoginToken opens the login page with c, as a browser does before it
// posts the form, and returns the form's CSRF token (its cookie is in c's
// jar).
func LoginToken(t testing.TB, c *http.Client, base string) string {
	t.Helper()
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatalf("GET /login: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET /login: %d, no csrf input\n%.1000s", res.StatusCode, body)
	}
	return string(m[1])
}

// APIToken creates an API token of account, made by user, and returns it
// with its secret.
func APIToken(t testing.TB, st *store.Store, account int64, user *int64, name string) (store.APIToken, string) {
	t.Helper()
	tok, secret, err := st.CreateAPIToken(context.Background(), account, name, user)
	if err != nil {
		t.Fatal(err)
	}
	return tok, secret
}
