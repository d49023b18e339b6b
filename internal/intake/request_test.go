package intake

import (
	"testing"

	"leadbox/internal/lead"
)

// TestReadRequest: one call tells the webhook all it needs of a request.
func TestReadRequest(t *testing.T) {
	d := New("RU")
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name string
		req  Request
		rd   lead.Reading
		want Read
		code lead.Code // of Read.Err; 0 for none
	}{
		{name: "JSON", req: Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"phone":"8 999 888 88 88"}`)},
			want: Read{Format: FormatJSON}},
		{name: "JSONWithoutPhone", req: Request{Method: "POST", Body: []byte(`{"name":"Анна"}`)},
			want: Read{Format: FormatJSON}, code: lead.EInvalid},
		{name: "Form", req: Request{Method: "POST", ContentType: form, Body: []byte("Phone=89998888888&Name=Анна")},
			rd: lead.Reading{Preset: "tilda"}, want: Read{Format: FormatForm}},
		{name: "Query", req: Request{Method: "GET", Query: "phone=89998888888"}, want: Read{Format: FormatQuery}},
		{name: "TildaPing", req: Request{Method: "POST", ContentType: form, Body: []byte("test=test")},
			rd: lead.Reading{Preset: "tilda"}, want: Read{Format: FormatForm, Ping: true}, code: lead.EInvalid},
		{name: "Honeypot", req: Request{Method: "POST", ContentType: form, Body: []byte("phone=89998888888&website=x")},
			rd: lead.Reading{Honeypot: "website"}, want: Read{Format: FormatForm, Spam: true}},
		{name: "TildaSubmission", req: Request{Method: "POST", ContentType: form,
			Body: []byte("Phone=89998888888&tranid=4183049:2831845291&formid=form1")},
			want: Read{Format: FormatForm, Submission: "4183049:2831845291"}},
		{name: "TranidWithoutFormid", req: Request{Method: "POST", ContentType: form, Body: []byte("phone=89998888888&tranid=1")},
			want: Read{Format: FormatForm}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := d.ReadRequest(c.req, c.rd)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != c.want.Format || got.Ping != c.want.Ping || got.Spam != c.want.Spam || got.Submission != c.want.Submission {
				t.Errorf("got format %q ping %v spam %v submission %q, want %q %v %v %q", got.Format, got.Ping, got.Spam,
					got.Submission, c.want.Format, c.want.Ping, c.want.Spam, c.want.Submission)
			}
			if code := lead.ErrorCode(got.Err); (got.Err == nil) != (c.code == 0) || got.Err != nil && code != c.code {
				t.Errorf("err %v, want code %v", got.Err, c.code)
			}
			if got.Err == nil && (got.Input.Phone == nil || *got.Input.Phone != "79998888888") {
				t.Errorf("phone %v, want 79998888888", got.Input.Phone)
			}
		})
	}
	// A request that cannot be read at all is the call's error.
	if _, err := d.ReadRequest(Request{Method: "POST", ContentType: "image/png"}, lead.Reading{}); lead.ErrorCode(err) != lead.EUnsupported {
		t.Errorf("image/png: %v, want EUnsupported", err)
	}
}
