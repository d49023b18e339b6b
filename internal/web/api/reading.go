package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/i18n"
)

// How a source reads senders' requests, through the API: its settings, the
// presets, and re-processing the requests it quarantined.

// readingKeys are the keys of a source's reading settings in the API.
var readingKeys = []string{"preset", "aliases", "allowGet", "corsOrigins", "redirectUrl", "honeypot", "ratePerMinute",
	"confirmation", "senderSecret", "quietMinutes"}

// sourceReading reads the reading settings a request names onto r and
// reports whether it named any.
func sourceReading(f *form, r *lead.Reading) bool {
	named := false
	for _, k := range readingKeys {
		named = named || f.has(k)
	}
	if v := f.str("preset", "preset", lead.MaxString); v != nil {
		r.Preset = *v
	}
	if raw, ok := f.raw["aliases"]; ok {
		var m map[string]*string
		if err := json.Unmarshal(raw, &m); err != nil {
			f.fail("aliases", "Значение поля aliases должно быть объектом {\"входящее имя\": \"поле лида\"}.")
		} else {
			r.Aliases = map[string]string{}
			for k, v := range m {
				if v != nil {
					r.Aliases[k] = *v
				} else {
					r.Aliases[k] = ""
				}
			}
		}
	}
	if v := f.boolean("allowGet", "allowGet"); v != nil {
		r.AllowGet = *v
	}
	if raw, ok := f.raw["corsOrigins"]; ok {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			f.fail("corsOrigins", "Значение поля corsOrigins должно быть списком строк.")
		} else {
			r.CORSOrigins = list
		}
	}
	if f.has("redirectUrl") {
		r.RedirectURL = ""
		if v := f.str("redirectUrl", "redirectUrl", 2048); v != nil {
			r.RedirectURL = *v
		}
	}
	if f.has("honeypot") {
		r.Honeypot = ""
		if v := f.str("honeypot", "honeypot", 64); v != nil {
			r.Honeypot = *v
		}
	}
	if v := f.integer("ratePerMinute", "ratePerMinute", 0, lead.MaxRatePerMinute); v != nil {
		r.RatePerMinute = *v
	}
	for _, k := range []struct {
		key string
		to  *string
	}{{"confirmation", &r.Confirmation}, {"senderSecret", &r.SenderSecret}} {
		if f.has(k.key) {
			*k.to = ""
			if v := f.str(k.key, k.key, 64); v != nil {
				*k.to = *v
			}
		}
	}
	if v := f.integer("quietMinutes", "quietMinutes", 0, lead.MaxQuietMinutes); v != nil {
		r.QuietMinutes = *v
	}
	return named
}

// apiPreset is a preset as the API lists it.
type apiPreset struct {
	Name    string            `json:"name"`
	Title   string            `json:"title"`
	TitleEn string            `json:"titleEn"`
	Names   map[string]string `json:"names"`
	Howto   string            `json:"howto"`
	Doc     string            `json:"doc"`
}

// apiListPresets answers the ready field-name sets a source can use.
func (s *Server) apiListPresets(r *http.Request, c apiCaller) (int, any, error) {
	out := []apiPreset{}
	for _, name := range lead.Presets {
		p := intake.Presets[name]
		out = append(out, apiPreset{Name: p.Name, Title: p.Title, TitleEn: p.TitleEn, Names: p.Names, Howto: howto(r, name), Doc: p.Doc})
	}
	return http.StatusOK, data[[]apiPreset]{out}, nil
}

// sourceDeliveryIDs reads the {id} and {deliveryId} of the path.
func sourceDeliveryIDs(r *http.Request) (id, did int64, err error) {
	if id, err = lead.ParseID(r.PathValue("id")); err == nil {
		did, err = lead.ParseID(r.PathValue("deliveryId"))
	}
	return id, did, err
}

// apiGetDelivery answers one request of a source's delivery log.
func (s *Server) apiGetDelivery(r *http.Request, c apiCaller) (int, any, error) {
	id, did, err := sourceDeliveryIDs(r)
	if err != nil {
		return 0, nil, err
	}
	d, err := s.store.GetDelivery(r.Context(), c.account, id, did)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, data[apiDelivery]{deliveryView(d)}, nil
}

// apiReprocessDelivery turns one quarantined request into a lead, read by
// the source's settings now; 201 with the lead, or the errors it still has.
func (s *Server) apiReprocessDelivery(r *http.Request, c apiCaller) (int, any, error) {
	id, did, err := sourceDeliveryIDs(r)
	if err != nil {
		return 0, nil, err
	}
	l, err := s.store.ReprocessDelivery(r.Context(), c.account, id, did, c.user, s.reread)
	if err != nil {
		return 0, nil, err
	}
	s.hub.LeadCreated(l)
	return http.StatusCreated, data[apiLead]{toAPI(l)}, nil
}

// reprocessResult is what re-processing all of a source's quarantined
// requests did.
type reprocessResult struct {
	Created int                      `json:"created"`
	Failed  []store.ReprocessFailure `json:"failed"`
}

// apiReprocessAll re-processes a source's quarantined requests, oldest
// first, up to store.MaxReprocess per call.
func (s *Server) apiReprocessAll(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.GetSource(r.Context(), c.account, id); err != nil {
		return 0, nil, err
	}
	done, failed, err := s.store.ReprocessQuarantined(r.Context(), c.account, id, c.user, store.MaxReprocess, s.reread, s.hub.LeadCreated)
	if err != nil {
		return 0, nil, err
	}
	if failed == nil {
		failed = []store.ReprocessFailure{}
	}
	return http.StatusOK, data[reprocessResult]{reprocessResult{Created: done, Failed: failed}}, nil
}

// deliveryView is how the API shows a delivery-log row.
func deliveryView(d lead.Delivery) apiDelivery {
	return apiDelivery{Delivery: d, Body: string(d.Body), Quarantined: d.Quarantined()}
}

// quarantinedPage answers a source's quarantined requests, oldest first.
func (s *Server) quarantinedPage(r *http.Request, c apiCaller, sourceID int64, limit int) (int, any, error) {
	var after int64
	if v := r.URL.Query().Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, nil, lead.Errorf(lead.EInvalid, "cursor", lead.MsgFormat, "cursor")
		}
		after = n
	}
	ds, err := s.store.QuarantinedDeliveries(r.Context(), c.account, sourceID, after, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, apiDeliveryPage(ds, limit), nil
}

// apiDeliveryPage is a page of the delivery log; a full page has a cursor to
// the next.
func apiDeliveryPage(ds []lead.Delivery, limit int) page[apiDelivery] {
	p := page[apiDelivery]{Data: []apiDelivery{}}
	for _, d := range ds {
		p.Data = append(p.Data, deliveryView(d))
	}
	if len(ds) == limit {
		p.NextCursor = cursorAfter(ds[len(ds)-1].ID)
	}
	return p
}

// readingView fills the empty collections of a source's settings, so the
// API answers {} and [] rather than null.
func readingView(r lead.Reading) lead.Reading {
	if r.Aliases == nil {
		r.Aliases = map[string]string{}
	}
	if r.CORSOrigins == nil {
		r.CORSOrigins = []string{}
	}
	return r
}

// howto is how to connect a preset's sender, in the caller's language; ""
// for the generic presets that have no such text.
func howto(r *http.Request, preset string) string {
	ru, en, ok := i18n.Lookup("howto." + preset)
	switch {
	case !ok:
		return ""
	case i18n.WantsEnglish(r.Header.Get("Accept-Language")):
		return en
	}
	return ru
}
