package intake

import (
	"bytes"
	"encoding/json"

	"leadbox/internal/lead"
)

// The fast path reads a body that is valid JSON (json.Valid says so, without
// allocating) by slicing it, rather than through encoding/json's Decoder,
// which allocates for every token: a typical lead costs a few allocations
// instead of two hundred. Every decision is still made by the same code
// (value, stringField, intValue); only the finding of keys and values
// differs, and a body that is not valid JSON goes the Decoder's way, for
// its messages with their offsets.

// fieldIndex is each lead field's position in lead.Fields.
var fieldIndex = func() map[string]int {
	m := make(map[string]int, len(lead.Fields))
	for i, f := range lead.Fields {
		m[f.Name] = i
	}
	return m
}()

// maxFields bounds lead.Fields for the decodeState's arrays.
const maxFields = 40

// walkValid reads the members of the object body, which json.Valid has
// passed and which starts with '{' after spaces.
func (s *decodeState) walkValid(body []byte) *lead.Error {
	s.body, s.sub = body, true
	i := skipSpace(body, 0) + 1
	i = skipSpace(body, i)
	if body[i] == '}' {
		return nil
	}
	for {
		ke := stringEnd(body, i)
		key := body[i+1 : ke-1]
		var name string
		if bytes.IndexByte(key, '\\') >= 0 {
			name = unquote(body[i:ke])
			key = []byte(name)
		}
		i = skipSpace(body, ke) + 1 // the colon
		i = skipSpace(body, i)
		ve := valueEnd(body, i)
		if s.dup(key) {
			return malformed(lead.T(msgDuplicate, shorten(string(key))), nil)
		}
		s.valueBytes(key, body[i:ve])
		i = skipSpace(body, ve)
		if body[i] == '}' {
			return nil
		}
		i = skipSpace(body, i+1) // past the comma
	}
}

// dup reports whether key was seen before in this object, and notes it.
// A few keys are compared in a list; a body with many keys gets a map, so
// that a hostile one costs no quadratic work.
func (s *decodeState) dup(key []byte) bool {
	if s.seenMap != nil {
		if _, ok := s.seenMap[string(key)]; ok {
			return true
		}
		s.seenMap[string(key)] = struct{}{}
		return false
	}
	for _, k := range s.seen {
		if bytes.Equal(k, key) {
			return true
		}
	}
	if len(s.seen) == len(s.seenBuf) {
		s.seenMap = make(map[string]struct{}, 2*len(s.seen))
		for _, k := range s.seen {
			s.seenMap[string(k)] = struct{}{}
		}
		s.seenMap[string(key)] = struct{}{}
		return false
	}
	s.seen = append(s.seen, key)
	return false
}

// text returns the string a JSON string literal raw holds. A literal
// without escapes inside the body is a slice of the body's one string copy.
func (s *decodeState) text(raw []byte) string {
	if s.sub && bytes.IndexByte(raw, '\\') < 0 {
		if s.bodyText == "" {
			s.bodyText = string(s.body)
		}
		at := cap(s.body) - cap(raw) // raw is a slice of body
		return s.bodyText[at+1 : at+len(raw)-1]
	}
	return unquote(raw)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string literal at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
}

// valueEnd returns the index just past the value at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}

// writeKey writes key as a JSON string, as the extra fields' encoder would:
// as it came when it needs no escaping.
func (s *decodeState) writeKey(key []byte) {
	if !needsEscape(key) {
		s.extra.WriteByte('"')
		s.extra.Write(key)
		s.extra.WriteByte('"')
		return
	}
	if s.extraEnc == nil {
		s.extraEnc = json.NewEncoder(&s.extra)
		s.extraEnc.SetEscapeHTML(false) // keys are shown as text, not embedded in HTML
	}
	_ = s.extraEnc.Encode(string(key)) // a string always encodes
	s.extra.Truncate(s.extra.Len() - 1)
}

// needsEscape reports whether encoding/json would write key other than as
// it is between quotes: a quote, a backslash, a control character, U+2028
// or U+2029 (the key is valid UTF-8, checked before).
func needsEscape(key []byte) bool {
	for i, c := range key {
		if c < 0x20 || c == '"' || c == '\\' || c == 0xE2 && i+2 < len(key) && key[i+1] == 0x80 && (key[i+2] == 0xA8 || key[i+2] == 0xA9) {
			return true
		}
	}
	return false
}
