package intake

import (
	"encoding/json"
	"testing"

	"leadbox/internal/lead"
)

// quizBody is a quiz builder's nested lead: contacts in an object, answers
// in an array, marks two levels down.
const quizBody = `{"quiz":{"id":"5f1","name":"Диваны"},"contacts":{"name":"Анна","phone":"+7 916 123-45-67"},
"answers":[{"q":"Какой диван?","a":"Угловой"}],"result":[{"title":"Скидка","cost":15000}],
"extra":{"utm":{"source":"yandex","Medium":"cpc"},"ip":"203.0.113.5"}}`

func TestMapPaths(t *testing.T) {
	js := func(body string) Payload { return Payload{Format: FormatJSON, JSON: []byte(body)} }
	cases := []struct {
		name    string
		preset  string
		aliases map[string]string
		in      Payload
		want    string
	}{
		{name: "paths into objects and arrays, exact then any case", preset: "leadbox",
			aliases: map[string]string{"contacts.phone": "phone", "contacts.name": "name", "extra.utm.source": "utmSource",
				"extra.utm.medium": "utmMedium", "result.0.cost": "cost"},
			in: js(quizBody),
			want: `{"quiz":{"id":"5f1","name":"Диваны"},"contacts":{"name":"Анна","phone":"+7 916 123-45-67"},` +
				`"answers":[{"q":"Какой диван?","a":"Угловой"}],"result":[{"title":"Скидка","cost":15000}],` +
				`"extra":{"utm":{"source":"yandex","Medium":"cpc"},"ip":"203.0.113.5"},` +
				`"name":"Анна","phone":"+7 916 123-45-67","utmSource":"yandex","cost":15000,"utmMedium":"cpc"}`}, // medium: only in any case
		{name: "a top-level field wins over a path", preset: "leadbox", aliases: map[string]string{"c.phone": "phone"},
			in: js(`{"c":{"phone":"1"},"phone":"2"}`), want: `{"c":{"phone":"1"},"phone":"2"}`},
		{name: "empty values are passed over", preset: "leadbox", aliases: map[string]string{"a.phone": "phone", "b.phone": "phone"},
			in: js(`{"a":{"phone":""},"b":{"phone":"3"}}`), want: `{"a":{"phone":""},"b":{"phone":"3"},"phone":"3"}`},
		{name: "a missing path or index changes nothing but the mapping", preset: "leadbox",
			aliases: map[string]string{"a.x": "phone", "l.5": "email", "l.01": "name"},
			in:      js(`{"a":{"y":1},"l":["x","y"],"phone":"1"}`), want: `{"a":{"y":1},"l":["x","y"],"phone":"1"}`},
		{name: "a name segment picks the array element by key", preset: "leadbox",
			aliases: map[string]string{"answers.phone_number.answer": "phone"},
			in:      js(`{"answers":[{"key":"first_name","answer":"Ян"},{"key":"phone_number","answer":"79161112233"}]}`),
			want:    `{"answers":[{"key":"first_name","answer":"Ян"},{"key":"phone_number","answer":"79161112233"}],"phone":"79161112233"}`},
		{name: "form preset finds common names one level down", preset: "form",
			in:   js(`{"contacts":{"Name":"Анна","Phone":"1","comment":"x"},"form":"f"}`),
			want: `{"contacts":{"Name":"Анна","Phone":"1","comment":"x"},"form":"f","name":"Анна","phone":"1"}`},
		{name: "but no deeper", preset: "form", in: js(`{"a":{"b":{"phone":"1"}}}`), want: `{"a":{"b":{"phone":"1"}}}`},
		{name: "the leadbox preset does not look down without aliases", preset: "leadbox", aliases: map[string]string{"x": "name"},
			in: js(`{"contacts":{"phone":"1"}}`), want: `{"contacts":{"phone":"1"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := NewMapping(tc.preset, tc.aliases).Map(tc.in, "")
			if !changed || string(got) != tc.want {
				t.Fatalf("Map = %s (changed %v)\nwant %s", got, changed, tc.want)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON %s", got)
			}
		})
	}
}

// TestReadNested reads a nested lead whole: the fields from inside, the
// nested values kept as extra fields.
func TestReadNested(t *testing.T) {
	d := New("")
	r, err := d.ReadRequest(Request{Method: "POST", ContentType: "application/json", Body: []byte(quizBody)},
		lead.Reading{Preset: "leadbox", Aliases: map[string]string{"contacts.phone": "phone", "Contacts.Name": "name", "result.0.cost": "cost"}})
	if err != nil || r.Err != nil {
		t.Fatalf("%v %v", err, r.Err)
	}
	in := r.Input
	if in.Phone == nil || *in.Phone != "79161234567" || in.Name == nil || *in.Name != "Анна" || in.Cost == nil || *in.Cost != 15000 {
		t.Errorf("input %+v", in)
	}
	var extra map[string]any
	if err := json.Unmarshal(in.Extra, &extra); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"quiz", "contacts", "answers", "result", "extra"} {
		if extra[k] == nil {
			t.Errorf("extra lacks %s: %s", k, in.Extra)
		}
	}
}

func TestBracketPath(t *testing.T) {
	for in, want := range map[string]string{"fields[name][value]": "fields.name.value", "a[b]": "a.b",
		"a[]": "", "[a]": "", "a[b": "", "a[b]c": "", "plain": ""} {
		got, ok := bracketPath(in)
		if got != want || ok != (want != "") {
			t.Errorf("bracketPath(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	m := NewMapping("form", map[string]string{"fields.tel.value": "phone"})
	if f := m.Field("fields[tel][value]", FormatForm); f != "phone" {
		t.Errorf("bracket name maps to %q", f)
	}
}
