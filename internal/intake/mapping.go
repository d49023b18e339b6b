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
	// VK: VK's Callback API (vk.go): its confirmation request, its secret,
	// its lead ids and its "ok".
	VK bool `json:"-"`
	// Deep: JSON bodies are also searched one level down, in nested
	// objects, for the names of the preset.
	Deep bool `json:"-"`
	// Names maps lower-cased incoming names to lead fields; a name with dots
	// is a path into nested JSON (path.go).
	Names map[string]string `json:"names"`
	// Doc is where the sender documents what it sends; how to connect it
	// is the web layer's (the catalogue's "howto.<name>").
	Doc string `json:"doc,omitempty"`

	paths []pathAlias // the Names that are paths, in a fixed order
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

// Mapping says which lead field an incoming name means, for one source.
type Mapping struct {
	preset  *Preset
	aliases map[string]string // the source's own, exact
	folded  map[string]string // the source's own, lower-cased
	paths   []pathAlias       // the source's own that are dot paths into nested JSON
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
		// Paths into nested JSON: the exact spellings first, then the same
		// paths in any case, each in a fixed order.
		var exact []pathAlias
		for k, v := range aliases {
			if v != "" && isPath(k) {
				exact = append(exact, pathAlias{segs: strings.Split(k, "."), field: v})
			}
		}
		sortPaths(exact)
		m.paths = append(m.paths, exact...)
		for _, pa := range exact {
			pa.fold = true
			m.paths = append(m.paths, pa)
		}
	}
	return m
}

// Preset returns the preset the mapping builds on.
func (m *Mapping) Preset() *Preset { return m.preset }

// Field returns the lead field an incoming name of a request in format
// means, or "" to keep the name as an extra key. A form field named in
// bracket notation is also looked up as a dot path.
func (m *Mapping) Field(name, format string) string {
	if f, ok := m.lookup(name, format); ok {
		return f
	}
	if format != FormatJSON && strings.IndexByte(name, '[') > 0 {
		if p, ok := bracketPath(name); ok {
			f, _ := m.lookup(p, format)
			return f
		}
	}
	return ""
}

// lookup is Field for one spelling of a name; ok is false when nothing
// names it (an alias to "" does).
func (m *Mapping) lookup(name, format string) (string, bool) {
	if f, ok := m.aliases[name]; ok {
		return f, true
	}
	lower := strings.ToLower(strings.TrimSpace(name))
	if f, ok := m.folded[lower]; ok {
		return f, true
	}
	if format == FormatJSON && m.preset.ExactJSON {
		if lead.FieldByName(name) != nil {
			return name, true
		}
		return "", false
	}
	f, ok := m.preset.Names[lower]
	return f, ok
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

// mapJSON renames the top-level members of a JSON object by the mapping,
// then takes the fields still missing from inside nested values: by the
// dot paths of the aliases and the preset, and (on a preset that looks one
// level down) by the preset's names in nested objects. Nested values stay
// whole under their own names, as extra fields. A body that is not a
// well-formed object is returned as it is, for the decoder to refuse with
// its own message.
func (m *Mapping) mapJSON(body []byte, skip string) ([]byte, bool) {
	type member struct {
		name string
		raw  []byte
	}
	var members []member
	var nested [][]byte // the top-level objects, for a preset that looks one level down
	used := map[string]bool{}
	ok := walkTop(body, func(key string, raw []byte) bool {
		if key == skip {
			return true
		}
		name := key
		if f := m.Field(key, FormatJSON); f != "" && !used[f] {
			name = f
		}
		used[name] = true
		members = append(members, member{name, raw})
		if m.preset.Deep && len(raw) > 0 && raw[0] == '{' {
			nested = append(nested, raw)
		}
		return true
	})
	if !ok {
		return body, false
	}
	take := func(field string, raw []byte) {
		if field != "" && !used[field] && lead.FieldByName(field) != nil && !blank(raw) {
			used[field] = true
			members = append(members, member{field, raw})
		}
	}
	for _, paths := range [][]pathAlias{m.paths, m.preset.paths} {
		for _, p := range paths {
			if !used[p.field] && p.segs[0] != skip {
				if raw, ok := lookupPath(body, p.segs, p.fold); ok {
					take(p.field, raw)
				}
			}
		}
	}
	for _, obj := range nested {
		walkTop(obj, func(key string, raw []byte) bool {
			take(m.preset.Names[strings.ToLower(strings.TrimSpace(key))], raw)
			return true
		})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, mem := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		_ = enc.Encode(mem.name)
		b.Truncate(b.Len() - 1)
		b.WriteByte(':')
		b.Write(mem.raw)
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
