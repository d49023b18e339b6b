// Package api serves the REST API under /api/v1 for integrations: bearer
// tokens, JSON in the webhook's field names, cursor paging. apiTable (api.go)
// lists every route; openapi.json documents them, and a test keeps the two
// equal. One file per resource: lead.go, source.go (and reading.go, its
// reading settings and delivery log), user.go, ref.go (offices, cities),
// stage.go, client.go, notes.go, tasks.go; request.go reads bodies and
// parameters.
package api

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/i18n"
	"leadbox/internal/web/live"
	"leadbox/internal/web/ratelimit"
	"leadbox/internal/web/respond"
)

// MaxBody is the largest request body the REST API reads.
const MaxBody = 1 << 20

// apiTimeout bounds the storage work of one API request.
const apiTimeout = 10 * time.Second

// streamTimeout bounds a download's, a million-lead export's included.
const streamTimeout = 30 * time.Minute

// openapiDoc is the API's contract; api_openapi_test.go keeps it and apiTable
// in step, and checks every answer the tests get against its schemas.
//
//go:embed openapi.json
var openapiDoc []byte

// Config is what the REST API needs.
type Config struct {
	Store   *store.Store
	Decoder *intake.Decoder
	Logger  *slog.Logger
	BaseURL string     // public URL of the server, for webhook URLs
	Rate    rate.Limit // per token; zero turns the limit off
	Burst   int
	Hub     *live.Hub
	// Reread reads a quarantined request again, for re-processing.
	Reread func(lead.Source, lead.Delivery) (store.Reprocessed, error)
}

// Server is the REST API's handlers and what they keep between requests.
type Server struct {
	store   *store.Store
	decoder *intake.Decoder
	log     *slog.Logger
	baseURL string
	hub     *live.Hub
	reread  func(lead.Source, lead.Delivery) (store.Reprocessed, error)
	limits  *ratelimit.Limiter // per token: the source bucket, keyed by token id
	paths   *http.ServeMux     // every route's path without its method, to tell 405 from 404
	allow   map[string]string
}

// New returns the REST API; Routes mounts it.
func New(cfg Config) *Server {
	return &Server{
		store:   cfg.Store,
		decoder: cfg.Decoder,
		log:     cfg.Logger,
		baseURL: cfg.BaseURL,
		hub:     cfg.Hub,
		reread:  cfg.Reread,
		limits:  ratelimit.New(cfg.Rate, cfg.Burst, 0, 0),
	}
}

// apiRoute is one endpoint of the REST API.
type apiRoute struct {
	method, path string
	handle       apiHandler
	stream       apiStreamer   // instead of handle: writes its own answer, a download, for as long as it takes
	public       bool          // no token needed
	timeout      time.Duration // instead of apiTimeout
}

// apiStreamer answers a request itself; an error it returns before it
// wrote anything is answered as usual.
type apiStreamer func(w http.ResponseWriter, r *http.Request, c apiCaller) error

// apiHandler does one request for an authenticated caller and returns the
// status and the value to send as JSON (nil for no body).
type apiHandler func(r *http.Request, c apiCaller) (int, any, error)

// apiTable lists every endpoint of the REST API. Tokens act as an admin of
// their account, so no route needs a role beyond a valid token.
func (s *Server) apiTable() []apiRoute {
	return []apiRoute{
		{method: "GET", path: "/api/v1/openapi.json", handle: s.apiOpenAPI, public: true},

		{method: "GET", path: "/api/v1/leads", handle: s.apiListLeads},
		{method: "GET", path: "/api/v1/leads/export", stream: s.apiExportLeads},
		{method: "POST", path: "/api/v1/leads", handle: s.apiCreateLead},
		{method: "GET", path: "/api/v1/leads/{id}", handle: s.apiGetLead},
		{method: "PATCH", path: "/api/v1/leads/{id}", handle: s.apiUpdateLead},
		{method: "DELETE", path: "/api/v1/leads/{id}", handle: s.apiDeleteLead},
		{method: "POST", path: "/api/v1/leads/{id}/no-answer", handle: s.apiNoAnswer},
		{method: "PUT", path: "/api/v1/leads/{id}/client", handle: s.apiSetLeadClient},
		{method: "GET", path: "/api/v1/leads/{id}/events", handle: s.apiLeadEvents},
		{method: "GET", path: "/api/v1/leads/{id}/notes", handle: s.apiListNotes},
		{method: "POST", path: "/api/v1/leads/{id}/notes", handle: s.apiCreateNote},
		{method: "PATCH", path: "/api/v1/notes/{id}", handle: s.apiUpdateNote},
		{method: "DELETE", path: "/api/v1/notes/{id}", handle: s.apiDeleteNote},
		{method: "GET", path: "/api/v1/leads/{id}/tasks", handle: s.apiListLeadTasks},
		{method: "POST", path: "/api/v1/leads/{id}/tasks", handle: s.apiCreateTask},
		{method: "GET", path: "/api/v1/tasks", handle: s.apiListTasks},
		{method: "GET", path: "/api/v1/tasks/{id}", handle: s.apiGetTask},
		{method: "PATCH", path: "/api/v1/tasks/{id}", handle: s.apiUpdateTask},
		{method: "DELETE", path: "/api/v1/tasks/{id}", handle: s.apiDeleteTask},
		{method: "POST", path: "/api/v1/tasks/{id}/done", handle: s.apiTaskDone(true)},
		{method: "POST", path: "/api/v1/tasks/{id}/reopen", handle: s.apiTaskDone(false)},

		{method: "GET", path: "/api/v1/sources", handle: s.apiListSources},
		{method: "POST", path: "/api/v1/sources", handle: s.apiCreateSource},
		{method: "GET", path: "/api/v1/sources/{id}", handle: s.apiGetSource},
		{method: "PATCH", path: "/api/v1/sources/{id}", handle: s.apiUpdateSource},
		{method: "DELETE", path: "/api/v1/sources/{id}", handle: s.apiDeleteSource},
		{method: "POST", path: "/api/v1/sources/{id}/rotate", handle: s.apiRotateSource},
		{method: "POST", path: "/api/v1/sources/{id}/disable", handle: s.apiEnableSource(false)},
		{method: "POST", path: "/api/v1/sources/{id}/enable", handle: s.apiEnableSource(true)},
		{method: "GET", path: "/api/v1/sources/{id}/deliveries", handle: s.apiListDeliveries},
		{method: "GET", path: "/api/v1/sources/{id}/deliveries/{deliveryId}", handle: s.apiGetDelivery},
		{method: "POST", path: "/api/v1/sources/{id}/deliveries/{deliveryId}/reprocess", handle: s.apiReprocessDelivery},
		{method: "POST", path: "/api/v1/sources/{id}/deliveries/reprocess", handle: s.apiReprocessAll},
		{method: "GET", path: "/api/v1/presets", handle: s.apiListPresets},

		{method: "GET", path: "/api/v1/users", handle: s.apiListUsers},
		{method: "POST", path: "/api/v1/users", handle: s.apiCreateUser},
		{method: "GET", path: "/api/v1/users/{id}", handle: s.apiGetUser},
		{method: "PATCH", path: "/api/v1/users/{id}", handle: s.apiUpdateUser},

		{method: "GET", path: "/api/v1/offices", handle: s.apiListRefs(store.Offices)},
		{method: "POST", path: "/api/v1/offices", handle: s.apiCreateRef(store.Offices)},
		{method: "GET", path: "/api/v1/offices/{id}", handle: s.apiGetRef(store.Offices)},
		{method: "PATCH", path: "/api/v1/offices/{id}", handle: s.apiRenameRef(store.Offices)},
		{method: "DELETE", path: "/api/v1/offices/{id}", handle: s.apiDeleteRef(store.Offices)},

		{method: "GET", path: "/api/v1/cities", handle: s.apiListRefs(store.Cities)},
		{method: "POST", path: "/api/v1/cities", handle: s.apiCreateRef(store.Cities)},
		{method: "GET", path: "/api/v1/cities/{id}", handle: s.apiGetRef(store.Cities)},
		{method: "PATCH", path: "/api/v1/cities/{id}", handle: s.apiRenameRef(store.Cities)},
		{method: "DELETE", path: "/api/v1/cities/{id}", handle: s.apiDeleteRef(store.Cities)},

		{method: "GET", path: "/api/v1/funnel-stages", handle: s.apiListStages},
		{method: "POST", path: "/api/v1/funnel-stages", handle: s.apiCreateStage},
		{method: "GET", path: "/api/v1/funnel-stages/{id}", handle: s.apiGetStage},
		{method: "PATCH", path: "/api/v1/funnel-stages/{id}", handle: s.apiUpdateStage},
		{method: "DELETE", path: "/api/v1/funnel-stages/{id}", handle: s.apiDeleteStage},

		{method: "GET", path: "/api/v1/clients", handle: s.apiListClients},
		{method: "POST", path: "/api/v1/clients", handle: s.apiCreateClient},
		{method: "GET", path: "/api/v1/clients/{id}", handle: s.apiGetClient},
		{method: "PATCH", path: "/api/v1/clients/{id}", handle: s.apiUpdateClient},
		{method: "DELETE", path: "/api/v1/clients/{id}", handle: s.apiDeleteClient},

		{method: "GET", path: "/api/v1/erasures", handle: s.apiListErasures},
		{method: "POST", path: "/api/v1/erasures", handle: s.apiCreateErasure, timeout: eraseTimeout},
		{method: "GET", path: "/api/v1/erasures/{id}", handle: s.apiGetErasure},
	}
}

// Routes registers the REST API under /api/v1: every route of apiTable, and
// the JSON 404 and 405 for the paths it does not take.
func (s *Server) Routes(mux *http.ServeMux) {
	s.paths = http.NewServeMux()
	s.allow = map[string]string{}
	for _, rt := range s.apiTable() {
		mux.Handle(rt.method+" "+rt.path, s.apiHandle(rt))
		if _, seen := s.allow[rt.path]; !seen {
			s.paths.Handle(rt.path, http.NotFoundHandler())
			s.allow[rt.path] = rt.method
		} else {
			s.allow[rt.path] += ", " + rt.method
		}
	}
	mux.HandleFunc("/api/v1/", s.apiNoRoute)
}

// apiNoRoute answers a request no route takes: 405 with Allow when the path
// is right and the method wrong, 404 otherwise, in the JSON error shape.
func (s *Server) apiNoRoute(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.paths.Handler(r); pattern != "" {
		allow := s.allow[pattern]
		if strings.Contains(allow, "GET") && !strings.Contains(allow, "HEAD") {
			allow += ", HEAD"
		}
		w.Header().Set("Allow", allow)
		s.apiError(w, r, lead.Errorf(lead.EMethod, "method", "Метод %s не поддерживается, используйте %s.", r.Method, allow))
		return
	}
	s.apiError(w, r, lead.Errorf(lead.ENotFound, "path", "Страница не найдена."))
}

// apiCaller is who makes an API request: a token of one account. Edits are
// recorded as made by the admin who created the token.
type apiCaller struct {
	account int64
	user    *int64
	token   int64
}

type callerKey struct{}

// apiHandle wraps a route's handler: body limit, token, rate limit, timeout,
// rendering.
func (s *Server) apiHandle(rt apiRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		timeout := apiTimeout
		if rt.stream != nil {
			timeout = streamTimeout
		}
		if rt.timeout > 0 {
			timeout = rt.timeout
			// Not every writer can; then the server's WriteTimeout holds.
			http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout + 10*time.Second))
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r = r.WithContext(ctx)
		var c apiCaller
		if !rt.public {
			// Every answer of a token is the account's data, leads'
			// contacts included: no cache is to keep it (152-FZ).
			w.Header().Set("Cache-Control", "no-store")
			var err error
			if c, err = s.apiAuth(r); err != nil {
				s.apiError(w, r, err)
				return
			}
			r = r.WithContext(context.WithValue(ctx, callerKey{}, c))
		}
		if rt.stream != nil {
			if err := rt.stream(w, r, c); err != nil {
				s.apiError(w, r, err)
			}
			return
		}
		status, v, err := rt.handle(r, c)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		s.apiWrite(w, r, status, v)
	})
}

// apiAuth finds the caller by the bearer token and takes a token from its
// rate bucket.
func (s *Server) apiAuth(r *http.Request) (apiCaller, error) {
	scheme, secret, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return apiCaller{}, lead.Errorf(lead.EUnauthorized, "token", "Нужен заголовок Authorization: Bearer <токен API>.")
	}
	t, err := s.store.APITokenBySecret(r.Context(), secret)
	if err != nil {
		return apiCaller{}, err
	}
	if ok, wait := s.limits.Allow(t.ID, 0); !ok {
		e := lead.Errorf(lead.ERateLimited, "rate", "Слишком много запросов, повторите через %d с.", wait)
		e.RetryAfter = wait
		return apiCaller{}, e
	}
	return apiCaller{account: t.AccountID, user: t.CreatedBy, token: t.ID}, nil
}

// data is the envelope of every successful answer: {"data": ...}.
type data[T any] struct {
	Data T `json:"data"`
}

// page is a list answer with the cursor of the next page, null on the last.
type page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"nextCursor"`
}

// nonNil answers an empty list as [], not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// apiWrite sends v as JSON; nil sends no body.
func (s *Server) apiWrite(w http.ResponseWriter, r *http.Request, status int, v any) {
	if v == nil {
		w.WriteHeader(status)
		return
	}
	body, ok := v.([]byte)
	if !ok {
		var err error
		if body, err = respond.Marshal(v); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	respond.JSON(w, status, body)
}

// apiError answers err in the JSON error shape, in English when the request
// asks for it.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	e := respond.Public(err)
	if e.Code == lead.EUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="leadbox"`)
	}
	if i18n.WantsEnglish(r.Header.Get("Accept-Language")) {
		e = i18n.Translate(e)
	}
	respond.Error(s.log, w, r, e)
}

func (s *Server) apiOpenAPI(r *http.Request, _ apiCaller) (int, any, error) {
	return http.StatusOK, openapiDoc, nil
}

// RoutePatterns lists "METHOD /path" for every route, for the test that
// compares them with openapi.json.
func (s *Server) RoutePatterns() []string {
	var out []string
	for _, rt := range s.apiTable() {
		out = append(out, rt.method+" "+rt.path)
	}
	slices.Sort(out)
	return out
}
