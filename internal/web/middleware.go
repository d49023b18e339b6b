package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/web/respond"
)

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	source int64 // the webhook source the request named (respond.SetSource)
}

// SetSource records the webhook source a request named, for its metrics.
func (w *statusWriter) SetSource(id int64) { w.source = id }

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one log line per request, with the token redacted.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if s.metrics != nil && strings.HasPrefix(r.URL.Path, "/hooks/") {
			s.metrics.Webhook(sw.status, time.Since(start), sw.source)
		}
		s.log.Info("http", "method", r.Method, "path", respond.RedactPath(r.URL.Path), "status", sw.status,
			"bytes", sw.bytes, "ms", float64(time.Since(start).Microseconds())/1000, "remote", respond.RemoteHost(r))
	})
}

// recoverPanics turns a panic into a 503 and a log line: a bug must not cost
// a sender its lead, and the sender will retry.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				respond.Error(s.log, w, r, &lead.Error{Code: lead.EInternal, Err: fmt.Errorf("panic: %v", v)})
			}
		}()
		next.ServeHTTP(w, r)
	})
}
