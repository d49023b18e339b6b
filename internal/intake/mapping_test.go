package intake

import (
	"encoding/json"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

func TestReadForm(t *testing.T) {
	cases := []struct {
		body string
		want []Pair
		bad  bool
	}{
		{body: "a=1&b=2", want: []Pair{{"a", "1"}, {"b", "2"}}},
		{body: "b=2&a=1&b=3", want: []Pair{{"b", "2"}, {"a", "1"}, {"b", "3"}}},
		{body: "name=%D0%98%D0%B2%D0%B0%D0%BD+%D0%9F", want: []Pair{{"name", "Иван П"}}},
		{body: "flag&x=", want: []Pair{{"flag", ""}, {"x", ""}}},
		{body: "&&a=1&", want: []Pair{{"a", "1"}}},
		{body: "\ufeffa=1\n", want: []Pair{{"a", "1"}}},
		{body: "a=%00b", want: []Pair{{"a", "b"}}},
		{body: "a=%zz", bad: true},
		{body: "a=%FF", bad: true},
		{body: "", bad: true},
		{body: "&&&", bad: true},
	}
	for _, tc := range cases {
		p, err := ReadForm([]byte(tc.body), nil)
		if tc.bad {
			if err == nil {
				t.Errorf("ReadForm(%q) = %v, want an error", tc.body, p.Pairs)
			}
			continue
		}
		if err != nil || len(p.Pairs) != len(tc.want) {
			t.Errorf("ReadForm(%q) = %v, %v; want %v", tc.body, p.Pairs, err, tc.want)
			continue
		}
		for i := range tc.want {
			if p.Pairs[i] != tc.want[i] {
				t.Errorf("ReadForm(%q)[%d] = %v, want %v", tc.body, i, p.Pairs[i], tc.want[i])
			}
		}
	}
}

func TestReadMultipart(t *testing.T) {
	body := "--b\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n+7 999 000-11-22\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\n\r\n%PDF\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\na\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nb\r\n--b--\r\n"
	p, err := ReadMultipart([]byte(body), "b", nil)
	if err != nil || len(p.Pairs) != 3 || p.Pairs[0] != (Pair{"phone", "+7 999 000-11-22"}) {
		t.Fatalf("ReadMultipart = %+v, %v", p, err)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "cv.pdf") {
		t.Errorf("notes %q", p.Notes)
	}
	for _, bad := range []struct{ body, boundary string }{
		{body, ""}, {"--b\r\nno end", "b"}, {"--b--\r\n", "b"},
	} {
		if _, err := ReadMultipart([]byte(bad.body), bad.boundary, nil); err == nil {
			t.Errorf("ReadMultipart(%q, %q): no error", bad.body, bad.boundary)
		}
	}
}

func TestMap(t *testing.T) {
	form := func(body string) Payload {
		p, err := ReadForm([]byte(body), nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	js := func(body string) Payload { return Payload{Format: FormatJSON, JSON: []byte(body)} }
	cases := []struct {
		name    string
		preset  string
		aliases map[string]string
		skip    string
		in      Payload
		want    string // "" means the body itself, unchanged
	}{
		{name: "JSON by the contract passes through", preset: "leadbox", in: js(`{"Phone":"1","phone":"2"}`)},
		{name: "form names in any case", preset: "leadbox", in: form("Name=A&PHONE=1&E-mail=x@y.ru&utm_source=ya"),
			want: `{"name":"A","phone":"1","email":"x@y.ru","utmSource":"ya"}`},
		{name: "unknown names stay, in order, without empties", preset: "form", in: form("b=2&a=1&c=&phone=7"),
			want: `{"phone":"7","b":"2","a":"1"}`},
		{name: "checkbox group becomes an array", preset: "form", in: form("phone=1&tag=x&tag=y"),
			want: `{"phone":"1","tag":["x","y"]}`},
		{name: "first non-empty value of a field wins", preset: "form", in: form("tel=&phone=1&Phone=2"),
			want: `{"phone":"1","Phone":"2"}`},
		{name: "an exact field name repeated is left in the raw body", preset: "form", in: form("phone=1&phone=2"),
			want: `{"phone":"1"}`},
		{name: "aliases win over the preset, exact then any case", preset: "form",
			aliases: map[string]string{"Tel": "email", "client_phone": "phone", "name": ""}, in: form("tel=a@b.ru&CLIENT_PHONE=5"),
			want: `{"email":"a@b.ru","phone":"5"}`},
		{name: "alias to keep a preset name as an extra key", preset: "form",
			aliases: map[string]string{"mail": ""}, in: form("phone=1&mail=x"), want: `{"phone":"1","mail":"x"}`},
		{name: "honeypot left out", preset: "form", skip: "website", in: form("phone=1&website=http://x"),
			want: `{"phone":"1"}`},
		{name: "JSON renamed by aliases", preset: "leadbox", aliases: map[string]string{"tel": "phone"},
			in: js(`{"tel":"1","n":{"a":[1,2]}}`), want: `{"phone":"1","n":{"a":[1,2]}}`},
		{name: "JSON on the form preset: any case", preset: "form", in: js(`{"Phone":"1","Name":"A"}`),
			want: `{"phone":"1","name":"A"}`},
		{name: "malformed JSON is left for the decoder", preset: "form", in: js(`{"Phone":`)},
		{name: "HTML is not escaped", preset: "form", in: form("phone=1&q=%3Cb%3E%26"), want: `{"phone":"1","q":"<b>&"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := NewMapping(tc.preset, tc.aliases).Map(tc.in, tc.skip)
			if tc.want == "" {
				if changed || string(got) != string(tc.in.JSON) {
					t.Fatalf("Map changed the body: %s", got)
				}
				return
			}
			if !changed || string(got) != tc.want {
				t.Fatalf("Map = %s (changed %v), want %s", got, changed, tc.want)
			}
			if !json.Valid(got) {
				t.Fatalf("Map made invalid JSON: %s", got)
			}
		})
	}
}

func TestIsPing(t *testing.T) {
	m := NewMapping("tilda", nil)
	for body, want := range map[string]bool{
		"test=test":                   true,
		"test=test&Phone=":            true,
		"test=test&Phone=79990001122": false,
		"Phone=79990001122":           false,
		"tests=1":                     false,
	} {
		p, _ := ReadForm([]byte(body), nil)
		if got := m.IsPing(p); got != want {
			t.Errorf("IsPing(%q) = %v, want %v", body, got, want)
		}
	}
	if !m.IsPing(Payload{Format: FormatJSON, JSON: []byte(`{"test":"test"}`)}) {
		t.Error("JSON connection check not recognised")
	}
}

// FuzzMapForm reads any form body and maps it by each preset: it never
// panics, and what it maps is a JSON object the decoder reads without a
// malformed-body error.
func FuzzMapForm(f *testing.F) {
	for _, s := range []string{"Name=A&Phone=%2B7+999+000-11-22&tranid=1%3A2", "test=test", "a=1&a=2&a=", "%zz", "phone=%00",
		"your-name=%D0%98&your-tel=8916", "tag=x&tag=y&Tag=z"} {
		f.Add([]byte(s), "form", "client_phone")
	}
	d := New("")
	f.Fuzz(func(t *testing.T, body []byte, preset, alias string) {
		p, err := ReadForm(body, nil)
		if err != nil {
			return
		}
		out, _ := NewMapping(preset, map[string]string{alias: "phone"}).Map(p, "website")
		if !json.Valid(out) {
			t.Fatalf("Map made invalid JSON from %q: %s", body, out)
		}
		if _, err := d.DecodeJSON(out); lead.ErrorCode(err) == lead.EMalformed {
			t.Fatalf("decoder refused the mapped object %s: %v", out, err)
		}
	})
}
