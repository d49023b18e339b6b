package intake

import (
	"testing"

	"leadbox/internal/lead"
)

// TestDecodeJSONLoneSurrogate: encoding/json turns an escaped half of a
// UTF-16 surrogate pair into U+FFFD without a word; the decoder refuses it
// as it refuses invalid UTF-8, and keeps whole pairs and look-alikes.
func TestDecodeJSONLoneSurrogate(t *testing.T) {
	d := New("")
	for _, c := range []struct {
		name, body string
		ok         bool
		name2      string // the decoded name when ok
	}{
		{"high half", `{"phone":"79998888888","name":"\ud800"}`, false, ""},
		{"high half upper case", `{"phone":"79998888888","name":"a\uD800b"}`, false, ""},
		{"low half", `{"phone":"79998888888","name":"\udc00"}`, false, ""},
		{"high half then a letter", `{"phone":"79998888888","name":"\ud800\u0041"}`, false, ""},
		{"two high halves", `{"phone":"79998888888","name":"\ud800\ud800"}`, false, ""},
		{"reversed pair", `{"phone":"79998888888","name":"\ude00\ud83d"}`, false, ""},
		{"high half at the end", `{"phone":"79998888888","name":"x\ud83d"}`, false, ""},
		{"in an unknown key's value", `{"phone":"79998888888","x":["\ud800"]}`, false, ""},
		{"in a key", `{"phone":"79998888888","\udfff":1}`, false, ""},
		{"a whole pair", `{"phone":"79998888888","name":"\ud83d\ude00"}`, true, "😀"},
		{"an escaped backslash before u", `{"phone":"79998888888","name":"\\ud800"}`, true, `\ud800`},
		{"escaped quote then a pair", `{"phone":"79998888888","name":"\"\ud83d\ude00"}`, true, "\"😀"},
		{"not an escape outside strings", `{"phone":"79998888888","name":"ok"}`, true, "ok"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := d.DecodeJSON([]byte(c.body))
			if !c.ok {
				if lead.ErrorCode(err) != lead.EMalformed {
					t.Fatalf("err %v (code %d), want EMalformed", err, lead.ErrorCode(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("err %v", err)
			}
			if in.Name == nil || *in.Name != c.name2 {
				t.Fatalf("name %v, want %q", in.Name, c.name2)
			}
		})
	}
}
