package intake

import "leadbox/internal/lead"

// Read maps a request's fields by m, leaving out the field skip (the
// honeypot), and decodes them by the webhook's rules. mapped is the fields
// as mapped, for the delivery log, when they differ from the body; nil when
// the mapping changed nothing.
func (d *Decoder) Read(p Payload, m *Mapping, skip string) (in lead.Input, mapped []byte, err error) {
	body, changed := m.Map(p, skip)
	if changed {
		mapped = body
	}
	in, err = d.DecodeJSON(body)
	return in, mapped, err
}

// Reread reads a request kept in the delivery log again, by its source's
// reading settings now: the API and the UI re-process quarantined requests
// with it. mapped is what the delivery log keeps: the fields as mapped now,
// or the delivery's own when the mapping changes nothing.
func (d *Decoder) Reread(src lead.Source, dl lead.Delivery) (in lead.Input, mapped []byte, err error) {
	var p Payload
	if dl.Method == "GET" {
		p, err = ReadQuery(dl.Query)
	} else {
		p, err = ReadBody(dl.ContentType, dl.Body)
	}
	if err != nil {
		return lead.Input{}, dl.Mapped, err
	}
	in, mapped, err = d.Read(p, NewMapping(src.Preset, src.Aliases), src.Honeypot)
	if mapped == nil {
		mapped = dl.Mapped
	}
	return in, mapped, err
}
