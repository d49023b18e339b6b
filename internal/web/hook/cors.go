package hook

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"leadbox/internal/lead"
	"leadbox/internal/web/respond"
)

// CORS: which pages' scripts may post to a source and read its answers.

// allowed is the Allow header of a source's URL.
func allowed(src lead.Source) string {
	if src.AllowGet {
		return "POST, GET"
	}
	return http.MethodPost
}

// preflight answers a browser's CORS preflight for a source's URL. It makes
// no lead and is not logged: the request that follows it is.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, src lead.Source) {
	origin := r.Header.Get("Origin")
	if origin == "" || !src.Enabled || !src.AllowsOrigin(origin) {
		e := lead.Errorf(lead.EForbidden, "Origin", "Запросы со страниц %s этому источнику не разрешены.", shortOrigin(origin))
		_, body := respond.ErrorBody(e)
		w.Header().Set("Vary", "Origin")
		respond.JSON(w, http.StatusForbidden, body)
		return
	}
	h := w.Header()
	corsHeaders(w, r, src)
	h.Set("Access-Control-Allow-Methods", allowed(src))
	h.Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key, Accept, Accept-Language")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// corsHeaders lets a script on an allowed origin read the answer.
func corsHeaders(w http.ResponseWriter, r *http.Request, src lead.Source) {
	if len(src.CORSOrigins) == 0 {
		return
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || !src.AllowsOrigin(origin) {
		return
	}
	if slices.Contains(src.CORSOrigins, "*") {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Set("Access-Control-Expose-Headers", "Retry-After, Idempotent-Replayed")
}

// shortOrigin keeps a sender's Origin header printable in a message.
func shortOrigin(o string) string {
	o = strings.ToValidUTF8(o, "\uFFFD")
	if utf8.RuneCountInString(o) > 100 {
		o = string([]rune(o)[:100]) + "…"
	}
	if o == "" {
		return "без Origin"
	}
	return o
}
