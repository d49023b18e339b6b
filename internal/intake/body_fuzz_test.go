package intake

import (
	"testing"

	"leadbox/internal/lead"
)

func FuzzContentType(f *testing.F) {
	for _, s := range []string{
		"", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
		"application/vnd.api+json", "multipart/form-data; boundary=x", "application/json; charset", "text/html",
		"application/json; charset=windows-1251", "application/json; x=\"\xff\"", "APPLICATION/JSON",
	} {
		f.Add(s, []byte(`{"phone":"79998888888"}`))
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		// ReadBody also reads form bodies, so a malformed form is EMalformed.
		if _, err := ReadBody(header, body); err != nil {
			if c := lead.ErrorCode(err); c != lead.EUnsupported && c != lead.EMalformed {
				t.Fatalf("ReadBody(%q): code %v, want EUnsupported or EMalformed: %v", header, c, err)
			}
		}
	})
}
