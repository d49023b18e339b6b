// Package respond owns how leadbox answers over HTTP when something is
// wrong or JSON is due: the one table from error codes to statuses, the
// JSON error body, the headers every JSON answer carries, and how a
// request's path and address appear in logs. The webhook, the API and the
// web layer answer through it; the UI renders its HTML error page with
// Status.
package respond

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"leadbox/internal/lead"
)

// statuses maps each error code to its HTTP status. EInternal answers 503,
// not 500: whatever went wrong, the sender should retry, and nothing was saved.
var statuses = map[lead.Code]int{
	lead.EInternal:     http.StatusServiceUnavailable,
	lead.EInvalid:      http.StatusUnprocessableEntity,
	lead.EMalformed:    http.StatusBadRequest,
	lead.ENotFound:     http.StatusNotFound,
	lead.EGone:         http.StatusGone,
	lead.EMethod:       http.StatusMethodNotAllowed,
	lead.ETooLarge:     http.StatusRequestEntityTooLarge,
	lead.EUnsupported:  http.StatusUnsupportedMediaType,
	lead.ERateLimited:  http.StatusTooManyRequests,
	lead.EConflict:     http.StatusConflict,
	lead.EUnavailable:  http.StatusServiceUnavailable,
	lead.EUnauthorized: http.StatusUnauthorized,
	lead.EForbidden:    http.StatusForbidden,
}

// Status is the HTTP status of an error code.
func Status(c lead.Code) int { return statuses[c] }

// Public turns any error into the *lead.Error the client may see:
// domain errors as they are, anything else as a bare 503.
func Public(err error) *lead.Error {
	var e *lead.Error
	if errors.As(err, &e) && e.Code != lead.EInternal {
		if len(e.Fields) == 0 && (e.Code == lead.EUnavailable) {
			c := *e
			c.Add("server", lead.MsgUnavailable)
			return &c
		}
		return e
	}
	out := &lead.Error{Code: lead.EUnavailable, RetryAfter: 5, Err: err}
	out.Add("server", lead.MsgUnavailable)
	return out
}

// ErrorBody renders an error as its status and JSON body.
func ErrorBody(e *lead.Error) (int, []byte) {
	body, _ := e.MarshalJSON()
	return statuses[e.Code], body
}

// JSON sends a JSON body with the headers every answer carries.
func JSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// Error answers err in the JSON error shape, logging what the client must
// not see.
func Error(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	e := Public(err)
	status, body := ErrorBody(e)
	if e.Code == lead.EUnavailable || e.Code == lead.EInternal {
		log.Error("request failed", "method", r.Method, "path", RedactPath(r.URL.Path), "err", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	JSON(w, status, body)
}

// NotFound answers a path no route takes, in the JSON error shape.
func NotFound(log *slog.Logger, w http.ResponseWriter, r *http.Request) {
	Error(log, w, r, lead.Errorf(lead.ENotFound, "path", "Страница не найдена."))
}

// Marshal encodes v without escaping <, > and &, which senders would see as
// \u003c in their own data.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// LeadBody is the webhook's 201 body for a lead: {"data": LEAD}.
func LeadBody(l *lead.Lead) ([]byte, error) {
	return Marshal(struct {
		Data *lead.Lead `json:"data"`
	}{l})
}

// SetSource tells the server's metrics which webhook source a request
// named: the writer that counts answers is somewhere under w's wrappers.
func SetSource(w http.ResponseWriter, id int64) {
	for {
		switch x := w.(type) {
		case interface{ SetSource(int64) }:
			x.SetSource(id)
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return
		}
	}
}

// RedactPath hides a webhook token: the URL is the source's only credential
// and must never reach a log.
func RedactPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/hooks/"); ok && rest != "" {
		return "/hooks/[redacted]"
	}
	return p
}

// RemoteHost is the client's address without its port.
func RemoteHost(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
