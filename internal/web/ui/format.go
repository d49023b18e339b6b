package ui

import (
	"encoding/json"
	"html/template"
	"strconv"
	"time"

	"github.com/nyaruka/phonenumbers"

	"leadbox/internal/lead"
)

// templateFuncs are the helpers every template may call.
var templateFuncs = template.FuncMap{
	"phone":      formatPhone,
	"when":       func(unix int64) string { return formatTime(unix, time.UTC) },
	"date":       func(unix int64) string { return time.Unix(unix, 0).UTC().Format("02.01.2006") },
	"whenMs":     func(ms int64) string { return time.UnixMilli(ms).UTC().Format("02.01.2006 15:04:05") },
	"dtLocal":    func(unix int64) string { return formatLocal(unix, time.UTC) },
	"taskOf":     taskOf,
	"actRows":    actRows,
	"str":        func(p *string) string { return uiStr(p) },
	"id":         func(p *int64) int64 { return derefInt(p) },
	"isID":       func(p *int64, id int64) bool { return p != nil && *p == id },
	"json":       prettyJSON,
	"add":        func(a, b int) int { return a + b },
	"mod":        func(a, b int) int { return a % b },
	"itoa":       func(n int64) string { return strconv.FormatInt(n, 10) },
	"percent":    func(part, whole int64) string { return percent(part, whole) },
	"sourceForm": defaultsOf,
	"outcomeOf":  outcomeOf,
	"errorLines": errorLines,
}

// outcomeForm is what the "outcome" select of the stages page needs.
type outcomeForm struct {
	*view
	Outcome  string
	Outcomes []string
}

func outcomeOf(v *view, outcome string) outcomeForm {
	return outcomeForm{view: v, Outcome: outcome, Outcomes: lead.Outcomes}
}

// formatPhone shows an international number the way people write it
// ("+7 999 888-88-88"); what it cannot parse it shows as stored.
func formatPhone(p *string) string {
	if p == nil {
		return ""
	}
	if s := *p; len(s) == 11 && s[0] == '7' && s[1] == '9' && allDigits(s) {
		// A Russian mobile, most of the inbox's numbers, written as
		// libphonenumber writes it (TestFormatPhoneMobile) without its
		// parse: a fifth of the inbox page's time went to 50 parses.
		return "+7 " + s[1:4] + " " + s[4:7] + "-" + s[7:9] + "-" + s[9:]
	}
	num, err := phonenumbers.Parse("+"+*p, "")
	if err != nil {
		return *p
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// timeFuncs are the time helpers of the templates, showing times in loc
// (templateFuncs' own, in UTC, are only there for parsing).
func timeFuncs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"when":    func(unix int64) string { return formatTime(unix, loc) },
		"date":    func(unix int64) string { return time.Unix(unix, 0).In(loc).Format("02.01.2006") },
		"whenMs":  func(ms int64) string { return time.UnixMilli(ms).In(loc).Format("02.01.2006 15:04:05") },
		"dtLocal": func(unix int64) string { return formatLocal(unix, loc) },
	}
}

func formatTime(unix int64, loc *time.Location) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).In(loc).Format("02.01.2006 15:04")
}

// formatLocal is a time as a datetime-local input takes it, in the zone
// formatTime shows.
func formatLocal(unix int64, loc *time.Location) string {
	return time.Unix(unix, 0).In(loc).Format("2006-01-02T15:04")
}

func uiStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// prettyJSON indents a JSON document for reading; anything else comes back
// as it is.
func prettyJSON(b []byte) string {
	var v any
	if len(b) == 0 || json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return string(b)
	}
	return string(out)
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0%"
	}
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 1, 64) + "%"
}

// defaultsForm is what the "defaults" partial needs: the view for its
// text, the account's names and the source whose defaults it shows.
type defaultsForm struct {
	*view
	Names *names
	Src   lead.Source
}

func defaultsOf(v *view, src any) defaultsForm {
	f := defaultsForm{view: v}
	switch d := v.Data.(type) {
	case sourcesData:
		f.Names = d.Names
	case sourceData:
		f.Names = d.Names
	}
	if s, ok := src.(lead.Source); ok {
		f.Src = s
	}
	return f
}
