package web

import (
	"net/http"
	"strconv"
	"strings"

	"leadbox/internal/lead"
)

const deliveryPage = 50

type sourceData struct {
	Source     lead.Source
	URL        string
	Curl       string
	Deliveries []lead.Delivery
	Next       string
	Names      *names
}

// handleSource shows a source: its webhook URL with a ready curl example,
// its settings and its delivery log, newest first. Only admins see the
// secret URL and the log.
func (s *Server) handleSource(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	acct := ss.User.AccountID
	id, err := uiPathID(r, "id")
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
		}
	}
	s.render(w, r, http.StatusOK, "source", s.newView(w, r, "sources", "nav.sources", d))
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
