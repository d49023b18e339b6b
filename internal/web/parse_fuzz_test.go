package web

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Fuzz targets for what the web package parses itself: query strings of the
// API's lead list and of the inbox, Accept-Language, redirect targets, API
// bodies and Content-Type headers. Each must never panic and must refuse
// with a *lead.Error the handlers can answer.

// wantError fails unless err is a *lead.Error with code and a message.
func wantError(t *testing.T, err error, codes ...lead.Code) {
	t.Helper()
	var e *lead.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		t.Fatalf("error %T %#v is not a *lead.Error with a message", err, err)
	}
	for _, c := range codes {
		if e.Code == c {
			return
		}
	}
	t.Fatalf("error code %d (%v), want one of %v", e.Code, err, codes)
}

func FuzzLeadFilter(f *testing.F) {
	for _, s := range []string{
		"", "limit=10&cursor=123", "limit=0", "limit=1000000", "limit=-1", "cursor=-5", "cursor=9223372036854775808",
		"sourceId=1&funnelStageId=2&userIdOwner=3", "sourceId=abc", "sourceId=0", "from=2024-01-01&to=2024-02-30",
		"from=1700000000&to=-1", "duplicates=true", "duplicates=yes", "q=%2B7+(999)+888-88-88", "q=888-88",
		"q=ivan%40mail.ru", "q=%00%ff", "limit=%20%2050", "from=0001-01-01&to=9999-12-31",
	} {
		f.Add(s)
	}
	s := &Server{decoder: intake.New("")}
	f.Fuzz(func(t *testing.T, query string) {
		q, _ := url.ParseQuery(query)
		flt, err := s.leadFilter(q)
		if err != nil {
			wantError(t, err, lead.EInvalid)
			return
		}
		if flt.Limit < 1 || flt.Limit > store.MaxPage || flt.Before < 0 {
			t.Fatalf("limit %d, before %d out of range", flt.Limit, flt.Before)
		}
		for _, id := range []*int64{flt.SourceID, flt.StageID, flt.OwnerID} {
			if id != nil && *id <= 0 {
				t.Fatalf("id %d accepted", *id)
			}
		}
		if flt.Phone != "" && strings.Trim(flt.Phone, "0123456789") != "" {
			t.Fatalf("phone filter %q is not digits", flt.Phone)
		}
	})
}

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
	s := &Server{decoder: intake.New("")}
	f.Fuzz(func(t *testing.T, query string) {
		v, _ := url.ParseQuery(query)
		q, flt, err := s.parseInbox(v)
		if err != nil {
			wantError(t, err, lead.EInvalid)
			return
		}
		if flt.Before < 0 {
			t.Fatalf("before %d", flt.Before)
		}
		v2, err := url.ParseQuery(q.encode())
		if err != nil {
			t.Fatalf("encode() = %q does not parse: %v", q.encode(), err)
		}
		q2, flt2, err := s.parseInbox(v2)
		if err != nil {
			t.Fatalf("re-reading %q: %v", q.encode(), err)
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

func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{
		"", "en", "ru", "en-US,en;q=0.9,ru;q=0.8", "ru-RU,ru;q=0.9,en-US;q=0.8", "*", "en;q=0", "en;q=abc",
		"de-DE,de;q=0.9", "EN-gb;q=1.0, RU;q=1.0", "en;q=NaN", "en;q=1e400", "en;q=-1", strings.Repeat("en,", 1000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		en := wantsEnglish(header)
		if en && !strings.Contains(strings.ToLower(header), "en") {
			t.Fatalf("wantsEnglish(%q) = true without an English tag", header)
		}
		if en != wantsEnglish(header) {
			t.Fatal("not deterministic")
		}
	})
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
		got := localPath(p)
		seen := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(got)
		if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("localPath(%q) = %q, which a browser reads as %q: another site", p, got, seen)
		}
		if u, err := url.Parse(got); err == nil && (u.Scheme != "" || u.Host != "") {
			t.Fatalf("localPath(%q) = %q: scheme %q, host %q", p, got, u.Scheme, u.Host)
		}
		if strings.IndexFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Fatalf("localPath(%q) = %q holds a control character", p, got)
		}
	})
}

// FuzzDecodeObject feeds the API's body reader.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"name":"x"}`, `[]`, `null`, ``, ` `, `{"a":1}{"b":2}`, `{"a":1} x`, "\xef\xbb\xbf{}", "{\"a\":\"\xff\"}",
		`{"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, `{"a":1e400,"b":9223372036854775808}`,
		`{"a":"\ud800"}`, `"x"`, `{"a":1,"a":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var m map[string]json.RawMessage
		err := decodeObject(body, &m)
		if err != nil {
			wantError(t, err, lead.EMalformed)
			return
		}
		if m == nil {
			t.Fatalf("accepted %q without an object", body)
		}
		for k, v := range m {
			if !json.Valid(v) {
				t.Fatalf("value of %q is not JSON: %q", k, v)
			}
		}
	})
}

func FuzzContentType(f *testing.F) {
	for _, s := range []string{
		"", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
		"application/vnd.api+json", "multipart/form-data; boundary=x", "application/json; charset", "text/html",
		"application/json; charset=windows-1251", "application/json; x=\"\xff\"", "APPLICATION/JSON",
	} {
		f.Add(s, []byte(`{"phone":"79998888888"}`))
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		// readPayload replaced checkContentType (issue 5): it also reads form
		// bodies, so a malformed form is EMalformed.
		if _, err := readPayload(header, body); err != nil {
			if c := lead.ErrorCode(err); c != lead.EUnsupported && c != lead.EMalformed {
				t.Fatalf("readPayload(%q): code %v, want EUnsupported or EMalformed: %v", header, c, err)
			}
		}
	})
}
