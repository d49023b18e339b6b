// Package intake turns a sender's request into lead fields, in one call
// (Decoder.ReadRequest, request.go): content type and charset (body.go),
// the format's fields (payload.go), the source's mapping of names
// (mapping.go), and decoding with its leniency, phone/email normalisation
// and messages (this file); no DB, no HTTP.
package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"leadbox/internal/lead"
)

// maxDepth is how deeply a value inside the top-level object may nest. Real
// senders nest a level or two; the limit keeps hostile bodies cheap and the
// kept Extra readable.
const maxDepth = 64

// bodyField is the error key for failures of the body as a whole.
const bodyField = "body"

// Messages for a body that is not a JSON object; the field messages come
// from package lead.
const (
	msgUTF8      = "Тело запроса должно быть в кодировке UTF-8."
	msgEmpty     = "Тело запроса пустое, ожидается JSON-объект."
	msgNotObject = "Тело запроса должно быть JSON-объектом."
	msgSyntax    = "Некорректный JSON: ошибка синтаксиса в позиции %d."
	msgTruncated = "Некорректный JSON: тело запроса обрывается до конца объекта."
	msgTrailing  = "Некорректный JSON: после объекта есть лишние данные (позиция %d)."
	msgDepth     = "Некорректный JSON: вложенность значений больше %d уровней."
	msgSurrogate = "Некорректный JSON: одиночный суррогат UTF-16 в позиции %d, такого символа нет в Юникоде."
	msgDuplicate = "Ключ %q повторяется."
	msgNegative  = "Значение поля %s не может быть отрицательным."
)

var bom = []byte("\xef\xbb\xbf")

// Decoder reads webhook bodies. It holds only configuration, so one value is
// safe for concurrent use.
type Decoder struct {
	region string // CLDR region national phone numbers are read in
}

// New returns a Decoder that reads phone numbers written without a country
// code as numbers of region (ISO 3166-1 alpha-2); "" means "RU". An unknown
// region makes every such number invalid, so callers should validate
// configuration at start-up.
func New(region string) *Decoder {
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "" {
		region = "RU"
	}
	return &Decoder{region: region}
}

// KnownRegion reports whether region (e.g. "RU") is one phones can be read
// in; an unknown default region would make every local number invalid.
func KnownRegion(region string) bool {
	_, ok := phonenumbers.GetSupportedRegions()[strings.ToUpper(strings.TrimSpace(region))]
	return ok
}

// DecodeJSON reads one webhook body. The error is always a *lead.Error:
// EMalformed when the body is not one JSON object, EInvalid with every bad
// field (in lead.Fields order) otherwise.
func (d *Decoder) DecodeJSON(body []byte) (lead.Input, error) {
	in, _, err := d.decode(body, decodeOpts{})
	return in, err
}

// DecodePatch reads a partial update by the webhook's rules, except that
// neither phone nor email is required. present lists the fields the body
// names, null included, in lead.Fields order: a field present as null is to
// be cleared, an absent one left alone.
func (d *Decoder) DecodePatch(body []byte) (in lead.Input, present []string, err error) {
	return d.decode(body, decodeOpts{patch: true})
}

// Contacts reads a phone and an email given apart from any request (the
// subject of an erasure, say) by the webhook's rules, and returns them as
// leads keep them; "" is none.
func (d *Decoder) Contacts(phone, email string) (string, string, error) {
	patch := map[string]string{}
	if phone != "" {
		patch["phone"] = phone
	}
	if email != "" {
		patch["email"] = email
	}
	b, _ := json.Marshal(patch)
	in, _, err := d.DecodePatch(b)
	if err != nil {
		return "", "", err
	}
	var p, e string
	if in.Phone != nil {
		p = *in.Phone
	}
	if in.Email != nil {
		e = *in.Email
	}
	return p, e, nil
}

// decodeOpts are how one call reads a body.
type decodeOpts struct {
	patch bool // a partial update: nothing is required
	cut   bool // too-long free text is cut to its limit, not refused
	slow  bool // tests only: the Decoder's walk even for valid JSON
}

// decode reads body by opts. The strings are the fields present, for a
// patch; the notes for the delivery log otherwise.
func (d *Decoder) decode(body []byte, opts decodeOpts) (lead.Input, []string, error) {
	if !utf8.Valid(body) {
		return lead.Input{}, nil, malformed(lead.T(msgUTF8), nil)
	}
	// Offsets in messages count from the start of what the sender sent.
	base := int64(0)
	if bytes.HasPrefix(body, bom) {
		body, base = body[len(bom):], int64(len(bom))
	}
	if tooDeep(body, maxDepth+1) {
		return lead.Input{}, nil, malformed(lead.T(msgDepth, maxDepth), nil)
	}
	// encoding/json would turn "\ud800" into U+FFFD silently: refuse it as
	// invalid UTF-8 is refused, rather than keep a character not sent.
	if at := loneSurrogate(body); at >= 0 {
		return lead.Input{}, nil, malformed(lead.T(msgSurrogate, int64(at)+base), nil)
	}
	s := &decodeState{d: d, patch: opts.patch, cut: opts.cut}
	s.seen = s.seenBuf[:0]
	var werr *lead.Error
	if at := skipSpace(body, 0); !opts.slow && at < len(body) && body[at] == '{' && json.Valid(body) {
		werr = s.walkValid(body)
	} else {
		werr = s.walk(body, base)
	}
	if werr != nil {
		return lead.Input{}, nil, werr
	}
	in, err := s.finish()
	if err != nil || !s.patch {
		return in, s.notes, err
	}
	var present []string
	for i, f := range lead.Fields {
		if s.present&(1<<i) != 0 {
			present = append(present, f.Name)
		}
	}
	return in, present, nil
}

// decodeState is one DecodeJSON call's work in progress.
type decodeState struct {
	d    *Decoder
	in   lead.Input
	errs map[string]lead.Text // field name → its one message

	// The keys seen, to refuse one given twice: a list, then a map past
	// the list's room (fast.go).
	seenBuf [32][]byte
	seen    [][]byte
	seenMap map[string]struct{}
	present uint64 // the lead fields given, by their index in lead.Fields

	// The fields' values live here, so that an Input costs one allocation
	// rather than one a field.
	strs [maxFields]string
	ints [maxFields]int64

	body     []byte // the object, when values are slices of it (fast.go)
	sub      bool
	bodyText string // body as a string, made once when a value needs it

	phoneGiven, emailGiven bool
	patch                  bool // a partial update: nothing is required
	cut                    bool // too-long free text is cut to its limit, not refused
	notes                  []string

	extra    bytes.Buffer
	extraEnc *json.Encoder
}

// walk reads the top-level object key by key rather than with Unmarshal so
// duplicated keys are caught and names match exactly, not case-insensitively.
func (s *decodeState) walk(body []byte, base int64) *lead.Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF {
		return malformed(lead.T(msgEmpty), nil)
	}
	if err != nil {
		return syntaxError(dec, base, err)
	}
	if tok != json.Delim('{') {
		return malformed(lead.T(msgNotObject), nil)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(dec, base, err)
		}
		key, ok := tok.(string)
		if !ok { // the decoder allows only strings here; be safe anyway
			return syntaxError(dec, base, nil)
		}
		if s.dup([]byte(key)) {
			return malformed(lead.T(msgDuplicate, shorten(key)), nil)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(dec, base, err)
		}
		s.valueBytes([]byte(key), raw)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return syntaxError(dec, base, err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		end += int64(len(body[end:]) - len(bytes.TrimLeft(body[end:], " \t\r\n")))
		return malformed(lead.T(msgTrailing, end+base), err)
	}
	return nil
}

// valueBytes stores one key's value: into its field when the key is a
// field, into Extra otherwise.
func (s *decodeState) valueBytes(key, raw []byte) {
	i, ok := fieldIndex[string(key)]
	if !ok {
		s.addExtra(key, raw)
		return
	}
	f := &lead.Fields[i]
	s.present |= 1 << i
	var msg lead.Text
	if f.Kind == lead.KindInt {
		*f.Int(&s.in), msg = s.intValue(f, i, raw)
	} else {
		*f.String(&s.in), msg = s.stringField(f, i, raw)
	}
	if !msg.IsZero() {
		s.fail(f.Name, msg)
	}
}

func (s *decodeState) stringField(f *lead.Field, i int, raw []byte) (*string, lead.Text) {
	v, msg := s.stringValue(f, i, raw)
	if s.cut && msg.Format == lead.MsgMax && freeText(f.Name) {
		v, msg = cutValue(f, raw), lead.Text{}
		s.notes = append(s.notes, fmt.Sprintf(noteCut, f.Name, f.MaxLen))
	}
	// A wrong value counts as given: the "required" message is only for a
	// sender who sent neither phone nor email.
	given := v != nil || !msg.IsZero()
	switch f.Name {
	case "phone":
		s.phoneGiven = given
		if v != nil {
			v, msg = s.phone(f, *v)
		}
	case "email":
		s.emailGiven = given
		if v != nil && !validEmail(*v) {
			v, msg = nil, lead.T(lead.MsgEmail, f.Label)
		}
	}
	return v, msg
}

func (s *decodeState) phone(f *lead.Field, v string) (*string, lead.Text) {
	n, ok := s.d.NormalizePhone(v)
	if !ok {
		return nil, lead.T(lead.MsgFormat, f.Label)
	}
	p := &s.strs[fieldIndex["phone"]]
	*p = n
	return p, lead.Text{}
}

func (s *decodeState) fail(key string, msg lead.Text) {
	if s.errs == nil {
		s.errs = make(map[string]lead.Text)
	}
	s.errs[key] = msg
}

// addExtra keeps an unknown key with its value as sent, only without
// insignificant whitespace, so managers see what the sender meant.
func (s *decodeState) addExtra(key, raw []byte) {
	if s.extra.Len() == 0 {
		s.extra.Grow(len(key) + len(raw) + 64)
		s.extra.WriteByte('{')
	} else {
		s.extra.WriteByte(',')
	}
	s.writeKey(key)
	s.extra.WriteByte(':')
	if raw[0] == '{' || raw[0] == '[' {
		_ = json.Compact(&s.extra, raw) // raw came from the decoder, so it is valid
	} else {
		s.extra.Write(raw) // a literal has no space to leave out
	}
}

func (s *decodeState) finish() (lead.Input, error) {
	if !s.patch && !s.phoneGiven && !s.emailGiven {
		s.fail("phone", lead.T(lead.MsgRequired, lead.FieldByName("phone").Label))
	}
	if s.errs != nil {
		e := &lead.Error{Code: lead.EInvalid}
		for _, f := range lead.Fields {
			if msg, ok := s.errs[f.Name]; ok {
				e.AddText(f.Name, msg)
			}
		}
		return lead.Input{}, e
	}
	if s.extra.Len() > 0 {
		s.extra.WriteByte('}')
		s.in.Extra = s.extra.Bytes()
	}
	return s.in, nil
}

func malformed(msg lead.Text, cause error) *lead.Error {
	e := &lead.Error{Code: lead.EMalformed, Err: cause}
	e.AddText(bodyField, msg)
	return e
}

// syntaxError words a decoder failure in Russian with the byte offset; the
// decoder's English text stays in Err for the logs.
func syntaxError(dec *json.Decoder, base int64, err error) *lead.Error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return malformed(lead.T(msgTruncated), err)
	}
	return malformed(lead.T(msgSyntax, dec.InputOffset()+base), err)
}

// tooDeep reports whether body nests objects and arrays deeper than limit,
// in one pass before the decoder sees it, so a hostile body costs no
// recursion. On malformed JSON it may misjudge, which is harmless: the
// decoder refuses such a body anyway.
func tooDeep(body []byte, limit int) bool {
	depth, inString := 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// loneSurrogate returns the offset of the first \uXXXX escape in a string
// of body that is half of a UTF-16 surrogate pair without its other half,
// or -1. Like tooDeep it may misjudge malformed JSON, which the decoder
// refuses anyway.
func loneSurrogate(body []byte) int {
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			r, ok := escapedUnit(body[i:])
			switch {
			case !ok:
				i++ // \" \\ and the like: skip the escaped byte
			case r >= 0xDC00 && r <= 0xDFFF:
				return i // a low half with no high half before it
			case r >= 0xD800 && r <= 0xDBFF:
				if lo, ok := escapedUnit(body[i+6:]); !ok || lo < 0xDC00 || lo > 0xDFFF {
					return i
				}
				i += 11 // the pair
			default:
				i += 5
			}
		}
	}
	return -1
}

// escapedUnit reads a \uXXXX escape at the start of b.
func escapedUnit(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// noteCut tells the delivery log that a value was cut to its field's limit.
const noteCut = "Значение поля %s длиннее %d символов, сохранено обрезанным; полностью оно в теле запроса."

// freeText reports whether a field holds text a person typed or a mark an
// ad leaves, which may be cut to its limit without losing its meaning;
// phones, emails and ids may not.
func freeText(name string) bool {
	switch name {
	case "name", "utmSource", "utmMedium", "utmCampaign", "utmContent", "utmTerm", "utmReferrer",
		"openstatService", "openstatCampaign", "openstatAd", "openstatSource", "from", "referrer":
		return true
	}
	return false
}

// cutValue is a too-long string field's value cut to the field's limit.
func cutValue(f *lead.Field, raw []byte) *string {
	s := string(raw)
	if raw[0] == '"' {
		s = unquote(raw)
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\x00", ""))
	r := []rune(s)
	s = strings.TrimSpace(string(r[:f.MaxLen]))
	return &s
}

// shorten keeps a key quoted in a message readable however long it is.
func shorten(key string) string {
	const max = 64
	if utf8.RuneCountInString(key) <= max {
		return key
	}
	r := []rune(key)
	return string(r[:max]) + "…"
}
