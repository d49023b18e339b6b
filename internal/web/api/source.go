package api

import (
	"context"
	"net/http"
	"strings"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// apiSource is how the API shows a source: with its webhook URL and the
// defaults its leads get, under the leads' own field names.
type apiSource struct {
	ID             int64   `json:"id"`
	AccountID      int64   `json:"accountId"`
	Name           string  `json:"name"`
	Type           string  `json:"type"`
	Enabled        bool    `json:"enabled"`
	URL            *string `json:"url"` // null unless a webhook
	DtCreate       int64   `json:"dtCreate"`
	UserIDOwner    *int64  `json:"userIdOwner"`
	FunnelStageID  *int64  `json:"funnelStageId"`
	LocationUnitID *int64  `json:"locationUnitId"`
	LocationCityID *int64  `json:"locationCityId"`
	LeadCount      int64   `json:"leadCount"`
	DtLastLead     *int64  `json:"dtLastLead"`
	lead.Reading
}

func (s *Server) sourceView(st store.SourceStats) apiSource {
	src := st.Source
	v := apiSource{ID: src.ID, AccountID: src.AccountID, Name: src.Name, Type: src.Type, Enabled: src.Enabled,
		DtCreate: src.Created, UserIDOwner: src.DefaultOwnerID, FunnelStageID: src.DefaultStageID,
		LocationUnitID: src.DefaultUnitID, LocationCityID: src.DefaultCityID, LeadCount: st.Leads, DtLastLead: st.LastLead,
		Reading: readingView(src.Reading)}
	if src.Token != "" {
		u := strings.TrimRight(s.baseURL, "/") + "/hooks/" + src.Token
		v.URL = &u
	}
	return v
}

// sourceByID answers one source of the account with its lead count.
func (s *Server) sourceByID(ctx context.Context, account, id int64) (int, any, error) {
	list, err := s.store.ListSources(ctx, account)
	if err != nil {
		return 0, nil, err
	}
	for _, st := range list {
		if st.ID == id {
			return http.StatusOK, data[apiSource]{s.sourceView(st)}, nil
		}
	}
	return 0, nil, lead.Errorf(lead.ENotFound, "source", "Не найдено.")
}

func (s *Server) apiListSources(r *http.Request, c apiCaller) (int, any, error) {
	list, err := s.store.ListSources(r.Context(), c.account)
	out := []apiSource{}
	for _, st := range list {
		out = append(out, s.sourceView(st))
	}
	return http.StatusOK, data[[]apiSource]{out}, err
}

func (s *Server) apiGetSource(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return s.sourceByID(r.Context(), c.account, id)
}

// sourceDefaults reads the default references a source gives its leads.
func sourceDefaults(f *form, src *lead.Source) {
	for _, d := range []struct {
		key string
		v   **int64
	}{{"userIdOwner", &src.DefaultOwnerID}, {"funnelStageId", &src.DefaultStageID},
		{"locationUnitId", &src.DefaultUnitID}, {"locationCityId", &src.DefaultCityID}} {
		if f.has(d.key) {
			*d.v = f.id(d.key, lead.FieldByName(d.key).Label)
		}
	}
}

var sourceKeys = []string{"name", "type", "enabled", "userIdOwner", "funnelStageId", "locationUnitId", "locationCityId"}

func (s *Server) apiCreateSource(r *http.Request, c apiCaller) (int, any, error) {
	f, err := readForm(r, append(sourceKeys, readingKeys...)...)
	if err != nil {
		return 0, nil, err
	}
	src := lead.Source{AccountID: c.account, Name: f.required("name", "Название", lead.MaxString)}
	sourceReading(f, &src.Reading)
	if t := f.str("type", "Тип", lead.MaxString); t != nil {
		src.Type = *t
	}
	enabled := f.boolean("enabled", "enabled")
	sourceDefaults(f, &src)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	src, err = s.store.CreateSource(r.Context(), src)
	if err != nil {
		return 0, nil, err
	}
	if enabled != nil && !*enabled {
		if src, err = s.store.SetSourceEnabled(r.Context(), c.account, src.ID, false); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusCreated, data[apiSource]{s.sourceView(store.SourceStats{Source: src})}, nil
}

// apiUpdateSource renames a source, sets its defaults (null clears one) or
// switches it on or off.
func (s *Server) apiUpdateSource(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, append(sourceKeys, readingKeys...)...)
	if err != nil {
		return 0, nil, err
	}
	src, err := s.store.GetSource(r.Context(), c.account, id)
	if err != nil {
		return 0, nil, err
	}
	reading := sourceReading(f, &src.Reading)
	if f.has("name") {
		src.Name = f.required("name", "Название", lead.MaxString)
	}
	if f.has("type") && f.str("type", "Тип", lead.MaxString) != nil {
		f.fail("type", "Тип источника нельзя изменить.")
	}
	enabled := f.boolean("enabled", "enabled")
	sourceDefaults(f, &src)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	if reading {
		// Settings first: a wrong one refuses the whole request before the
		// rest is written.
		if _, err := s.store.SetSourceReading(r.Context(), c.account, id, src.Reading); err != nil {
			return 0, nil, err
		}
	}
	if _, err := s.store.UpdateSource(r.Context(), src); err != nil {
		return 0, nil, err
	}
	if enabled != nil {
		if _, err := s.store.SetSourceEnabled(r.Context(), c.account, id, *enabled); err != nil {
			return 0, nil, err
		}
	}
	return s.sourceByID(r.Context(), c.account, id)
}

func (s *Server) apiDeleteSource(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteSource(r.Context(), c.account, id)
}

// apiRotateSource gives a webhook source a new URL; the old one stops at once.
func (s *Server) apiRotateSource(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.RotateSourceToken(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	return s.sourceByID(r.Context(), c.account, id)
}

func (s *Server) apiEnableSource(enabled bool) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		if _, err := s.store.SetSourceEnabled(r.Context(), c.account, id, enabled); err != nil {
			return 0, nil, err
		}
		return s.sourceByID(r.Context(), c.account, id)
	}
}

// apiDelivery is a delivery-log row with its raw body as text.
type apiDelivery struct {
	lead.Delivery
	Body        string `json:"body"`
	Quarantined bool   `json:"quarantined"` // rejected, and can still be re-processed into a lead
}

// apiListDeliveries answers a source's delivery log, newest first.
func (s *Server) apiListDeliveries(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	bad := &lead.Error{Code: lead.EInvalid}
	limit, before := store.QueryPage(r.URL.Query(), "limit", "cursor", bad)
	if len(bad.Fields) > 0 {
		return 0, nil, bad
	}
	if _, err := s.store.GetSource(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	switch r.URL.Query().Get("status") {
	case "":
	case "quarantined":
		return s.quarantinedPage(r, c, id, limit)
	default:
		return 0, nil, lead.Errorf(lead.EInvalid, "status", "Значение поля status должно быть quarantined или пустым.")
	}
	ds, err := s.store.ListDeliveries(r.Context(), c.account, id, before, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, apiDeliveryPage(ds, limit), nil
}
