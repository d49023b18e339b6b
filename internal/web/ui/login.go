package ui

import (
	"crypto/subtle"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/web/respond"
)

// dummyHash is checked against when the email is unknown, so the answer
// takes as long as for a wrong password and does not reveal which emails
// exist.
// It is made at the first login attempt, not at start: a hash costs ~20 MiB
// and tens of milliseconds, which every start and every CLI command paid.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("leadbox-no-such-user")
	return h
})

type loginForm struct {
	Email string
	Next  string
	Error string
	CSRF  string
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	form := loginForm{Next: localPath(r.URL.Query().Get("next")), CSRF: s.loginToken(w, r)}
	s.render(w, r, http.StatusOK, "login", s.newView(w, r, "", "login.title", form))
}

// handleLogin checks the form's token, then the password, throttled (see
// throttle), and starts a fresh session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	form := loginForm{Email: strings.TrimSpace(r.PostFormValue("email")), Next: localPath(r.PostFormValue("next"))}
	if !s.validLoginToken(r) {
		// Not the form this server gave this browser: a cross-site post
		// (login CSRF), or a form older than its cookie.
		form.CSRF, form.Error = s.loginToken(w, r), "login.expired"
		s.render(w, r, http.StatusForbidden, "login", s.newView(w, r, "", "login.title", form))
		return
	}
	form.CSRF = r.PostFormValue("csrf")
	if wait := s.throttle.wait(strings.ToLower(form.Email), respond.RemoteHost(r)); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		form.Error = "login.throttled"
		s.render(w, r, http.StatusTooManyRequests, "login", s.newView(w, r, "", "login.title", form))
		return
	}
	u, ok, err := s.checkLogin(r, form.Email, r.PostFormValue("password"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if !ok {
		s.throttle.failed(strings.ToLower(form.Email), respond.RemoteHost(r))
		form.Error = "login.wrong"
		s.render(w, r, http.StatusUnauthorized, "login", s.newView(w, r, "", "login.title", form))
		return
	}
	if err := s.startSession(w, r, u.ID); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.throttle.succeeded(strings.ToLower(form.Email), respond.RemoteHost(r))
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
}

// The login form's CSRF token, there being no session yet to keep it in: a
// random value in a cookie of its own (HttpOnly, SameSite=Strict) and in
// the form, which must match (double submit). Another site can neither read
// the cookie nor make the browser send it with a cross-site post.
func (s *Server) loginCookieName() string {
	if s.secure {
		return "__Host-leadbox-login"
	}
	return "leadbox-login"
}

// loginToken returns the browser's login token, giving it one if it has
// none.
func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.loginCookieName()); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	tok := lead.NewToken("")
	http.SetCookie(w, &http.Cookie{Name: s.loginCookieName(), Value: tok, Path: "/", MaxAge: 12 * 3600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	return tok
}

func (s *Server) validLoginToken(r *http.Request) bool {
	c, err := r.Cookie(s.loginCookieName())
	got := r.PostFormValue("csrf")
	return err == nil && len(c.Value) >= 32 && subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) == 1
}

// checkLogin reports whether email and pw name an active user; hashing is
// bounded so a flood of logins cannot eat the memory argon2id needs.
func (s *Server) checkLogin(r *http.Request, email, pw string) (lead.User, bool, error) {
	u, err := s.store.UserByEmail(r.Context(), email)
	hash := u.PasswordHash
	if err != nil {
		if le, ok := err.(*lead.Error); !ok || le.Code != lead.ENotFound {
			return u, false, err
		}
		hash = dummyHash()
	}
	select {
	case s.hashing <- struct{}{}:
	case <-r.Context().Done():
		return u, false, r.Context().Err()
	}
	ok, _, _ := password.Check(pw, hash)
	<-s.hashing
	return u, ok && err == nil && u.Active, nil
}
