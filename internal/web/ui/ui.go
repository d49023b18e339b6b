// Package ui serves the managers' web pages: sessions and CSRF
// (session.go), the login throttle, the inbox, lead cards, sources and
// their delivery logs, reference data and the dashboard, one file per page
// or action. Routes (ui.go) lists every page. Templates (templates/) and
// static files (static/) are embedded and parsed once, at New; every text
// they show is a key of the message catalogue (package i18n).
package ui

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/live"
)

// Config is what the web UI needs.
type Config struct {
	Store   *store.Store
	Decoder *intake.Decoder
	Logger  *slog.Logger
	BaseURL string // https:// makes cookies Secure and __Host- prefixed
	Hub     *live.Hub
	// Reread reads a quarantined request again, for re-processing.
	Reread func(lead.Source, lead.Delivery) (store.Reprocessed, error)

	// Sessions end after SessionIdle without a request or SessionMax after
	// login; zero means 30 minutes and 8 hours.
	SessionIdle time.Duration
	SessionMax  time.Duration
}

// Server is the web UI's handlers and what they keep between requests:
// parsed templates, static assets, the live-update hub and the login
// throttle.
type Server struct {
	store    *store.Store
	decoder  *intake.Decoder
	log      *slog.Logger
	baseURL  string
	hub      *live.Hub
	reread   func(lead.Source, lead.Delivery) (store.Reprocessed, error)
	pages    *pageSet
	zones    sync.Map // zone name → *time.Location
	assets   map[string]asset
	throttle *throttle
	counts   *counts       // the inbox's large totals (inbox_count.go)
	hashing  chan struct{} // bounds concurrent password hashing
	secure   bool          // cookies only over HTTPS, with the __Host- prefix
	idle     time.Duration
	max      time.Duration
	cop      *http.CrossOriginProtection
}

// New parses every template and loads every asset; a broken template
// stops the program here, at boot.
func New(cfg Config) *Server {
	s := &Server{
		store:    cfg.Store,
		decoder:  cfg.Decoder,
		log:      cfg.Logger,
		baseURL:  cfg.BaseURL,
		hub:      cfg.Hub,
		reread:   cfg.Reread,
		pages:    mustParsePageSet(),
		assets:   mustLoadAssets(),
		throttle: newThrottle(),
		counts:   newCounts(),
		hashing:  make(chan struct{}, 2),
		secure:   strings.HasPrefix(cfg.BaseURL, "https://"),
		idle:     cfg.SessionIdle,
		max:      cfg.SessionMax,
	}
	if s.idle <= 0 {
		s.idle = 30 * time.Minute
	}
	if s.max <= 0 {
		s.max = 8 * time.Hour
	}
	s.cop = http.NewCrossOriginProtection()
	s.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.uiError(w, r, lead.Errorf(lead.EForbidden, "csrf", "cross-origin request refused"))
	}))
	return s
}

// Routes registers the managers' web UI, "/" included: every path no other
// surface takes gets the UI's not-found answer. Every page needs a session
// (user); pages that change reference data need an admin (admin).
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{name}", s.handleStatic)
	mux.Handle("GET /favicon.ico", s.uiHeaders(http.HandlerFunc(s.handleFavicon)))
	mux.Handle("GET /login", s.page(s.handleLoginForm))
	mux.Handle("POST /login", s.page(s.handleLogin))
	mux.Handle("POST /logout", s.user(s.handleLogout))
	mux.Handle("POST /lang", s.user(s.handleLang))
	mux.Handle("GET /password", s.user(s.handlePasswordForm))
	mux.Handle("POST /password", s.user(s.handlePassword))
	mux.Handle("POST /timezone", s.user(s.handleUserZone))

	mux.Handle("GET /{$}", s.user(s.handleInbox))
	mux.Handle("GET /inbox/new", s.user(s.handleInboxNew))
	mux.Handle("GET /inbox/count", s.user(s.handleInboxCount))
	mux.Handle("GET /inbox/export", s.user(s.handleInboxExport))
	mux.Handle("POST /inbox/bulk", s.user(s.handleInboxBulk))
	mux.Handle("POST /inbox/filters", s.user(s.handleFilterSave))
	mux.Handle("POST /inbox/filters/{id}/delete", s.user(s.handleFilterDelete))
	mux.Handle("GET /kanban", s.user(s.handleKanban))
	mux.Handle("POST /leads/{id}/stage", s.user(s.handleLeadStage))
	mux.Handle("GET /import", s.user(s.handleImportForm))
	mux.Handle("POST /import", s.limitUpload(s.user(s.handleImportUpload)))
	mux.Handle("GET /import/{id}", s.user(s.handleImportMapping))
	mux.Handle("POST /import/{id}", s.user(s.handleImportRun))
	mux.Handle("GET /events", s.user(s.handleEvents))
	mux.Handle("GET /leads/{id}", s.user(s.handleLead))
	mux.Handle("POST /leads/{id}", s.user(s.handleLeadEdit))
	mux.Handle("POST /leads/{id}/no-answer", s.user(s.handleLeadNoAnswer))
	mux.Handle("POST /leads/{id}/client", s.user(s.handleLeadClient))
	mux.Handle("GET /leads/new", s.user(s.handleLeadNewForm))
	mux.Handle("POST /leads", s.user(s.handleLeadCreate))
	mux.Handle("GET /leads/dups", s.user(s.handleLeadDups))
	mux.Handle("POST /leads/{id}/notes", s.user(s.handleNoteCreate))
	mux.Handle("POST /notes/{id}", s.user(s.handleNoteEdit))
	mux.Handle("POST /notes/{id}/delete", s.user(s.handleNoteDelete))
	mux.Handle("POST /leads/{id}/tasks", s.user(s.handleTaskCreate))
	mux.Handle("POST /tasks/{id}", s.user(s.handleTaskEdit))
	mux.Handle("POST /tasks/{id}/done", s.user(s.handleTaskDone))
	mux.Handle("POST /tasks/{id}/reopen", s.user(s.handleTaskReopen))
	mux.Handle("POST /tasks/{id}/delete", s.user(s.handleTaskDelete))
	mux.Handle("GET /tasks", s.user(s.handleTasks))
	mux.Handle("GET /tasks/due", s.user(s.handleTasksDue))
	mux.Handle("GET /dashboard", s.user(s.handleDashboard))

	mux.Handle("GET /sources", s.user(s.handleSources))
	mux.Handle("POST /sources", s.admin(s.handleSourceCreate))
	mux.Handle("GET /sources/{id}", s.user(s.handleSource))
	mux.Handle("POST /sources/{id}", s.admin(s.handleSourceEdit))
	mux.Handle("POST /sources/{id}/rotate", s.admin(s.handleSourceRotate))
	mux.Handle("POST /sources/{id}/enabled", s.admin(s.handleSourceEnabled))
	mux.Handle("POST /sources/{id}/reading", s.admin(s.handleSourceReading))
	mux.Handle("POST /sources/{id}/reprocess", s.admin(s.handleSourceReprocessAll))
	mux.Handle("POST /sources/{id}/deliveries/{deliveryId}/reprocess", s.admin(s.handleDeliveryReprocess))

	mux.Handle("GET /settings/account", s.user(s.handleAccount))
	mux.Handle("POST /settings/account", s.admin(s.handleAccountEdit))
	mux.Handle("GET /settings/users", s.user(s.handleUsers))
	mux.Handle("POST /settings/users", s.admin(s.handleUserCreate))
	mux.Handle("POST /settings/users/{id}", s.admin(s.handleUserEdit))
	mux.Handle("GET /settings/erasure", s.admin(s.handleErasures))
	mux.Handle("POST /settings/erasure", s.admin(s.handleErasure))
	mux.Handle("GET /settings/erasure/{id}", s.admin(s.handleErasureAct))
	mux.Handle("GET /settings/erasure/{id}/log.csv", s.admin(s.handleErasureLog))
	mux.Handle("GET /settings/{kind}", s.user(s.handleRefs))
	mux.Handle("POST /settings/{kind}", s.admin(s.handleRefCreate))
	mux.Handle("POST /settings/{kind}/{id}", s.admin(s.handleRefEdit))
	mux.Handle("POST /settings/{kind}/{id}/delete", s.admin(s.handleRefDelete))
	mux.Handle("GET /settings/stages", s.user(s.handleStages))
	mux.Handle("POST /settings/stages", s.admin(s.handleStageCreate))
	mux.Handle("POST /settings/stages/{id}", s.admin(s.handleStageEdit))
	mux.Handle("POST /settings/stages/{id}/move", s.admin(s.handleStageMove))
	mux.Handle("POST /settings/stages/{id}/delete", s.admin(s.handleStageDelete))

	mux.Handle("/", s.uiHeaders(http.HandlerFunc(s.handleNotFoundPage)))
}
