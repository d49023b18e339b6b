package ui_test

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// sessionCookie returns the session cookie an answer sets.
func sessionCookie(t *testing.T, r webtest.Response) *http.Cookie {
	t.Helper()
	for _, line := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && strings.HasSuffix(c.Name, "leadbox") {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", r.Header.Values("Set-Cookie"))
	return nil
}

// TestUISessionCookie: the session cookie is HttpOnly and SameSite=Lax, and
// over an https base URL Secure with the __Host- prefix (so no subdomain can
// set it); it carries a fresh 256-bit id at every login and lives at most 8
// hours.
func TestUISessionCookie(t *testing.T) {
	for _, c := range []struct {
		base, name string
		secure     bool
	}{{"http://localhost:8080", "leadbox", false}, {"https://leadbox.example", "__Host-leadbox", true}} {
		t.Run(c.name, func(t *testing.T) {
			e := webtest.NewEnv(t, "sqlite", func(cfg *web.Config) { cfg.BaseURL = c.base })
			webtest.SetPasswords(t, e)
			b := webtest.NewBrowser(t, e)
			// A session id planted before login (fixation) is not the one used after.
			u, _ := url.Parse(e.Srv.URL)
			b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: c.name, Value: "planted-by-an-attacker", Path: "/"}})
			r := b.Post("/login", url.Values{"email": {"admin@example.com"}, "password": {webtest.TestPassword}})
			webtest.WantStatus(t, r, http.StatusSeeOther, "login")
			ck := sessionCookie(t, r)
			if ck.Name != c.name || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure != c.secure {
				t.Fatalf("cookie %q: name %s HttpOnly %v SameSite %v Path %q Domain %q Secure %v; want %s, HttpOnly, Lax, /, no domain, Secure %v",
					r.Header.Get("Set-Cookie"), ck.Name, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain, ck.Secure, c.name, c.secure)
			}
			if ck.MaxAge <= 0 || ck.MaxAge > 8*3600 {
				t.Fatalf("cookie Max-Age %d, want at most 8 hours", ck.MaxAge)
			}
			raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
			if err != nil || len(raw) < 32 || ck.Value == "planted-by-an-attacker" {
				t.Fatalf("session id %q: %d bytes (%v), want 32 fresh random bytes", ck.Value, len(raw), err)
			}
			if hsts := r.Header.Get("Strict-Transport-Security"); c.secure != (hsts != "") {
				t.Fatalf("Strict-Transport-Security %q over %s", hsts, c.base)
			}
			// A second login in the same browser replaces the id; the old one is dead.
			r = b.Post("/login", url.Values{"email": {"admin@example.com"}, "password": {webtest.TestPassword}})
			if again := sessionCookie(t, r); again.Value == ck.Value {
				t.Fatal("a second login kept the session id")
			}
			stale := webtest.NewBrowser(t, e)
			stale.Client.Jar.SetCookies(u, []*http.Cookie{{Name: c.name, Value: ck.Value, Path: "/"}})
			if !c.secure { // the jar sends a Secure cookie over https only
				webtest.WantStatus(t, stale.Get("/"), http.StatusSeeOther, "the replaced session id")
			} else if _, err := e.Store.SessionByHash(context.Background(), lead.HashToken(ck.Value), time.Hour, 8*time.Hour); err == nil {
				t.Fatal("the replaced session id still names a session")
			}
		})
	}
}

// browserFrom is a browser whose connections come from another loopback
// address, so that it has its own login throttle.
func browserFrom(t *testing.T, e *webtest.Env, ip net.IP) *webtest.Browser {
	b := webtest.NewBrowser(t, e)
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	jar, _ := cookiejar.New(nil)
	b.Client = &http.Client{Jar: jar, Transport: tr, CheckRedirect: b.Client.CheckRedirect}
	return b
}

// TestUILoginSameAnswer: a wrong password and an unknown email get the same
// page and take about as long (an unknown email is checked against a dummy
// hash), so the login does not tell which emails have accounts; throttled,
// both get the same 429.
func TestUILoginSameAnswer(t *testing.T) {
	e := webtest.NewEnv(t, "sqlite")
	webtest.SetPasswords(t, e)
	// Ten of each, interleaved, from two addresses and over three accounts
	// so that no throttle bucket (5 per email, 20 per address) runs out.
	const n = 10
	from := []*webtest.Browser{browserFrom(t, e, net.IPv4(127, 0, 0, 10)), browserFrom(t, e, net.IPv4(127, 0, 0, 11))}
	try := func(i int, email string) (webtest.Response, time.Duration) {
		start := time.Now()
		r := from[i%2].Post("/login", url.Values{"email": {email}, "password": {"wrong password"}})
		return r, time.Since(start)
	}
	var wrong, unknown []time.Duration
	var pages []string
	for i := range n {
		known := []string{"admin@example.com", "manager@example.com", "boss@rival.example"}[i%3]
		r, d := try(i, known)
		webtest.WantStatus(t, r, http.StatusUnauthorized, "wrong password")
		wrong = append(wrong, d)
		pages = append(pages, sameAnswer(r.Body, known))
		ghost := "ghost" + webtest.ID(int64(i)) + "@example.com"
		r, d = try(i, ghost)
		webtest.WantStatus(t, r, http.StatusUnauthorized, "unknown email")
		unknown = append(unknown, d)
		pages = append(pages, sameAnswer(r.Body, ghost))
	}
	for _, p := range pages[1:] {
		if p != pages[0] {
			t.Fatalf("answers differ:\n%s\n---\n%s", pages[0], p)
		}
	}
	median := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	mw, mu := median(wrong), median(unknown)
	t.Logf("median of %d: wrong password %v, unknown email %v", n, mw, mu)
	if mu < mw/3 || mu > mw*3 {
		t.Fatalf("median time: wrong password %v, unknown email %v; want within a factor of 3", mw, mu)
	}

	// Throttled: five failures per email, then the same 429 for both kinds.
	c := browserFrom(t, e, net.IPv4(127, 0, 0, 3))
	var throttled []string
	for _, email := range []string{"manager@example.com", "nobody@example.com"} {
		var r webtest.Response
		for range 6 {
			r = c.Post("/login", url.Values{"email": {email}, "password": {"wrong password"}})
		}
		webtest.WantStatus(t, r, http.StatusTooManyRequests, "sixth try for "+email)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		throttled = append(throttled, sameAnswer(r.Body, email))
	}
	if throttled[0] != throttled[1] {
		t.Fatalf("throttled answers differ:\n%s\n---\n%s", throttled[0], throttled[1])
	}
}

// sameAnswer is a login page with its email and the form's token (each
// browser's own) blanked out.
func sameAnswer(page []byte, email string) string {
	page = regexp.MustCompile(`name="csrf" value="[^"]+"`).ReplaceAll(page, []byte(`name="csrf" value="TOKEN"`))
	return strings.ReplaceAll(string(page), email, "EMAIL")
}

// TestUIPasswordBounds: passwords are stored as argon2id PHC strings with
// OWASP's parameters, and one over 1024 bytes is refused with a message, at
// the UI and the API, never hashed.
func TestUIPasswordBounds(t *testing.T) {
	a := webtest.NewAPIEnv(t, "sqlite")
	e := a.Env
	webtest.SetPasswords(t, e)
	ctx := context.Background()
	b := webtest.Login(t, e, "manager@example.com")
	webtest.WantStatus(t, b.Submit("/password", url.Values{"current": {webtest.TestPassword}, "new": {"a new password"}}), http.StatusSeeOther, "change")
	b.Get("/password") // the fresh session's CSRF token
	u := webtest.Must[lead.User](t)(e.Store.GetUser(ctx, e.Acct.ID, e.Manager.ID))
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`).FindStringSubmatch(u.PasswordHash)
	if phc == nil {
		t.Fatalf("stored hash %q is not argon2id with m=19456,t=2,p=1", u.PasswordHash)
	}
	salt, _ := base64.RawStdEncoding.DecodeString(phc[1])
	key, _ := base64.RawStdEncoding.DecodeString(phc[2])
	if len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d bytes, key %d bytes; want 16 and 32", len(salt), len(key))
	}

	for _, long := range []string{strings.Repeat("p", 1025), strings.Repeat("я", 513), strings.Repeat("p", 1<<20)} {
		r := b.Submit("/password", url.Values{"current": {"a new password"}, "new": {long}})
		webtest.WantStatus(t, r, http.StatusSeeOther, "too long")
		webtest.WantBody(t, b.Get("/password"), "Пароль должен быть от 8 до 1024 байт.")
		if now := webtest.Must[lead.User](t)(e.Store.GetUser(ctx, e.Acct.ID, e.Manager.ID)); now.PasswordHash != u.PasswordHash {
			t.Fatalf("a %d-byte password was stored", len(long))
		}
		r = a.Call(t, http.MethodPost, "/api/v1/users", `{"email": "long`+webtest.ID(int64(len(long)))+`@example.com", "password": "`+long+`"}`)
		if len(long) < 1<<20 {
			webtest.WantAPIError(t, r, 422, "password")
		} else {
			webtest.WantAPIError(t, r, 413, "body") // over the API's 1 MiB body limit before any field is read
		}
	}
	// A long password at login is a wrong one, answered like any other.
	start := time.Now()
	r := webtest.NewBrowser(t, e).Post("/login", url.Values{"email": {"admin@example.com"}, "password": {strings.Repeat("p", 1<<20)}})
	webtest.WantStatus(t, r, http.StatusUnauthorized, "1 MB password at login")
	t.Logf("1 MB password at login answered in %v", time.Since(start))
	if _, err := e.Store.UserByEmail(ctx, "long1025@example.com"); err == nil {
		t.Fatal("the API created a user with a 1025-byte password")
	}
}

// TestUISecurityHeaders: every UI page, error pages and the login included,
// carries a CSP that allows no inline script and no framing, nosniff and
// X-Frame-Options DENY; no page or template holds an inline script or an
// event-handler attribute the CSP would block.
func TestUISecurityHeaders(t *testing.T) {
	e := webtest.NewEnv(t, "sqlite")
	webtest.SetPasswords(t, e)
	webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "<script>alert(1)</script>", "phone": "79990004501", "x": "\" onmouseover=\"alert(1)"}`))
	myLead := webtest.Must[[]lead.Lead](t)(e.Store.ListLeads(context.Background(), e.Acct.ID, store.LeadFilter{}))[0]
	// Shown as text and inside a value="…" (a task's edit form): any
	// "on…=" in it would trip the event-handler check below, escaped or not.
	hostile := "<script>alert(1)</script>\"'><b>"
	note := webtest.Must[lead.Note](t)(e.Store.AddNote(context.Background(), e.Acct.ID, myLead.ID, &e.Admin.ID, hostile))
	task := webtest.Must[lead.Task](t)(e.Store.AddTask(context.Background(), store.NewTask{AccountID: e.Acct.ID, LeadID: myLead.ID,
		UserID: &e.Admin.ID, Text: hostile, Due: 1}))
	myFilter, myUpload := inboxRows(t, e.Store, e.Acct.ID, e.Admin.ID, "Мой")
	erased := webtest.Must[lead.Erasure](t)(e.Store.Erase(context.Background(), store.EraseRequest{AccountID: e.Acct.ID,
		Actor: hostile, Phone: "79990009999", Reason: hostile}))
	mine := ids{myLead.ID, e.Src.ID, e.Manager.ID, e.Office.ID, e.City.ID, e.Stage.ID, *myLead.DeliveryID, note.ID, task.ID, myFilter, myUpload, erased.ID}
	admin := webtest.Login(t, e, "admin@example.com")
	manager := webtest.Login(t, e, "manager@example.com")
	pages := map[string]webtest.Response{
		"GET /login (anonymous)":           webtest.NewBrowser(t, e).Get("/login"),
		"POST /login wrong password":       webtest.NewBrowser(t, e).Post("/login", url.Values{"email": {"x@example.com"}, "password": {"wrong wrong"}}),
		"GET /nope (404 page)":             admin.Get("/nope"),
		"GET /leads/999999 (404 page)":     admin.Get("/leads/999999"),
		"POST /sources as a manager (403)": manager.Submit("/sources", url.Values{"name": {"x"}}),
		"POST without CSRF (403)":          admin.Post("/settings/offices", url.Values{"name": {"x"}}),
		"GET / anonymous (redirect)":       webtest.NewBrowser(t, e).Get("/"),
	}
	for _, rt := range uiRouteTable(t) {
		if rt.method != http.MethodGet || rt.pattern == "/events" {
			continue
		}
		for _, p := range fill(t, rt.pattern, mine) {
			pages["GET "+p] = admin.Get(p)
		}
	}
	script := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	handler := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	for name, r := range pages {
		if r.Status >= 500 {
			t.Errorf("%s: %d", name, r.Status)
		}
		checkCSP(t, name, r.Header)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			// Not a page: an icon, a count, or an export, which is data a
			// browser must save, never render.
			if strings.Contains(name, "/export") && (r.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment")) {
				t.Errorf("%s: %s answered without nosniff, or not as an attachment", name, ct)
			}
			continue
		}
		body := string(r.Body)
		for _, m := range script.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline script %q", name, m[0])
			}
		}
		if m := handler.FindString(body); m != "" {
			t.Errorf("%s: event-handler attribute in %q", name, m)
		}
		if strings.Contains(strings.ToLower(body), "javascript:") {
			t.Errorf("%s: a javascript: URL", name)
		}
	}
	if len(pages) < 15 {
		t.Fatalf("only %d pages checked", len(pages))
	}
	// The templates themselves, including states the walk did not reach.
	files, _ := filepath.Glob("templates/*.html")
	more, _ := filepath.Glob("templates/*/*.html")
	files = append(files, more...)
	if len(files) < 5 {
		t.Fatalf("found %d templates", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range script.FindAllStringSubmatch(string(b), -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline script %q", f, m[0])
			}
		}
		if m := handler.FindString(string(b)); m != "" {
			t.Errorf("%s: event-handler attribute in %q", f, m)
		}
	}
	t.Logf("%d pages and %d templates checked", len(pages), len(files))
	// Static files are never sniffed into something else.
	for _, name := range []string{"app.js", "app.css"} {
		r := admin.Get("/static/" + name)
		webtest.WantStatus(t, r, 200, name)
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("/static/%s without nosniff", name)
		}
	}
}

// checkCSP checks a UI answer's security headers.
func checkCSP(t *testing.T, name string, h http.Header) {
	t.Helper()
	directives := map[string][]string{}
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			directives[strings.ToLower(f[0])] = f[1:]
		}
	}
	scripts, ok := directives["script-src"]
	if !ok {
		scripts, ok = directives["default-src"]
	}
	if !ok {
		t.Errorf("%s: CSP %q limits no scripts", name, h.Get("Content-Security-Policy"))
	}
	for _, v := range scripts {
		if v == "'unsafe-inline'" || v == "'unsafe-eval'" || v == "*" || v == "data:" || v == "http:" || v == "https:" {
			t.Errorf("%s: CSP allows scripts from %s", name, v)
		}
	}
	if fa := directives["frame-ancestors"]; len(fa) != 1 || fa[0] != "'none'" {
		t.Errorf("%s: CSP frame-ancestors %v, want 'none'", name, fa)
	}
	if v := h.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", name, v)
	}
	if v := h.Get("X-Frame-Options"); v != "DENY" {
		t.Errorf("%s: X-Frame-Options %q", name, v)
	}
}
