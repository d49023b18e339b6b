// Package i18n is leadbox's message catalogue (catalogue.go): every text a
// page shows and every message an error carries has a key there, with its
// Russian (the default, and the webhook's contract) and its English. The
// surfaces translate at the edge: the UI by its user's language, the API
// by Accept-Language (WantsEnglish, Translate).
package i18n

import (
	"fmt"
	"strconv"
	"strings"

	"leadbox/internal/lead"
)

// Messages are made in Russian where they arise, each as a template of the
// catalogue with its values (lead.Text); Translate finds the template's entry
// and fills its English with the same values, field labels translated too.
// A message the catalogue does not hold stays Russian.

// english maps each message template (msg.*) and label (label.*) of the
// catalogue, in Russian, to its English.
var english = func() map[string]string {
	out := map[string]string{}
	for key, t := range catalogue {
		if strings.HasPrefix(key, "msg.") || strings.HasPrefix(key, "label.") {
			out[t[0]] = t[1]
		}
	}
	return out
}()

// Translate returns a copy of e with its messages in English.
func Translate(e *lead.Error) *lead.Error {
	out := &lead.Error{Code: e.Code, RetryAfter: e.RetryAfter, Err: e.Err}
	for _, f := range e.Fields {
		for i := range f.Messages {
			out.Add(f.Field, English(f.Text(i)))
		}
	}
	return out
}

// English says a message in English by its template's catalogue entry; one
// the catalogue does not hold comes back in Russian.
func English(t lead.Text) string {
	en, ok := english[t.Format]
	if !ok {
		return t.String()
	}
	if t.IsPlain() || len(t.Args) == 0 {
		return en
	}
	verbs := verbsOf(t.Format)
	args := make([]any, len(t.Args))
	for i, a := range t.Args {
		if s, ok := a.(string); ok && i < len(verbs) && verbs[i] == 's' {
			a = label(s)
		}
		args[i] = a
	}
	return fmt.Sprintf(en, args...)
}

// verbsOf lists the verbs of a template in order: 's', 'd', 'q'.
func verbsOf(format string) []byte {
	var out []byte
	for i := 0; i < len(format)-1; i++ {
		if format[i] == '%' {
			i++
			if format[i] != '%' {
				out = append(out, format[i])
			}
		}
	}
	return out
}

// label returns a field label in English; anything else a %s holds (a key
// name, a method, a list) comes back as it is.
func label(s string) string {
	for _, f := range lead.Fields {
		if f.Label == s {
			return f.LabelEn
		}
	}
	if en, ok := english[s]; ok {
		return en
	}
	return s
}

// WantsEnglish reports whether an Accept-Language header prefers English to
// Russian; Russian is the default.
func WantsEnglish(header string) bool {
	bestQ, en := -1.0, false
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		base, _, _ := strings.Cut(tag, "-")
		if base != "en" && base != "ru" && tag != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if tag == "*" {
			continue
		}
		if q > bestQ {
			bestQ, en = q, base == "en"
		}
	}
	return en && bestQ > 0
}
