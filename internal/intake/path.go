package intake

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Dot paths: an alias or a preset name may reach into nested JSON
// ("contacts.phone", "extra.utm.source", "result.0.cost"). A numeric
// segment indexes an array; any other segment on an array picks the element
// whose "key", "name" or "id" member is that text, as senders that send
// answers as a list of {key, answer} objects need (VK lead forms). A form
// field named in bracket notation ("fields[name][value]") is matched by the
// same path ("fields.name.value").

// pathAlias is an alias or preset name that is a path into nested JSON.
type pathAlias struct {
	segs  []string
	field string
	fold  bool // matched case-insensitively (the lower-cased names of presets and folded aliases)
}

// isPath reports whether an incoming name is a dot path rather than a name.
func isPath(name string) bool {
	return strings.Contains(name, ".") && !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".") &&
		!strings.Contains(name, "..")
}

// lookupPath returns the value at segs inside the JSON value raw.
func lookupPath(raw []byte, segs []string, fold bool) ([]byte, bool) {
	for _, seg := range segs {
		raw = bytes.TrimLeft(raw, " \t\r\n")
		if len(raw) == 0 {
			return nil, false
		}
		var next []byte
		switch raw[0] {
		case '{':
			walkTop(raw, func(key string, v []byte) bool {
				if key == seg || fold && strings.EqualFold(key, seg) {
					next = v
					return false
				}
				return true
			})
		case '[':
			next = arrayElement(raw, seg, fold)
		}
		if next == nil {
			return nil, false
		}
		raw = next
	}
	return raw, true
}

// arrayElement returns the element of a JSON array that seg names: by index
// when seg is a number, else the object whose key, name or id is seg.
func arrayElement(raw []byte, seg string, fold bool) []byte {
	index, err := strconv.Atoi(seg)
	numeric := err == nil && index >= 0 && strconv.Itoa(index) == seg
	var found []byte
	walkArray(raw, func(i int, v []byte) bool {
		if numeric {
			if i == index {
				found = v
				return false
			}
			return true
		}
		if len(v) == 0 || v[0] != '{' {
			return true
		}
		for _, k := range []string{"key", "name", "id"} {
			if s, ok := jsonMember(v, k); ok && (s == seg || fold && strings.EqualFold(s, seg)) {
				found = v
				return false
			}
		}
		return true
	})
	return found
}

// walkArray calls fn with each element of a JSON array, in order, until fn
// returns false. The array came from the decoder, so it is well-formed.
func walkArray(raw []byte, fn func(i int, v []byte) bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return
	}
	for i := 0; dec.More(); i++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil || !fn(i, v) {
			return
		}
	}
}

// blank reports whether a JSON value gives a field nothing: null, "" or
// only spaces.
func blank(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	return raw[0] == '"' && strings.TrimSpace(unquote(raw)) == ""
}

// bracketPath turns a form field named in bracket notation into a dot path:
// "fields[name][value]" is "fields.name.value"; ok is false for other names.
func bracketPath(name string) (string, bool) {
	i := strings.IndexByte(name, '[')
	if i <= 0 || !strings.HasSuffix(name, "]") {
		return "", false
	}
	var b strings.Builder
	b.WriteString(name[:i])
	for rest := name[i:]; rest != ""; {
		end := strings.IndexByte(rest, ']')
		if rest[0] != '[' || end < 2 {
			return "", false
		}
		b.WriteByte('.')
		b.WriteString(rest[1:end])
		rest = rest[end+1:]
	}
	return b.String(), true
}
