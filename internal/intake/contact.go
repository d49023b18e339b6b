package intake

import (
	"net/mail"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone returns the number s names in international form, digits
// only ("79998888888"), reading a number without a country code as one of
// the decoder's region. An extension is dropped: duplicates are found by the
// line, not the desk. ok is false when s holds no dialable number.
func (d *Decoder) NormalizePhone(s string) (string, bool) {
	if n, ok := d.russianMobile(s); ok {
		return n, true
	}
	return d.libPhone(s)
}

// libPhone is NormalizePhone by libphonenumber alone, without the fast path
// for Russian mobiles.
func (d *Decoder) libPhone(s string) (string, bool) {
	num, err := phonenumbers.Parse(strings.TrimSpace(s), d.region)
	if err != nil {
		return "", false
	}
	// IsPossibleNumber also passes local-only numbers (seven digits in RU)
	// that lack an area code; those have no international form to compare.
	if phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE {
		return "", false
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if len(e164) < 2 || e164[0] != '+' || !allDigits(e164[1:]) {
		return "", false
	}
	// A national number kept with leading zeros can lose one more to the
	// trunk-prefix leniency ("+27 0 11…" is "+27 11…") at every reading:
	// "+270000000000" gives 27000000000, which gives 2700000000. Duplicates
	// are found by comparing this form, so it must read back as itself; no
	// real line fails that (fuzzing found it).
	if num.GetItalianLeadingZero() {
		again, err := phonenumbers.Parse(e164, d.region)
		if err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
			return "", false
		}
	}
	return e164[1:], true
}

// russianMobile is NormalizePhone's answer, without libphonenumber's
// parsing (a dozen microseconds), for the shape most leads carry: a Russian
// mobile number, written +7 9XX…, or — read in region RU — 8 9XX…, 7 9XX…
// or 9XX…, with spaces, brackets and hyphens. libphonenumber gives these
// 7 and the ten digits (its national prefix 8 and country code 7 are
// stripped, 9 starts no prefix, ten digits are RU's one possible length);
// TestRussianMobileAgrees checks it against libphonenumber. Anything else
// is left to the full parse.
func (d *Decoder) russianMobile(s string) (string, bool) {
	var buf [11]byte
	n, plus := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if n == len(buf) {
				return "", false
			}
			buf[n] = c
			n++
		case c == '+':
			if i != 0 || len(s) < 2 || s[1] < '0' || s[1] > '9' {
				return "", false // a plus only first, right before a digit
			}
			plus = true
		case c == ' ' || c == '(' || c == ')' || c == '-':
		default:
			return "", false
		}
	}
	digits := buf[:n]
	switch {
	case plus && n == 11 && digits[0] == '7' && digits[1] == '9':
	case !plus && d.region == "RU" && n == 11 && (digits[0] == '7' || digits[0] == '8') && digits[1] == '9':
	case !plus && d.region == "RU" && n == 10 && digits[0] == '9':
		return "7" + string(digits), true
	default:
		return "", false
	}
	digits[0] = '7'
	return string(digits), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// EmailKey is the form emails are compared in to find duplicates: mailboxes
// are case-insensitive in practice, whatever RFC 5321 allows.
func EmailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// validEmail reports whether s is a bare address a manager could write to:
// one '@', a dotted domain, no display name, comment or quoting.
func validEmail(s string) bool {
	if len(s) > 255 || strings.ContainsAny(s, "<>") || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	if plainAddress(s[:at]) && plainAddress(s[at+1:]) && strings.Contains(s[at+1:], ".") {
		return true // what ParseAddress takes as it is (TestPlainAddressAgrees)
	}
	if domain := s[at+1:]; domain == "" || !strings.Contains(domain, ".") {
		return false
	}
	// ParseAddress checks the RFC 5322 syntax (dots, specials, control
	// characters); requiring its result to be s itself refuses the forms it
	// rewrites, such as comments and quoted local parts.
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// plainAddress reports whether s is a dot-atom of the plainest kind:
// ASCII letters, digits and _%+- in dot-separated parts, none empty. An
// address of two such parts around one '@' is one net/mail reads as
// itself, without its allocations.
func plainAddress(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '%', c == '+', c == '-':
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	return true
}
