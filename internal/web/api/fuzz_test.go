package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/api"
	"leadbox/internal/web/webtest"
)

// Fuzz targets for what the API parses itself: the lead list's query
// string and JSON bodies. Each must never panic and must refuse with a
// *lead.Error the handlers can answer.

func FuzzLeadFilter(f *testing.F) {
	for _, s := range []string{
		"", "limit=10&cursor=123", "limit=0", "limit=1000000", "limit=-1", "cursor=-5", "cursor=9223372036854775808",
		"sourceId=1&funnelStageId=2&userIdOwner=3", "sourceId=abc", "sourceId=0", "from=2024-01-01&to=2024-02-30",
		"from=1700000000&to=-1", "duplicates=true", "duplicates=yes", "q=%2B7+(999)+888-88-88", "q=888-88",
		"q=ivan%40mail.ru", "q=%00%ff", "limit=%20%2050", "from=0001-01-01&to=9999-12-31",
	} {
		f.Add(s)
	}
	s := api.NewParser(intake.New(""))
	f.Fuzz(func(t *testing.T, query string) {
		q, _ := url.ParseQuery(query)
		flt, err := s.LeadFilter(q)
		if err != nil {
			webtest.WantError(t, err, lead.EInvalid)
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
		err := api.DecodeObject(body, &m)
		if err != nil {
			webtest.WantError(t, err, lead.EMalformed)
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
