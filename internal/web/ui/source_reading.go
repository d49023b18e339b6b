package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"leadbox/internal/lead"
	"leadbox/internal/web/i18n"
)

// handleSourceReading saves how a webhook source reads senders' requests:
// preset, aliases, GET, CORS origins, thank-you page, honeypot and rate.
func (s *Server) handleSourceReading(w http.ResponseWriter, r *http.Request) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/sources/" + itoa(id) + "#reading"
	ss := sessionOf(r)
	reading, err := readingForm(r, ss.Lang)
	if err != nil {
		s.formError(w, r, err, back)
		return
	}
	if _, err := s.store.SetSourceReading(r.Context(), ss.User.AccountID, id, reading); err != nil {
		s.formError(w, r, err, back)
		return
	}
	s.done(w, r, back, "reading.saved")
}

// readingForm reads the reading settings of the source page's form. The
// aliases come one a line, "incoming name = lead field"; a line it cannot
// read is an error in lang naming the line, so nothing is saved.
func readingForm(r *http.Request, lang string) (lead.Reading, error) {
	rd := lead.Reading{
		Preset:      r.PostFormValue("preset"),
		AllowGet:    r.PostFormValue("allowGet") == "1",
		CORSOrigins: lines(r.PostFormValue("corsOrigins")),
		RedirectURL: r.PostFormValue("redirectUrl"),
		Honeypot:    r.PostFormValue("honeypot"),
		Aliases:     map[string]string{},

		Confirmation: r.PostFormValue("confirmation"),
		SenderSecret: r.PostFormValue("senderSecret"),
	}
	e := &lead.Error{Code: lead.EInvalid}
	for n, line := range strings.Split(r.PostFormValue("aliases"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		// Lead field names never hold "=", so the last one splits.
		i := strings.LastIndex(line, "=")
		from := ""
		if i >= 0 {
			from = strings.TrimSpace(line[:i])
		}
		switch {
		case from == "":
			e.Add("aliases", fmt.Sprintf(i18n.T(lang, "reading.badLine"), n+1, line))
		case hasKey(rd.Aliases, from):
			e.Add("aliases", fmt.Sprintf(i18n.T(lang, "reading.dupLine"), n+1, from))
		default:
			rd.Aliases[from] = strings.TrimSpace(line[i+1:])
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("ratePerMinute")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			e.Add("ratePerMinute", fmt.Sprintf(i18n.T(lang, "reading.badRate"), lead.MaxRatePerMinute))
		}
		rd.RatePerMinute = n
	}
	if v := strings.TrimSpace(r.PostFormValue("quietMinutes")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			e.Add("quietMinutes", fmt.Sprintf(i18n.T(lang, "reading.badQuiet"), lead.MaxQuietMinutes))
		}
		rd.QuietMinutes = n
	}
	if len(e.Fields) > 0 {
		return rd, e
	}
	return rd, nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// lines splits a textarea into its non-empty trimmed lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
