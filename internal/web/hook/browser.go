package hook

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"

	"leadbox/internal/lead"
	"leadbox/internal/web/i18n"
)

// A browser's HTML form post: a redirect to the thank-you page, or a page
// of what to fix.

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
