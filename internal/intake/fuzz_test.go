package intake

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name": "test","phone": 79998888888,"email": "fff@mail.ru","userIdOwner": 1}`,
		`{}`,
		`{"phone":"+7 (999) 888-88-88 доб. 12","email":"Ivan@Почта.рф"}`,
		`{"phone":"8 999 888 88 88","cost":"100.0","remoteId":-1e2,"sourceId":" 3 "}`,
		`{"email":"a@b.ru","userIdOwner":1.5,"funnelStageId":9223372036854775808,"cost":1e31}`,
		`{"phone":"79998888888","PHONE":1,"id":{"a":[1,2,{"b":null}]},"\u2028<&>":"x"}`,
		`{"phone":"79998888888","phone":"79998888888"}`,
		`{"phone":"+380 44 123 4567","utmSource":"` + strings.Repeat("я", 256) + `"}`,
		"\xef\xbb\xbf{\"phone\":\"9998888888\"}",
		`{"phone":"1234567","email":"a@b"}`,
		`{"phone":true,"email":[],"name":{}}`,
		`[{"phone":"79998888888"}]`,
		`{"phone":"79998888888"} {}`,
		`{"x":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
		`{"phone":"\ud800\u0000\t","email":"a\u0000@b.ru"}`,
		`{"cost":"0e999","remoteId":"-0.000","ip":12.5e-3}`,
		"{\"phone\":\"7999\xff\"}",
	} {
		f.Add([]byte(s))
	}
	d := New("")
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := d.DecodeJSON(body)
		if err != nil {
			var e *lead.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *lead.Error", err, err)
			}
			if e.Code != lead.EMalformed && e.Code != lead.EInvalid {
				t.Fatalf("code %d: %v", e.Code, err)
			}
			if len(e.Fields) == 0 {
				t.Fatalf("error without a message: %#v", e)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatalf("error does not marshal: %v", err)
			}
			return
		}
		if in.Extra != nil && (!json.Valid(in.Extra) || in.Extra[0] != '{') {
			t.Fatalf("Extra is not a JSON object: %q", in.Extra)
		}
		if in.Phone == nil && in.Email == nil {
			t.Fatal("neither phone nor email")
		}
		if in.Phone != nil && (*in.Phone == "" || !allDigits(*in.Phone)) {
			t.Fatalf("phone %q is not digits", *in.Phone)
		}
		if in.Email != nil && !validEmail(*in.Email) {
			t.Fatalf("email %q accepted but not valid", *in.Email)
		}
	})
}
