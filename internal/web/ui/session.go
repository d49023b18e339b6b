package ui

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// session is the signed-in user of a request.
type session struct {
	store.Session
	idHash string
}

type sessionKey struct{}

func sessionOf(r *http.Request) *session {
	ss, _ := r.Context().Value(sessionKey{}).(*session)
	return ss
}

func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-leadbox"
	}
	return "leadbox"
}

// page wraps a handler that needs no session: security headers and
// cross-origin protection only.
func (s *Server) page(h http.HandlerFunc) http.Handler {
	return s.uiHeaders(s.cop.Handler(h))
}

// user wraps a handler that needs a signed-in user: without a live session a
// GET goes to the login page and anything else is refused; a state-changing
// request must also carry the session's CSRF token.
func (s *Server) user(h http.HandlerFunc) http.Handler {
	return s.page(func(w http.ResponseWriter, r *http.Request) {
		ss, err := s.loadSession(r)
		if err != nil {
			if errors.Is(err, errNoSession) {
				s.clearCookie(w)
				if r.Method == http.MethodGet && r.URL.Path != "/events" {
					http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				err = lead.Errorf(lead.EUnauthorized, "session", "session expired")
			}
			s.uiError(w, r, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !validCSRF(r, ss.CSRF) {
			s.uiError(w, r, lead.Errorf(lead.EForbidden, "csrf", "bad CSRF token"))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, ss)))
	})
}

// admin wraps a handler only admins may use.
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request) {
		if sessionOf(r).User.Role != lead.RoleAdmin {
			s.uiError(w, r, lead.Errorf(lead.EForbidden, "role", "admins only"))
			return
		}
		h(w, r)
	})
}

func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

var errNoSession = errors.New("no session")

// loadSession finds the request's live session and notes its use (at most
// once a minute, to spare the writer).
func (s *Server) loadSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	hash := lead.HashToken(c.Value)
	ss, err := s.store.SessionByHash(r.Context(), hash, s.idle, s.max)
	var le *lead.Error
	if errors.As(err, &le) && le.Code == lead.ENotFound {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if ss.Stale {
		if err := s.store.TouchSession(r.Context(), hash); err != nil {
			return nil, err
		}
	}
	return &session{Session: ss, idHash: hash}, nil
}

// startSession signs a user in with a fresh session id, whatever id the
// browser had before.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	if old, err := r.Cookie(s.cookieName()); err == nil {
		s.store.DeleteSession(r.Context(), lead.HashToken(old.Value))
	}
	id := lead.NewToken("")
	if err := s.store.CreateSession(r.Context(), lead.HashToken(id), userID, lead.NewToken("")); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.max / time.Second)})
	return nil
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// uiHeaders sets the headers every UI answer carries.
func (s *Server) uiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

func contextWithSession(r *http.Request, ss *session) context.Context {
	return context.WithValue(r.Context(), sessionKey{}, ss)
}
