package api

import (
	"io"
	"net/http"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/leadfile"
	"leadbox/internal/web/respond"
)

// apiExportLeads streams every lead of the list's filters as CSV or XLSX,
// a page of the store at a time (see leadfile and store.EachLead).
func (s *Server) apiExportLeads(w http.ResponseWriter, r *http.Request, c apiCaller) error {
	q := r.URL.Query()
	format, ok := leadfile.ParseFormat(q.Get("format"))
	bad := &lead.Error{Code: lead.EInvalid}
	if !ok {
		bad.Add("format", msgExportFormat)
	}
	o := leadfile.Options{Format: format, Zone: time.UTC}
	switch q.Get("sep") {
	case "", "comma":
	case "semicolon":
		o.Comma = ';'
	default:
		bad.Add("sep", msgExportSep)
	}
	f, err := s.leadFilter(q)
	if err != nil {
		return err
	}
	if len(bad.Fields) > 0 {
		return bad
	}
	ctx := r.Context()
	sources, err := s.store.ListSourcesPlain(ctx, c.account)
	if err != nil {
		return err
	}
	stages, err := s.store.ListStages(ctx, c.account)
	if err != nil {
		return err
	}
	users, err := s.store.ListUsers(ctx, c.account)
	if err != nil {
		return err
	}
	o.Names = leadfile.NamesOf(sources, stages, users)
	sent, err := respond.Download(w, format.ContentType(), format.FileName(time.Now().UTC()), func(out io.Writer) error {
		o.Started = func() { respond.StartDownload(out) }
		return leadfile.Export(out, o, func(yield func(lead.Lead) error) error {
			return s.store.EachLead(ctx, c.account, f, yield)
		})
	})
	if err != nil && sent {
		s.log.Warn("export cut short", "account", c.account, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

const (
	msgExportFormat = "Формат выгрузки: csv или xlsx."
	msgExportSep    = "Разделитель: comma или semicolon."
)
