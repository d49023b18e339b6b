package ui

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/web/i18n"
)

const deliveryPage = 50

type sourceData struct {
	Source     lead.Source
	URL        string
	Curl       string
	Snippet    string // a ready HTML form posting to URL
	Reading    readingPage
	Deliveries []lead.Delivery
	Next       string
	Names      *names
	// Reprocess: the log page holds requests an admin can still make leads of.
	Reprocess bool
	// Retry are the quarantined requests of the page that the source's
	// settings now read into a lead, by id: only they offer re-processing
	// (an invalid JSON body stays invalid whatever the settings).
	Retry map[int64]bool
}

// handleSource shows a source: its webhook URL with a ready curl example,
// its settings and its delivery log, newest first. Only admins see the
// secret URL and the log.
func (s *Server) handleSource(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	acct := ss.User.AccountID
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := sourceData{}
	if d.Source, err = s.store.GetSource(r.Context(), acct, id); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Names, err = s.loadNames(r.Context(), acct, true); err != nil {
		s.uiError(w, r, err)
		return
	}
	if ss.User.Role == lead.RoleAdmin {
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		if d.Deliveries, err = s.store.ListDeliveries(r.Context(), acct, id, max(before, 0), deliveryPage); err != nil {
			s.uiError(w, r, err)
			return
		}
		if len(d.Deliveries) == deliveryPage {
			d.Next = "/sources/" + itoa(id) + "?before=" + itoa(d.Deliveries[deliveryPage-1].ID) + "#log"
		}
		if d.Source.Type == lead.SourceWebhook && d.Source.Token != "" {
			d.URL = s.publicURL(r) + "/hooks/" + d.Source.Token
			d.Curl = curlExample(d.URL, ss.User.ID)
			d.Snippet = formSnippet(d.URL, d.Source.Reading)
		}
		// Judged by the rows shown: asking the store would scan a long log
		// of good requests on every view.
		d.Retry = s.retryable(d.Source, d.Deliveries)
		d.Reprocess = len(d.Retry) > 0
	}
	d.Reading = newReadingPage(d.Source.Reading, ss.Lang)
	s.render(w, r, http.StatusOK, "source", s.newView(w, r, "sources", "nav.sources", d))
}

// retryable picks the quarantined requests that the source's settings now
// read without an error: a re-read is a decode, no write. A GET counts only
// once the source allows GET.
func (s *Server) retryable(src lead.Source, ds []lead.Delivery) map[int64]bool {
	out := map[int64]bool{}
	for _, dl := range ds {
		if !dl.Quarantined() || s.reread == nil || (dl.Method == http.MethodGet && !src.AllowGet) {
			continue
		}
		if _, err := s.reread(src, dl); err == nil {
			out[dl.ID] = true
		}
	}
	return out
}

// errorLines are the messages of a delivery's {"errors": {FIELD: [MESSAGE,
// ...]}} answer as sentences; anything else shows as it is.
func errorLines(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var e struct {
		Errors map[string][]string `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if dec.Decode(&e) != nil || len(e.Errors) == 0 {
		return []string{string(raw)}
	}
	// The fields in the answer's order: the map lost it, the raw text keeps it.
	fields := make([]string, 0, len(e.Errors))
	for f := range e.Errors {
		fields = append(fields, f)
	}
	slices.SortFunc(fields, func(a, b string) int {
		return bytes.Index(raw, []byte(strconv.Quote(a))) - bytes.Index(raw, []byte(strconv.Quote(b)))
	})
	var out []string
	for _, f := range fields {
		out = append(out, e.Errors[f]...)
	}
	return out
}

// publicURL is the configured base URL, or the one the browser used.
func (s *Server) publicURL(r *http.Request) string {
	if s.baseURL != "" {
		return strings.TrimRight(s.baseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// curlExample is the seed's own request, sent to this source, with the
// current user as the owner (the seed's user 1 may not be one of ours).
func curlExample(url string, owner int64) string {
	return "curl -i -X POST '" + url + "' \\\n  -H 'Content-Type: application/json' \\\n" +
		`  -d '{"name": "test","phone": 79998888888,"email": "fff@mail.ru","userIdOwner": ` + itoa(owner) + `}'`
}

// readingPage is a source's reading settings as the page's form shows them.
type readingPage struct {
	lead.Reading
	Presets     []presetOption
	PresetTitle string
	Aliases     string // one "incoming = field" a line
	Origins     string // one a line
}

type presetOption struct {
	Name, Title string
	Howto, Doc  string // how to connect the sender, in Russian, and its documentation
	Selected    bool
}

func newReadingPage(rd lead.Reading, lang string) readingPage {
	v := readingPage{Reading: rd, Origins: strings.Join(rd.CORSOrigins, "\n")}
	for _, name := range lead.Presets {
		p := intake.Presets[name]
		title := p.Title
		if lang == "en" {
			title = p.TitleEn
		}
		on := name == rd.Preset || (rd.Preset == "" && name == lead.Presets[0])
		if on {
			v.PresetTitle = title
		}
		v.Presets = append(v.Presets, presetOption{Name: name, Title: title, Howto: howto(lang, name), Doc: p.Doc, Selected: on})
	}
	var b strings.Builder
	for _, a := range lead.SortedAliases(rd.Aliases) {
		b.WriteString(a[0] + " = " + a[1] + "\n")
	}
	v.Aliases = b.String()
	return v
}

// formSnippet is a plain HTML form posting to a source's URL, for admins to
// paste into a site: the contact fields under names the source reads, the
// honeypot hidden from people, a submit button. html/template escapes the
// URL and the names.
func formSnippet(url string, rd lead.Reading) string {
	m := intake.NewMapping(rd.Preset, rd.Aliases)
	var b strings.Builder
	err := snippetTmpl.Execute(&b, map[string]string{"URL": url, "Name": formName(m, "name"),
		"Phone": formName(m, "phone"), "Email": formName(m, "email"), "Honeypot": rd.Honeypot})
	if err != nil {
		return ""
	}
	return b.String()
}

// formName is the form field name a mapping reads as a lead field: the
// field's own name unless an alias took it, else the first common name
// left to it.
func formName(m *intake.Mapping, field string) string {
	if m.Field(field, intake.FormatForm) == field {
		return field
	}
	var names []string
	for n, f := range m.Preset().Names {
		if f == field {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if m.Field(n, intake.FormatForm) == field {
			return n
		}
	}
	return field
}

// snippetTmpl is the ready HTML form a source's page offers for a site.
var snippetTmpl = template.Must(template.ParseFS(templateFS, "templates/snippet/form.html"))

// howto is how to connect a preset's sender, in lang; "" for none.
func howto(lang, preset string) string {
	if t := i18n.T(lang, "howto."+preset); t != "howto."+preset {
		return t
	}
	return ""
}
