package intake

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"leadbox/internal/lead"
)

// Preset is a ready set of incoming field names for one kind of sender.
type Preset struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	TitleEn string `json:"titleEn"`
	// ExactJSON: JSON bodies are read by the webhook contract's exact names
	// only (SPEC §2); form posts still get the common names.
	ExactJSON bool `json:"exactJson"`
	// Tilda: a form with "test" and no contact is a connection check, and
	// repeated deliveries with one "tranid" make one lead.
	Tilda bool `json:"tilda"`
	// Names maps lower-cased incoming names to lead fields.
	Names map[string]string `json:"names"`
}

// commonNames are the names HTML forms, form plugins (Contact Form 7, WPForms,
// Elementor), Tilda and ad platforms use for lead fields, lower-cased, with
// the snake_case UTM and click-id names of analytics tools.
var commonNames = func() map[string]string {
	m := map[string]string{}
	add := func(field string, names ...string) {
		for _, n := range names {
			m[n] = field
		}
	}
	for _, f := range lead.Fields { // the contract's own names, in any case
		m[strings.ToLower(f.Name)] = f.Name
	}
	add("name", "fio", "fullname", "full_name", "full-name", "your-name", "your_name", "username", "client_name",
		"contact_name", "first_name", "firstname", "имя", "фио", "ваше имя", "имя и фамилия")
	add("phone", "tel", "telephone", "phone_number", "phonenumber", "phone-number", "mobile", "mobile_phone",
		"your-phone", "your_phone", "your-tel", "contact_phone", "телефон", "номер телефона", "ваш телефон")
	add("email", "e-mail", "e_mail", "mail", "your-email", "your_email", "contact_email", "почта",
		"электронная почта", "ваш email")
	add("utmSource", "utm_source")
	add("utmMedium", "utm_medium")
	add("utmCampaign", "utm_campaign")
	add("utmContent", "utm_content")
	add("utmTerm", "utm_term")
	add("utmReferrer", "utm_referrer")
	add("openstatService", "openstat_service")
	add("openstatCampaign", "openstat_campaign")
	add("openstatAd", "openstat_ad")
	add("openstatSource", "openstat_source")
	add("ymClientId", "ym_client_id", "_ym_uid", "ym_uid", "clientid_metrika")
	add("roistatId", "roistat_id", "roistat_visit", "roistat")
	add("referrer", "referer", "page_referrer", "http_referer")
	add("ip", "client_ip", "user_ip", "ip_address")
	return m
}()

// Presets are the ready field-name sets, by name; lead.Presets lists them.
var Presets = map[string]*Preset{
	"leadbox": {Name: "leadbox", Title: "leadbox / vionvi JSON", TitleEn: "leadbox / vionvi JSON",
		ExactJSON: true, Names: commonNames},
	"tilda": {Name: "tilda", Title: "Tilda", TitleEn: "Tilda", Tilda: true, Names: commonNames},
	"form":  {Name: "form", Title: "HTML-форма", TitleEn: "Generic HTML form", Names: commonNames},
}

// Mapping says which lead field an incoming name means, for one source.
type Mapping struct {
	preset  *Preset
	aliases map[string]string // the source's own, exact
	folded  map[string]string // the source's own, lower-cased
}

// NewMapping returns the mapping of a source with preset (unknown names the
// default) and the admin's aliases on top.
func NewMapping(preset string, aliases map[string]string) *Mapping {
	p, ok := Presets[preset]
	if !ok {
		p = Presets[lead.Presets[0]]
	}
	m := &Mapping{preset: p, aliases: aliases}
	if len(aliases) > 0 {
		m.folded = make(map[string]string, len(aliases))
		for k, v := range aliases {
			m.folded[strings.ToLower(k)] = v
		}
	}
	return m
}

// Preset returns the preset the mapping builds on.
func (m *Mapping) Preset() *Preset { return m.preset }

// Field returns the lead field an incoming name of a request in format
// means, or "" to keep the name as an extra key.
func (m *Mapping) Field(name, format string) string {
	if f, ok := m.aliases[name]; ok {
		return f
	}
	lower := strings.ToLower(strings.TrimSpace(name))
	if f, ok := m.folded[lower]; ok {
		return f
	}
	if format == FormatJSON && m.preset.ExactJSON {
		if lead.FieldByName(name) != nil {
			return name
		}
		return ""
	}
	return m.preset.Names[lower]
}

// identity reports whether JSON bodies pass through unchanged.
func (m *Mapping) identity() bool { return m.preset.ExactJSON && len(m.aliases) == 0 }

// Map turns a payload into the JSON object the decoder reads: the lead
// fields under their names, every other field kept under its own; skip
// names a field left out (the honeypot). It returns the body itself, and
// false, when the mapping changes nothing.
//
// A field named by more than one incoming name takes the first non-empty
// value; the others stay extra keys. Repeated form fields that are not lead
// fields (checkbox groups) become an array.
func (m *Mapping) Map(p Payload, skip string) ([]byte, bool) {
	if p.Format == FormatJSON {
		if m.identity() && skip == "" {
			return p.JSON, false
		}
		return m.mapJSON(p.JSON, skip)
	}
	type member struct {
		key    string
		values []string
	}
	var fields, extra []*member
	byField := map[string]*member{}
	byExtra := map[string]*member{}
	for _, kv := range p.Pairs {
		if kv.Key == skip && skip != "" {
			continue
		}
		value := strings.TrimSpace(kv.Value)
		if f := m.Field(kv.Key, p.Format); f != "" {
			if cur, ok := byField[f]; ok {
				if value != "" && len(cur.values) == 0 {
					cur.values = []string{value}
					continue
				}
				if value == "" || value == cur.values[0] || lead.FieldByName(kv.Key) != nil {
					continue // the raw body keeps it
				}
			} else {
				mem := &member{key: f}
				if value != "" {
					mem.values = []string{value}
				}
				byField[f] = mem
				fields = append(fields, mem)
				continue
			}
		}
		if kv.Value == "" {
			continue
		}
		if cur, ok := byExtra[kv.Key]; ok {
			cur.values = append(cur.values, kv.Value)
			continue
		}
		mem := &member{key: kv.Key, values: []string{kv.Value}}
		byExtra[kv.Key] = mem
		extra = append(extra, mem)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	n := 0
	for _, mem := range append(fields, extra...) {
		if len(mem.values) == 0 {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		_ = enc.Encode(mem.key)
		b.Truncate(b.Len() - 1)
		b.WriteByte(':')
		if len(mem.values) == 1 || byField[mem.key] == mem {
			_ = enc.Encode(mem.values[0])
		} else {
			_ = enc.Encode(mem.values)
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), true
}

// mapJSON renames the top-level members of a JSON object by the mapping.
// A body that is not a well-formed object is returned as it is, for the
// decoder to refuse with its own message.
func (m *Mapping) mapJSON(body []byte, skip string) ([]byte, bool) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	used := map[string]bool{}
	b.WriteByte('{')
	n := 0
	ok := walkTop(body, func(key string, raw []byte) bool {
		if key == skip {
			return true
		}
		name := key
		if f := m.Field(key, FormatJSON); f != "" && !used[f] {
			name = f
		}
		used[name] = true
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		_ = enc.Encode(name)
		b.Truncate(b.Len() - 1)
		b.WriteByte(':')
		b.Write(raw)
		return true
	})
	if !ok {
		return body, false
	}
	b.WriteByte('}')
	return b.Bytes(), true
}

// walkTop calls fn with each top-level member of a JSON object, in order,
// until fn returns false. It reports false when body is not a well-formed
// object nested no deeper than the decoder allows.
func walkTop(body []byte, fn func(key string, raw []byte) bool) bool {
	body = bytes.TrimPrefix(body, bom)
	if tooDeep(body, maxDepth+1) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return false
		}
		if !fn(key, raw) {
			return true
		}
	}
	if _, err := dec.Token(); err != nil {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}

// IsPing reports whether a request is a form builder's connection check:
// Tilda posts "test=test" when a webhook is added and wants a 200. It is
// one only while it carries no phone or email.
func (m *Mapping) IsPing(p Payload) bool {
	if _, ok := p.Get("test"); !ok {
		return false
	}
	contact := false
	check := func(key, value string) bool {
		if f := m.Field(key, p.Format); (f == "phone" || f == "email") && strings.TrimSpace(value) != "" {
			contact = true
			return false
		}
		return true
	}
	if p.Format == FormatJSON {
		walkTop(p.JSON, func(key string, raw []byte) bool {
			return check(key, strings.Trim(string(raw), `"`))
		})
	} else {
		for _, kv := range p.Pairs {
			if !check(kv.Key, kv.Value) {
				break
			}
		}
	}
	return !contact
}
