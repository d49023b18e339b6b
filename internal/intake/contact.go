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
	if domain := s[at+1:]; domain == "" || !strings.Contains(domain, ".") {
		return false
	}
	// ParseAddress checks the RFC 5322 syntax (dots, specials, control
	// characters); requiring its result to be s itself refuses the forms it
	// rewrites, such as comments and quoted local parts.
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}
