package intake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"strings"
	"unicode/utf8"

	"leadbox/internal/lead"
)

// Formats a request can carry its fields in.
const (
	FormatJSON      = "json"
	FormatForm      = "form"      // application/x-www-form-urlencoded
	FormatMultipart = "multipart" // multipart/form-data, fields only
	FormatQuery     = "query"     // a GET request's query string
)

// Messages for form bodies that cannot be read.
const (
	msgFormSyntax = "Некорректные данные формы: %q не удаётся раскодировать."
	msgNoBoundary = "Некорректные данные multipart/form-data: нет параметра boundary в Content-Type."
	msgBadParts   = "Некорректные данные multipart/form-data: части тела не удаётся разобрать."
	msgFileSkip   = "Файл %q в поле %q (%d байт) не сохранён: принимаются только поля."
	msgFormEmpty  = "Запрос не содержит полей."
	msgFormUTF8   = "Данные формы должны быть в кодировке UTF-8 (поле %q)."
)

// Pair is one field of a form as it was sent.
type Pair struct {
	Key, Value string
}

// Payload is a request's fields in the order they came, whatever the
// format: the body itself for JSON, key/value pairs for the others.
type Payload struct {
	Format string
	JSON   []byte   // FormatJSON
	Pairs  []Pair   // the other formats
	Notes  []string // what was left out, for the delivery log
}

// Get returns the first value of key (matched exactly) and whether it is
// there; for JSON it looks only at string and number members of the object.
func (p *Payload) Get(key string) (string, bool) {
	if p.Format == FormatJSON {
		return jsonMember(p.JSON, key)
	}
	for _, kv := range p.Pairs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Charset turns the bytes of a form's names and values into UTF-8; nil
// means they are UTF-8 already.
type Charset func([]byte) ([]byte, error)

// ReadForm reads an application/x-www-form-urlencoded body, keeping the
// order of its fields; cs converts the percent-decoded bytes.
func ReadForm(body []byte, cs Charset) (Payload, error) {
	pairs, err := readPairs(string(body), cs)
	return Payload{Format: FormatForm, Pairs: pairs}, err
}

// ReadQuery reads a GET request's query string as a form.
func ReadQuery(rawQuery string) (Payload, error) {
	pairs, err := readPairs(rawQuery, nil)
	return Payload{Format: FormatQuery, Pairs: pairs}, err
}

// convert applies cs to s, if there is one.
func convert(cs Charset, s string) (string, bool) {
	if cs == nil {
		return s, true
	}
	b, err := cs([]byte(s))
	return string(b), err == nil
}

func readPairs(s string, cs Charset) ([]Pair, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	var pairs []Pair
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, malformed(lead.T(msgFormSyntax, shorten(part)), errors.Join(err1, err2))
		}
		key, ok1 := convert(cs, key)
		value, ok2 := convert(cs, value)
		if !ok1 || !ok2 || !utf8.ValidString(key) || !utf8.ValidString(value) {
			return nil, malformed(lead.T(msgFormUTF8, shorten(strings.ToValidUTF8(key, "\uFFFD"))), nil)
		}
		pairs = append(pairs, Pair{Key: stripNUL(key), Value: stripNUL(value)})
	}
	if len(pairs) == 0 {
		return nil, malformed(lead.T(msgFormEmpty), nil)
	}
	return pairs, nil
}

// ReadMultipart reads the fields of a multipart/form-data body; file parts
// are skipped and noted.
func ReadMultipart(body []byte, boundary string, cs Charset) (Payload, error) {
	p := Payload{Format: FormatMultipart}
	if boundary == "" {
		return p, malformed(lead.T(msgNoBoundary), nil)
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p, malformed(lead.T(msgBadParts), err)
		}
		value, err := io.ReadAll(part)
		if err != nil {
			return p, malformed(lead.T(msgBadParts), err)
		}
		name := part.FormName()
		if part.FileName() != "" {
			p.Notes = append(p.Notes, fmt.Sprintf(msgFileSkip, part.FileName(), name, len(value)))
			continue
		}
		if name == "" {
			continue
		}
		name, ok1 := convert(cs, name)
		v, ok2 := convert(cs, string(value))
		value = []byte(v)
		if !ok1 || !ok2 || !utf8.ValidString(name) || !utf8.Valid(value) {
			return p, malformed(lead.T(msgFormUTF8, shorten(strings.ToValidUTF8(name, "\uFFFD"))), nil)
		}
		p.Pairs = append(p.Pairs, Pair{Key: stripNUL(name), Value: stripNUL(string(value))})
	}
	if len(p.Pairs) == 0 && len(p.Notes) == 0 {
		return p, malformed(lead.T(msgFormEmpty), nil)
	}
	return p, nil
}

// stripNUL removes NUL characters, as the JSON decoder does for strings:
// PostgreSQL text cannot hold them.
func stripNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// jsonMember returns a top-level string or number member of a JSON object,
// or false; a body that is not an object has none.
func jsonMember(body []byte, key string) (string, bool) {
	var found string
	var ok bool
	walkTop(body, func(k string, raw []byte) bool {
		if k != key {
			return true
		}
		switch {
		case len(raw) > 0 && raw[0] == '"':
			found, ok = unquote(raw), true
		case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
			found, ok = string(raw), true
		}
		return false
	})
	return found, ok
}
