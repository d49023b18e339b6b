package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

// FuzzDecodePatch checks the partial-update decoder the API's PATCH uses:
// it never panics, fails only with a *lead.Error that can be answered, and
// what it accepts names only known fields, once each, in the seed's order.
func FuzzDecodePatch(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"name":"Пётр","funnelStageId":null,"cost":"100","x":1}`,
		`{"phone":"8 999 888 88 88","email":null}`, `{"phone":null,"email":""}`,
		`{"userIdOwner":"abc","cost":1.5,"remoteId":9223372036854775808,"sourceId":1e400}`,
		`{"name":"x","name":"y"}`, `{"utmSource":"` + strings.Repeat("я", 300) + `"}`,
		`{"phone":"\ud800"}`, "{\"name\":\"\xff\"}", `[]`, `null`, `{"a":` + strings.Repeat("[", 80) + strings.Repeat("]", 80) + `}`,
		`{"email":"Ivan@Mail.RU","referrer":"` + strings.Repeat("r", 2049) + `"}`, `{"notAnswer":true,"id":5}`,
	} {
		f.Add([]byte(s))
	}
	d := New("")
	known := map[string]bool{}
	for _, fl := range lead.Fields {
		known[fl.Name] = true
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, present, err := d.DecodePatch(body)
		if err != nil {
			var e *lead.Error
			if !errors.As(err, &e) || e.Code != lead.EMalformed && e.Code != lead.EInvalid || len(e.Fields) == 0 {
				t.Fatalf("error %T %#v is not an answerable *lead.Error", err, err)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatalf("error does not marshal: %v", err)
			}
			return
		}
		if !json.Valid(bytes.TrimPrefix(body, bom)) {
			t.Fatalf("accepted a body that is not JSON: %q", body)
		}
		var order []string
		for _, fl := range lead.Fields {
			if slices.Contains(present, fl.Name) {
				order = append(order, fl.Name)
			}
		}
		if !slices.Equal(order, present) {
			t.Fatalf("present %v: unknown, repeated or out of order", present)
		}
		if in.Phone != nil && (*in.Phone == "" || !allDigits(*in.Phone)) {
			t.Fatalf("phone %q is not digits", *in.Phone)
		}
		if in.Email != nil && !validEmail(*in.Email) {
			t.Fatalf("email %q accepted but not valid", *in.Email)
		}
		if in.Extra != nil && (!json.Valid(in.Extra) || in.Extra[0] != '{') {
			t.Fatalf("Extra is not a JSON object: %q", in.Extra)
		}
	})
}
