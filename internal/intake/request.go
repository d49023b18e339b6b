package intake

import (
	"strings"
	"unicode/utf8"

	"leadbox/internal/lead"
)

// Request is a sender's request as the webhook got it: the method (GET
// reads the query, anything else the body), the Content-Type header, the
// raw query and the body.
type Request struct {
	Method      string
	ContentType string
	Query       string
	Body        []byte
}

// Read is all the webhook needs of one request, read in one call: what the
// store makes a lead of, what the delivery log keeps, and what kind of
// request it is.
type Read struct {
	Format string   // FormatJSON, FormatForm, FormatMultipart or FormatQuery
	Notes  []string // what was left out of the fields (files), for the delivery log

	Ping       bool   // a form builder's connection check: answered, no lead
	Spam       bool   // the honeypot field is filled: kept, marked, no lead
	Submission string // a Tilda form submission's id (tranid), or ""
	// Confirm: a sender's connection check that wants the source's
	// confirmation text back (VK's Callback API); no lead.
	Confirm bool
	// IdemKey makes a sender's repeats of one lead one lead when it has an
	// id of its own (VK's lead_id); "" for none. Tilda's is Submission.
	IdemKey string
	// OK: the sender wants the text "ok" and 200 for every request it
	// should not send again (VK's Callback API).
	OK bool

	Input  lead.Input // the lead's fields, when Err is nil
	Mapped []byte     // the fields as mapped, for the delivery log; nil when the mapping changed nothing
	Err    error      // why the fields make no lead (a 422 or a 400)
}

// ReadRequest reads a request by a source's reading settings: content type
// and charset, format, the mapping of its names, and the lead's fields. err
// is set only when the request cannot be read at all (an unsupported
// content type, a malformed form); a request whose fields are wrong is read,
// with Read.Err saying why.
func (d *Decoder) ReadRequest(req Request, rd lead.Reading) (Read, error) {
	var p Payload
	var err error
	if req.Method == "GET" {
		p, err = ReadQuery(req.Query)
	} else {
		p, err = ReadBody(req.ContentType, req.Body)
	}
	if err != nil {
		return Read{}, err
	}
	m := NewMapping(rd.Preset, rd.Aliases)
	out := Read{Format: p.Format, Notes: p.Notes}
	out.Ping = (p.Format != FormatJSON || m.Preset().Tilda) && m.IsPing(p)
	out.Spam = rd.Honeypot != "" && filled(&p, rd.Honeypot)
	out.Submission = tildaSubmission(&p, rd.Preset == "tilda")
	if m.Preset().VK && p.Format == FormatJSON {
		out.OK = true
		if err := vkRead(&p, rd, &out); err != nil {
			return out, err
		}
	}
	var notes []string
	out.Input, out.Mapped, notes, out.Err = d.read(p, m, rd.Honeypot)
	out.Notes = append(out.Notes, notes...)
	return out, nil
}

func filled(p *Payload, key string) bool {
	v, ok := p.Get(key)
	return ok && strings.TrimSpace(v) != ""
}

// tildaSubmission returns the submission id of a request from Tilda: on a
// source with the Tilda preset, or a form post carrying Tilda's own
// technical fields (tranid and formid) to any source.
func tildaSubmission(p *Payload, tilda bool) string {
	if !tilda && p.Format == FormatJSON {
		return "" // not Tilda's form: no need to walk a JSON body for its fields
	}
	id, ok := p.Get("tranid")
	id = strings.TrimSpace(id)
	if !ok || id == "" || utf8.RuneCountInString(id) > 200 {
		return ""
	}
	if tilda {
		return id
	}
	if _, form := p.Get("formid"); !form {
		return ""
	}
	return id
}

// read maps a request's fields by m, leaving out the field skip (the
// honeypot), and decodes them by the webhook's rules. mapped is the fields
// as mapped, for the delivery log, when they differ from the body; nil when
// the mapping changed nothing. A request that is not JSON by the contract
// (a form a person typed, or a sender read by a preset) keeps its lead when
// free text is too long: the text is cut, with a note for the delivery log.
func (d *Decoder) read(p Payload, m *Mapping, skip string) (in lead.Input, mapped []byte, notes []string, err error) {
	body, changed := m.Map(p, skip)
	if changed {
		mapped = body
	}
	cut := p.Format != FormatJSON || !m.Preset().ExactJSON
	in, notes, err = d.decode(body, decodeOpts{cut: cut})
	return in, mapped, notes, err
}

// Reread reads a request kept in the delivery log again, by its source's
// reading settings now: the API and the UI re-process quarantined requests
// with it. mapped is what the delivery log keeps: the fields as mapped now,
// or the delivery's own when the mapping changes nothing. A connection check
// or a filled honeypot is read as any request: an admin asked for a lead.
func (d *Decoder) Reread(src lead.Source, dl lead.Delivery) (in lead.Input, mapped []byte, err error) {
	rd, err := d.ReadRequest(Request{Method: dl.Method, ContentType: dl.ContentType, Query: dl.Query, Body: dl.Body}, src.Reading)
	if err != nil {
		return lead.Input{}, dl.Mapped, err
	}
	if mapped = rd.Mapped; mapped == nil {
		mapped = dl.Mapped
	}
	return rd.Input, mapped, rd.Err
}
