package web

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// What the webhook does for senders that are not programmers writing JSON:
// form builders, HTML forms in browsers, ad platforms that only send GET.

// read maps the request's fields by the source's preset and aliases and
// decodes them by the webhook's rules; the mapped fields go to the
// delivery log when they differ from the body.
func (s *Server) read(req *webhookRequest) (lead.Input, error) {
	body, changed := req.mapping().Map(req.payload, req.src.Honeypot)
	if changed {
		req.delivery.Mapped = body
	}
	return s.decoder.DecodeJSON(body)
}

// mapping is the source's mapping of incoming names, made once a request.
func (req *webhookRequest) mapping() *intake.Mapping {
	if req.m == nil {
		req.m = intake.NewMapping(req.src.Preset, req.src.Aliases)
	}
	return req.m
}

// caught answers the requests that are kept in the delivery log but make no
// lead: a form builder's connection check, and a bot that filled the
// honeypot field (kept, marked spam, for an admin to re-process if a person
// did fill it).
func (s *Server) caught(ctx context.Context, req *webhookRequest) (answer, bool) {
	m := req.mapping()
	var mark, msg string
	switch {
	case (req.payload.Format != intake.FormatJSON || m.Preset().Tilda) && m.IsPing(req.payload):
		mark, msg = lead.MarkTest, msgPing
	case req.src.Honeypot != "" && filled(req.payload, req.src.Honeypot):
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

func filled(p intake.Payload, key string) bool {
	v, ok := p.Get(key)
	return ok && strings.TrimSpace(v) != ""
}

// tildaSubmission returns the submission id of a request from Tilda: on a
// source with the Tilda preset, or a form post carrying Tilda's own
// technical fields (tranid and formid) to any source.
func tildaSubmission(req *webhookRequest) (string, bool) {
	p := req.payload
	tilda := req.src.Preset == "tilda"
	if !tilda && p.Format == intake.FormatJSON {
		return "", false // not Tilda's form: no need to walk a JSON body for its fields
	}
	id, ok := p.Get("tranid")
	id = strings.TrimSpace(id)
	if !ok || id == "" || utf8.RuneCountInString(id) > 200 {
		return "", false
	}
	if tilda {
		return id, true
	}
	_, form := p.Get("formid")
	return id, form
}

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
		_, body := errorBody(e)
		w.Header().Set("Vary", "Origin")
		writeJSON(w, http.StatusForbidden, body)
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
	page := formPage{Title: "Заявка не отправлена"}
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
}

var formPageTmpl = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2430}
h1{font-size:1.4rem}li{color:#b42318}a{color:#2557d6}</style></head>
<body><h1>{{.Title}}</h1>
{{if .Messages}}<ul>{{range .Messages}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Back}}<p><a href="{{.Back}}">Вернуться к форме</a></p>{{end}}
</body></html>
`))

// reprocess re-reads a quarantined request by its source's settings now and
// makes it a lead; the API and the UI call it for one request or for all.
func (s *Server) reprocess(ctx context.Context, accountID, sourceID, deliveryID int64, userID *int64) (lead.Lead, error) {
	l, err := s.store.ReprocessDelivery(ctx, accountID, sourceID, deliveryID, userID,
		func(src lead.Source, d lead.Delivery) (store.Reprocessed, error) {
			req := webhookRequest{src: src, delivery: d}
			var err error
			if d.Method == http.MethodGet {
				req.payload, err = intake.ReadQuery(d.Query)
			} else {
				req.payload, err = readPayload(d.ContentType, d.Body)
			}
			if err != nil {
				return store.Reprocessed{}, err
			}
			in, err := s.read(&req)
			return store.Reprocessed{Input: in, Mapped: req.delivery.Mapped, Render: renderLead}, err
		})
	if err == nil {
		s.leadCreated(l)
	}
	return l, err
}

// renderLead is the webhook's 201 body for a lead.
func renderLead(l *lead.Lead) ([]byte, error) {
	return marshal(struct {
		Data *lead.Lead `json:"data"`
	}{l})
}

// reprocessAll re-processes a source's quarantined requests, oldest first,
// at most limit of them; it returns how many became leads and the first
// errors of those that did not.
func (s *Server) reprocessAll(ctx context.Context, accountID, sourceID int64, userID *int64, limit int) (done int, failed []reprocessFailure, err error) {
	var after int64
	for done+len(failed) < limit {
		list, err := s.store.QuarantinedDeliveries(ctx, accountID, sourceID, after, min(100, limit-done-len(failed)))
		if err != nil || len(list) == 0 {
			return done, failed, err
		}
		for _, d := range list {
			after = d.ID
			_, err := s.reprocess(ctx, accountID, sourceID, d.ID, userID)
			switch c := lead.ErrorCode(err); {
			case err == nil:
				done++
			case c == lead.EUnavailable || c == lead.EInternal:
				return done, failed, err
			default:
				e := publicError(err)
				failed = append(failed, reprocessFailure{DeliveryID: d.ID, Errors: e})
			}
		}
	}
	return done, failed, nil
}

type reprocessFailure struct {
	DeliveryID int64       `json:"deliveryId"`
	Errors     *lead.Error `json:"errors"`
}
