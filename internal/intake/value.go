package intake

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"leadbox/internal/lead"
)

// Limits on the exact-integer path for numbers written with a fraction or an
// exponent, so "1e999999999" or a megabyte of digits cannot make big.Rat
// allocate or work without bound. An int64 needs 19 digits; the rest is slack
// for trailing zeros.
const (
	maxExponent      = 30
	maxDecimalLength = 64
)

// intValue reads an int field: a JSON integer, or a number or numeric string
// whose value is a whole number. null, "" and blank strings are absent.
func (s *decodeState) intValue(f *lead.Field, i int, raw []byte) (*int64, lead.Text) {
	var text string
	switch raw[0] {
	case 'n':
		return nil, lead.Text{}
	case '"':
		text = strings.TrimSpace(s.text(raw))
		if text == "" {
			return nil, lead.Text{}
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		text = s.literal(raw)
	default:
		return nil, lead.T(lead.MsgInteger, f.Label)
	}
	n, ok := parseInteger(text)
	switch {
	case !ok:
		return nil, lead.T(lead.MsgInteger, f.Label)
	case isReference(f.Name) && n <= 0:
		// Row ids start at 1, so no such row can exist.
		return nil, lead.T(lead.MsgExists, f.Label)
	case f.Name == "cost" && n < 0:
		return nil, lead.T(msgNegative, f.Label)
	}
	p := &s.ints[i]
	*p = n
	return p, lead.Text{}
}

// isReference reports whether the int field names a row of the account.
func isReference(name string) bool {
	switch name {
	case "userIdOwner", "sourceId", "locationUnitId", "locationCityId", "funnelStageId":
		return true
	}
	return false
}

// parseInteger reads a decimal number that is a whole int64. It never goes
// through float64, which would round 9007199254740993 to a neighbour.
func parseInteger(text string) (int64, bool) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true
	}
	if len(text) > maxDecimalLength || !isDecimal(text) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// isDecimal reports whether text is [+-]digits[.digits][(e|E)[+-]digits]
// with an exponent of at most maxExponent. big.Rat would also take
// fractions, hex and octal, which no sender means.
func isDecimal(text string) bool {
	i := 0
	if i < len(text) && (text[i] == '+' || text[i] == '-') {
		i++
	}
	n := digits(text[i:])
	if n == 0 {
		return false
	}
	i += n
	if i < len(text) && text[i] == '.' {
		i++
		n = digits(text[i:])
		if n == 0 {
			return false
		}
		i += n
	}
	if i == len(text) {
		return true
	}
	if text[i] != 'e' && text[i] != 'E' {
		return false
	}
	i++
	if i < len(text) && (text[i] == '+' || text[i] == '-') {
		i++
	}
	exp := text[i:]
	if digits(exp) != len(exp) || exp == "" {
		return false
	}
	e, err := strconv.Atoi(exp)
	return err == nil && e <= maxExponent
}

// digits returns how many ASCII digits s starts with.
func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// stringValue reads a string field. A number is taken as its literal text:
// senders send phones and ids unquoted. null, "" and blank strings are
// absent.
func (s *decodeState) stringValue(f *lead.Field, i int, raw []byte) (*string, lead.Text) {
	var v string
	switch raw[0] {
	case 'n':
		return nil, lead.Text{}
	case '"':
		v = s.text(raw)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		v = s.literal(raw)
	default:
		return nil, lead.T(lead.MsgString, f.Label)
	}
	// A NUL ("\u0000") means nothing in a name or a mark, and PostgreSQL's
	// text cannot hold it; the raw body keeps it all the same.
	v = strings.TrimSpace(strings.ReplaceAll(v, "\x00", ""))
	if v == "" {
		return nil, lead.Text{}
	}
	if utf8.RuneCountInString(v) > f.MaxLen {
		return nil, lead.T(lead.MsgMax, f.Label, f.MaxLen)
	}
	p := &s.strs[i]
	*p = v
	return p, lead.Text{}
}

// literal returns a number's text as sent: a slice of the body's string
// copy on the fast path.
func (s *decodeState) literal(raw []byte) string {
	if s.sub {
		if s.bodyText == "" {
			s.bodyText = string(s.body)
		}
		at := cap(s.body) - cap(raw)
		return s.bodyText[at : at+len(raw)]
	}
	return string(raw)
}

// unquote returns the text of a JSON string literal the decoder has already
// checked. Most values have no escapes and need no second parse.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a valid string literal
	return s
}
