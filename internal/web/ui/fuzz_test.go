package ui_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/ui"
	"leadbox/internal/web/webtest"
)

// Fuzz targets for what the UI parses itself: the inbox's query string and
// redirect targets. Each must never panic and must refuse with a *lead.Error
// the handlers can answer.

// FuzzParseInbox also checks that the inbox's filter survives its own
// encoding: the next page's link must show the same leads.
func FuzzParseInbox(f *testing.F) {
	for _, s := range []string{
		"", "source=1&stage=2&owner=3&from=2024-01-01&to=2024-01-31&q=test&dup=1&before=100",
		"source=x", "before=0", "before=-1", "from=2024-13-01", "q=%2B7+999+888+88+88", "q=12", "q=+++",
		"q=%D0%98%D0%B2%D0%B0%D0%BD", "q=a%26b%3Dc", "dup=true", "source=+7+",
	} {
		f.Add(s)
	}
	s := ui.NewParser(intake.New(""))
	f.Fuzz(func(t *testing.T, query string) {
		v, _ := url.ParseQuery(query)
		q, flt, err := s.ParseInbox(v)
		if err != nil {
			webtest.WantError(t, err, lead.EInvalid)
			return
		}
		if flt.Before < 0 {
			t.Fatalf("before %d", flt.Before)
		}
		v2, err := url.ParseQuery(q.Encode())
		if err != nil {
			t.Fatalf("encode() = %q does not parse: %v", q.Encode(), err)
		}
		q2, flt2, err := s.ParseInbox(v2)
		if err != nil {
			t.Fatalf("re-reading %q: %v", q.Encode(), err)
		}
		q.Before, flt.Before = 0, 0
		if q2 != q || !sameFilter(flt, flt2) {
			t.Fatalf("filter changed through encode():\n %+v %+v\n %+v %+v", q, flt, q2, flt2)
		}
	})
}

func sameFilter(a, b store.LeadFilter) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// FuzzLocalPath checks the login's redirect target: whatever "next" holds,
// a browser must stay on this site. Browsers drop tabs and newlines from a
// URL and read a backslash as a slash.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{
		"/", "/leads/1", "/?q=a&b=c", "//evil.example", "/\\evil.example", "https://evil.example", "evil",
		"/\t/evil.example", "/\n/evil.example", "\t//evil.example", "/%2F/evil.example", "/leads/1#x", "",
		"///evil.example", "/.//evil.example", "/\x00/evil.example", "/\u00a0/x", "javascript:alert(1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := ui.LocalPath(p)
		seen := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(got)
		if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("ui.LocalPath(%q) = %q, which a browser reads as %q: another site", p, got, seen)
		}
		if u, err := url.Parse(got); err == nil && (u.Scheme != "" || u.Host != "") {
			t.Fatalf("ui.LocalPath(%q) = %q: scheme %q, host %q", p, got, u.Scheme, u.Host)
		}
		if strings.IndexFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Fatalf("ui.LocalPath(%q) = %q holds a control character", p, got)
		}
	})
}
