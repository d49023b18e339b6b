package ui

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/i18n"
	"leadbox/internal/web/respond"
)

//go:embed templates
var templateFS embed.FS

// view is what every page template gets: the translator, the user, the
// CSRF token for its forms, a one-time notice and the page's own data.
type view struct {
	Lang     string
	User     *lead.User
	CSRF     string
	Title    string
	Nav      string
	due      func() int // the user's open tasks due by now, counted when the layout asks (Due)
	dueN     *int
	Flash    string
	FlashErr bool
	Data     any
	// Loc is the time zone the user sees times in.
	Loc    *time.Location
	assets map[string]asset
	// Quiet are the account's sources that went quiet, shown to admins on
	// every page (quiet.go).
	Quiet []store.QuietSource
}

// T translates a key of the translation table into the user's language.
func (v *view) T(key string) string { return i18n.T(v.Lang, key) }

// Asset returns a static file's URL with its checksum, so browsers may cache
// it forever.
func (v *view) Asset(name string) string { return "/static/" + name + "?v=" + v.assets[name].sum }

// Due is the number on «Мои задачи» in the menu, counted once per page and
// only for pages with the menu (not for the pieces the page's scripts fetch).
func (v *view) Due() int {
	if v.dueN == nil {
		n := 0
		if v.due != nil {
			n = v.due()
		}
		v.dueN = &n
	}
	return *v.dueN
}

// IsAdmin reports whether the user may change reference data.
func (v *view) IsAdmin() bool { return v.User != nil && v.User.Role == lead.RoleAdmin }

// pageSet is every page, parsed once, and its copies per time zone: the
// templates' time helpers ("when", "date", "whenMs") show times in the
// zone of the copy. The parsed pages are never executed, so that they can
// be cloned for a zone met later.
type pageSet struct {
	parsed map[string]*template.Template
	mu     sync.Mutex
	zones  atomic.Pointer[map[string]map[string]*template.Template] // by zone name, copy on write
}

func mustParsePageSet() *pageSet {
	ps := &pageSet{parsed: mustParsePages()}
	ps.zones.Store(&map[string]map[string]*template.Template{})
	return ps
}

// in returns the pages that show times in loc.
func (ps *pageSet) in(loc *time.Location) map[string]*template.Template {
	if pages, ok := (*ps.zones.Load())[loc.String()]; ok {
		return pages
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	old := *ps.zones.Load()
	if pages, ok := old[loc.String()]; ok {
		return pages
	}
	pages := make(map[string]*template.Template, len(ps.parsed))
	funcs := timeFuncs(loc)
	for name, t := range ps.parsed {
		pages[name] = template.Must(t.Clone()).Funcs(funcs)
	}
	next := make(map[string]map[string]*template.Template, len(old)+1)
	maps.Copy(next, old)
	next[loc.String()] = pages
	ps.zones.Store(&next)
	return pages
}

// mustParsePages parses each page with the layout and the partials.
func mustParsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html"))
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil || len(files) == 0 {
		panic("web: no page templates")
	}
	pages := make(map[string]*template.Template, len(files))
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, f))
	}
	return pages
}

// newView starts the view of a request: language and user from the session,
// and the flash notice, which it consumes.
func (s *Server) newView(w http.ResponseWriter, r *http.Request, nav, title string, data any) *view {
	v := &view{Lang: "ru", Nav: nav, Data: data, assets: s.assets, Loc: s.zone(store.DefaultTimezone)}
	if ss := sessionOf(r); ss != nil {
		v.User, v.CSRF, v.Lang, v.Loc = &ss.User, ss.CSRF, ss.Lang, s.zone(ss.Zone)
		v.due = func() int { return s.dueCount(r, ss) }
		if v.IsAdmin() {
			v.Quiet = s.quietSources(r, ss.User.AccountID)
		}
	}
	v.Title = v.T(title)
	if c, err := r.Cookie("leadbox_flash"); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			kind, msg, _ := strings.Cut(string(b), "|")
			v.Flash, v.FlashErr = msg, kind == "err"
			if kind == "ok" {
				v.Flash = v.T(msg)
			}
		}
		http.SetCookie(w, &http.Cookie{Name: "leadbox_flash", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	return v
}

// render executes a page into a buffer first, so a template failure answers
// an error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	s.renderTemplate(w, r, status, page, "layout", v)
}

func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, name string, v *view) {
	var buf bytes.Buffer
	loc := v.Loc
	if loc == nil {
		loc = s.zone(store.DefaultTimezone)
	}
	if err := s.pages.in(loc)[page].ExecuteTemplate(&buf, name, v); err != nil {
		s.log.Error("render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// uiError answers an error as an HTML page with the status the error code
// maps to; the details of internal failures go to the log only.
func (s *Server) uiError(w http.ResponseWriter, r *http.Request, err error) {
	e := respond.Public(err)
	if e.Code == lead.EUnavailable || e.Code == lead.EInternal {
		s.log.Error("ui request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status := respond.Status(e.Code)
	v := s.newView(w, r, "", "error."+strconv.Itoa(status), nil)
	if e.Code == lead.EInvalid || e.Code == lead.EConflict || e.Code == lead.ETooLarge {
		v.Data = messages(v.Lang, e)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	s.render(w, r, status, "error", v)
}

// messages joins an error's user-facing messages, in English for a user who
// chose it (messages are made in Russian; the catalogue says them in
// English for the API too).
func messages(lang string, e *lead.Error) string {
	if lang == "en" {
		e = i18n.Translate(e)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Messages...)
	}
	return strings.Join(out, " ")
}

// formError sends a user back to the form with the validation message, or
// answers an error page for anything else.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, back string) {
	var e *lead.Error
	if errors.As(err, &e) && (e.Code == lead.EInvalid || e.Code == lead.EConflict) {
		lang := "ru"
		if ss := sessionOf(r); ss != nil {
			lang = ss.Lang
		}
		s.flash(w, "err", messages(lang, e))
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	s.uiError(w, r, err)
}

// flash leaves a one-time notice for the next page; an "ok" message is a
// translation key, an "err" or "raw" message is shown as is.
func (s *Server) flash(w http.ResponseWriter, kind, msg string) {
	http.SetCookie(w, &http.Cookie{Name: "leadbox_flash", Value: base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + msg)),
		Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// done redirects after a successful change, with a notice.
func (s *Server) done(w http.ResponseWriter, r *http.Request, to, msg string) {
	s.flash(w, "ok", msg)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// handleNotFoundPage answers unknown paths: a page for browsers, the JSON
// error for machines (webhook and API paths, or no Accept: text/html).
func (s *Server) handleNotFoundPage(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/hooks/") || strings.HasPrefix(r.URL.Path, "/api/") ||
		!strings.Contains(r.Header.Get("Accept"), "text/html") {
		respond.NotFound(s.log, w, r)
		return
	}
	if ss, err := s.loadSession(r); err == nil {
		r = r.WithContext(contextWithSession(r, ss))
	}
	s.uiError(w, r, lead.Errorf(lead.ENotFound, "path", "Страница не найдена."))
}

// formID reads an optional id from a form or query value: "" is nil.
func formID(v string) (*int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, lead.Errorf(lead.EInvalid, "id", "Неверный идентификатор.")
	}
	return &id, nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localPath accepts only a path on this site as a redirect target. Browsers
// drop tabs and newlines from a URL ("/\t/evil.example" is "//evil.example")
// and read a backslash as a slash, so control characters are refused too.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return p
}

// zone returns the location of an IANA zone name, read once per name; an
// unknown name (a zone the store accepted on another machine) is the
// default zone.
func (s *Server) zone(name string) *time.Location {
	if loc, ok := s.zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		if loc, err = time.LoadLocation(store.DefaultTimezone); err != nil {
			loc = time.UTC
		}
	}
	s.zones.Store(name, loc)
	return loc
}
