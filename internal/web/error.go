package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

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

const msgUnavailable = "Сервис временно недоступен, повторите запрос позже."

// publicError turns any error into the *lead.Error the client may see:
// domain errors as they are, anything else as a bare 503.
func publicError(err error) *lead.Error {
	var e *lead.Error
	if errors.As(err, &e) && e.Code != lead.EInternal {
		if len(e.Fields) == 0 && (e.Code == lead.EUnavailable) {
			c := *e
			c.Add("server", msgUnavailable)
			return &c
		}
		return e
	}
	out := &lead.Error{Code: lead.EUnavailable, RetryAfter: 5, Err: err}
	out.Add("server", msgUnavailable)
	return out
}

// errorBody renders an error as its status and JSON body.
func errorBody(e *lead.Error) (int, []byte) {
	body, _ := e.MarshalJSON()
	return statuses[e.Code], body
}

// writeJSON sends a JSON body with the headers every answer carries.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// error answers err in the JSON error shape, logging what the client must
// not see.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	e := publicError(err)
	status, body := errorBody(e)
	if e.Code == lead.EUnavailable || e.Code == lead.EInternal {
		s.log.Error("request failed", "method", r.Method, "path", redactPath(r.URL.Path), "err", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, status, body)
}

// marshal encodes v without escaping <, > and &, which senders would see as
// \u003c in their own data.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, lead.Errorf(lead.ENotFound, "path", "Страница не найдена."))
}
