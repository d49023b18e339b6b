package ui

import (
	"bytes"
	"encoding/json"
	"strings"
)

// extraField is one field a sender sent that is no lead field (a form's
// comment, a quiz answer), as the card shows it: text as text, a list of
// texts joined, anything nested as indented JSON (Block).
type extraField struct {
	Key, Value string
	Block      bool
}

// extraFields reads a lead's extra fields (a JSON object) in the sender's
// order; what is not an object shows as one field of its JSON.
func extraFields(raw []byte) []extraField {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return []extraField{{Value: prettyJSON(raw), Block: true}}
	}
	var out []extraField
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return append(out, extraField{Value: prettyJSON(raw), Block: true})
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return append(out, extraField{Value: prettyJSON(raw), Block: true})
		}
		value, block := extraText(v)
		out = append(out, extraField{Key: key, Value: value, Block: block})
	}
	return out
}

// extraText shows one value: a string as it is (line breaks kept by the
// page's CSS), a number or true/false as written, null as nothing, a list
// of such values joined with commas, and anything else as indented JSON.
func extraText(v json.RawMessage) (string, bool) {
	if s, ok := scalarText(v); ok {
		return s, false
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := scalarText(e)
			if !ok {
				return prettyJSON(v), true
			}
			if s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", "), false
	}
	return prettyJSON(v), true
}

func scalarText(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", true
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return string(v), true
		}
		return s, true
	case 'n':
		return "", true
	case '{', '[':
		return "", false
	}
	return string(v), true // a number, true or false, as written
}
