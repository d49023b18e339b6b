package hook

import (
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"leadbox/internal/lead"
	"leadbox/internal/web/i18n"
	"leadbox/internal/web/respond"
)

// What the webhook does for senders that are not programmers writing JSON:
// form builders, HTML forms in browsers, ad platforms that only send GET.

// caught answers the requests that are kept in the delivery log but make no
// lead: a form builder's connection check, and a bot that filled the
// honeypot field (kept, marked spam, for an admin to re-process if a person
// did fill it).
func (s *Server) caught(ctx context.Context, req *webhookRequest) (answer, bool) {
	var mark, msg string
	switch {
	case req.read.Ping:
		mark, msg = lead.MarkTest, msgPing
	case req.read.Spam:
		mark, msg = lead.MarkSpam, msgSpam
	default:
		return answer{}, false
	}
	body, _ := json.Marshal(struct {
		Data    *lead.Lead `json:"data"`
		Message string     `json:"message"`
	}{nil, msg})
	req.delivery.Status, req.delivery.Mark = http.StatusOK, mark
	if !s.logDelivery(ctx, req, nil, nil) {
		return answer{stale: true}, true
	}
	return answer{status: http.StatusOK, body: body}, true
}

const (
	msgPing = "Проверка связи прошла: вебхук работает. Лид не создан."
	msgSpam = "Заявка принята."
)

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

// browserAnswer answers an HTML form post from a browser to a source with a
// thank-you page: a saved lead redirects there (303); a rejection shows a
// short page of what was wrong, with a way back to the form.
func (s *Server) browserAnswer(w http.ResponseWriter, r *http.Request, src lead.Source, a answer) {
	ok := a.status == http.StatusCreated || a.status == http.StatusOK
	if ok {
		http.Redirect(w, r, src.RedirectURL, http.StatusSeeOther)
		return
	}
	// The visitor's page: in Russian, the webhook's language.
	page := formPage{Title: i18n.T("ru", "form.notSent"), BackText: i18n.T("ru", "form.back")}
	var e struct {
		Errors map[string][]string `json:"errors"`
	}
	_ = json.Unmarshal(a.body, &e)
	for _, f := range lead.Fields { // the form's fields in the contract's order, then the rest
		page.Messages = append(page.Messages, e.Errors[f.Name]...)
		delete(e.Errors, f.Name)
	}
	for _, msgs := range e.Errors {
		page.Messages = append(page.Messages, msgs...)
	}
	if ref, err := url.Parse(r.Referer()); err == nil && (ref.Scheme == "http" || ref.Scheme == "https") {
		page.Back = ref.String()
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(a.status)
	_ = formPageTmpl.Execute(w, page)
}

type formPage struct {
	Title    string
	Messages []string
	Back     string
	BackText string
}

// formPageTmpl is the page a browser gets when its form post was refused.
//
//go:embed form.html
var formPageHTML string

var formPageTmpl = template.Must(template.New("form").Parse(formPageHTML))
