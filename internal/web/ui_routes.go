package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"leadbox/internal/lead"
)

// uiState is what the web UI keeps between requests: parsed templates,
// static assets, the live-update hub and the login throttle.
type uiState struct {
	pages    map[string]*template.Template
	assets   map[string]asset
	hub      *hub
	throttle *throttle
	hashing  chan struct{} // bounds concurrent password hashing
	secure   bool          // cookies only over HTTPS, with the __Host- prefix
	idle     time.Duration
	max      time.Duration
	cop      *http.CrossOriginProtection
}

// initUI parses every template and loads every asset; a broken template
// stops the program here, at boot.
func (s *Server) initUI(cfg Config) {
	s.uiOwnsRoot = true
	s.ui.pages = mustParsePages()
	s.ui.assets = mustLoadAssets()
	s.ui.hub = newHub(s)
	s.ui.throttle = newThrottle()
	s.ui.hashing = make(chan struct{}, 2)
	s.ui.secure = strings.HasPrefix(cfg.BaseURL, "https://")
	s.ui.idle, s.ui.max = cfg.SessionIdle, cfg.SessionMax
	if s.ui.idle <= 0 {
		s.ui.idle = 30 * time.Minute
	}
	if s.ui.max <= 0 {
		s.ui.max = 8 * time.Hour
	}
	s.ui.cop = http.NewCrossOriginProtection()
	s.ui.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.uiError(w, r, lead.Errorf(lead.EForbidden, "csrf", "cross-origin request refused"))
	}))
}

// uiRoutes registers the managers' web UI. Every page needs a session
// (user); pages that change reference data need an admin (admin).
func (s *Server) uiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{name}", s.handleStatic)
	mux.Handle("GET /login", s.page(s.handleLoginForm))
	mux.Handle("POST /login", s.page(s.handleLogin))
	mux.Handle("POST /logout", s.user(s.handleLogout))
	mux.Handle("POST /lang", s.user(s.handleLang))
	mux.Handle("GET /password", s.user(s.handlePasswordForm))
	mux.Handle("POST /password", s.user(s.handlePassword))

	mux.Handle("GET /{$}", s.user(s.handleInbox))
	mux.Handle("GET /inbox/new", s.user(s.handleInboxNew))
	mux.Handle("GET /events", s.user(s.handleEvents))
	mux.Handle("GET /leads/{id}", s.user(s.handleLead))
	mux.Handle("POST /leads/{id}", s.user(s.handleLeadEdit))
	mux.Handle("POST /leads/{id}/no-answer", s.user(s.handleLeadNoAnswer))
	mux.Handle("POST /leads/{id}/client", s.user(s.handleLeadClient))
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

	mux.Handle("GET /settings/users", s.user(s.handleUsers))
	mux.Handle("POST /settings/users", s.admin(s.handleUserCreate))
	mux.Handle("POST /settings/users/{id}", s.admin(s.handleUserEdit))
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

// leadCreated tells open inboxes about a new lead. The webhook and the API
// call it after the lead is committed.
func (s *Server) leadCreated(l lead.Lead) { s.ui.hub.announce(l.AccountID, l.ID) }
