package ui

import (
	"io"
	"net/http"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/leadfile"
	"leadbox/internal/web/respond"
)

// handleInboxExport downloads every lead of the inbox's filter as CSV or
// XLSX (?format=), the CSV with ";" between fields when ?sep=semicolon
// (Excel in a Russian locale). The file streams as the leads are read, a
// page at a time, so memory stays flat however many there are; CSV starts
// downloading at once, XLSX once its sheet is complete.
func (s *Server) handleInboxExport(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	v := r.URL.Query()
	format, ok := leadfile.ParseFormat(v.Get("format"))
	if !ok {
		s.uiError(w, r, lead.Errorf(lead.EInvalid, "format", msgExportFormat))
		return
	}
	_, f, err := s.parseInbox(v, s.zone(sessionOf(r).Zone))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Before = 0
	n, err := s.loadNames(r.Context(), acct, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	o := leadfile.Options{Format: format, Names: leadfile.NamesOf(n.Sources, n.Stages, n.Users), Zone: s.zone(sessionOf(r).Zone)}
	if v.Get("sep") == "semicolon" {
		o.Comma = ';'
	}
	ctx := r.Context()
	sent, err := respond.Download(w, format.ContentType(), format.FileName(time.Now()), func(out io.Writer) error {
		o.Started = func() { respond.StartDownload(out) }
		return leadfile.Export(out, o, func(yield func(lead.Lead) error) error {
			return s.store.EachLead(ctx, acct, f, yield)
		})
	})
	if err != nil && !sent {
		s.uiError(w, r, err)
	} else if err != nil {
		s.log.Warn("export cut short", "account", acct, "err", err)
		panic(http.ErrAbortHandler)
	}
}

const msgExportFormat = "Формат выгрузки: csv или xlsx."
