package hook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// hostileCase is one hostile request to the webhook.
type hostileCase struct {
	name    string
	body    []byte
	chunked bool   // sent without a Content-Length, in chunks
	status  int    // the answer wanted
	field   string // for a 422, the field it names
}

// intFields are the webhook's integer fields.
var intFields = []string{"userIdOwner", "sourceId", "remoteId", "locationUnitId", "locationCityId", "funnelStageId", "cost"}

func hostileCases() []hostileCase {
	b := func(s string) []byte { return []byte(s) }
	lead := func(extra string) []byte { return []byte(`{"phone": "79990007700", ` + extra + `}`) }
	cs := []hostileCase{
		// Nesting: the decoder refuses more than 64 levels in one pass, before
		// any recursion.
		{name: "10001 nested arrays", body: b(strings.Repeat("[", 10001) + strings.Repeat("]", 10001)), status: 400},
		{name: "10001 nested objects", body: b(strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001)), status: 400},
		{name: "10001 nested arrays in a field", body: lead(`"x": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001)), status: 400},
		{name: "10001 opening brackets unclosed", body: lead(`"x": ` + strings.Repeat("[", 10001)), status: 400},
		{name: "65 levels in a field", body: lead(`"x": ` + strings.Repeat("[", 65) + strings.Repeat("]", 65)), status: 400},
		{name: "64 levels in a field are kept", body: lead(`"x": ` + strings.Repeat("[", 63) + strings.Repeat("]", 63)), status: 201},

		// Bytes that are not UTF-8, and UTF-16 halves.
		{name: "invalid UTF-8 in a value", body: lead("\"name\": \"\xff\xfe\""), status: 400},
		{name: "invalid UTF-8 in a key", body: lead("\"na\xffme\": \"x\""), status: 400},
		{name: "overlong UTF-8 slash", body: lead("\"name\": \"\xc0\xaf\""), status: 400},
		{name: "UTF-8 encoded surrogate", body: lead("\"name\": \"\xed\xa0\x80\""), status: 400},
		{name: "UTF-8 cut in the middle of a letter", body: lead("\"name\": \"\xd0\""), status: 400},
		{name: "Latin-1 body", body: b("{\"phone\": \"79990007700\", \"name\": \"Jos\xe9\"}"), status: 400},
		{name: "lone high surrogate", body: lead(`"name": "\ud800"`), status: 400},
		{name: "lone low surrogate", body: lead(`"name": "x\udc00y"`), status: 400},
		{name: "lone surrogate in an unknown key", body: lead(`"comment": ["\uDBFF"]`), status: 400},
		{name: "lone surrogate in a key", body: lead(`"\ud800": 1`), status: 400},
		{name: "surrogate pair is a letter", body: lead(`"name": "\ud83d\ude00"`), status: 201},
		// A NUL means nothing in a name and PostgreSQL's text cannot hold it:
		// dropped from the field, kept in the raw body.
		{name: "NUL escaped in a name", body: lead(`"name": "a\u0000b"`), status: 201},
		{name: "NUL escaped in an unknown key", body: lead(`"comment": "a\u0000b"`), status: 201},
		{name: "raw NUL in a string", body: lead("\"name\": \"a\x00b\""), status: 400},

		// Keys given twice, however spelled.
		{name: "duplicate phone", body: b(`{"phone": "79990007700", "phone": "79990007701"}`), status: 400},
		{name: "duplicate unknown key", body: lead(`"x": 1, "x": 1`), status: 400},
		{name: "duplicate key spelled with an escape", body: b(`{"phone": "79990007700", "ph\u006fne": "79990007701"}`), status: 400},
		{name: "duplicate key differing in case is two keys", body: lead(`"Phone": "1"`), status: 201},

		// Numbers out of range.
		{name: "1e400 as the phone", body: b(`{"phone": 1e400}`), status: 422, field: "phone"},
		{name: "1e400 in an unknown key is kept as sent", body: lead(`"x": 1e400`), status: 201},
		{name: "huge exponent", body: lead(`"cost": 1e999999999999999999999`), status: 422, field: "cost"},
		{name: "10000-digit number", body: lead(`"remoteId": ` + strings.Repeat("9", 10000)), status: 422, field: "remoteId"},

		// Long strings: a 100 KB one cannot fit in the 64 KiB limit.
		{name: "100 KB name", body: lead(`"name": "` + strings.Repeat("я", 50_000) + `"`), status: 413},
		{name: "60 KB name", body: lead(`"name": "` + strings.Repeat("x", 60_000) + `"`), status: 422, field: "name"},
		{name: "60 KB key", body: lead(`"` + strings.Repeat("k", 60_000) + `": 1`), status: 201},
		{name: "60 KB of escapes", body: lead(`"utmSource": "` + strings.Repeat(`\u0041`, 10_000) + `"`), status: 422, field: "utmSource"},

		// Chunked bodies: the limit holds without a Content-Length.
		{name: "chunked lead", body: lead(`"name": "chunked"`), chunked: true, status: 201},
		{name: "chunked 64 KiB exactly", body: padded(web.MaxWebhookBody)(nil), chunked: true, status: 201},
		{name: "chunked 64 KiB and one byte", body: padded(web.MaxWebhookBody + 1)(nil), chunked: true, status: 413},
		{name: "chunked 100 KB string", body: lead(`"name": "` + strings.Repeat("x", 100_000) + `"`), chunked: true, status: 413},
		{name: "chunked 1 MiB", body: padded(1 << 20)(nil), chunked: true, status: 413},
		{name: "chunked 16 MiB", body: padded(16 << 20)(nil), chunked: true, status: 413},
	}
	for _, f := range intFields {
		cs = append(cs,
			hostileCase{name: "1e400 in " + f, body: lead(`"` + f + `": 1e400`), status: 422, field: f},
			hostileCase{name: "-1e400 in " + f, body: lead(`"` + f + `": -1e400`), status: 422, field: f},
			hostileCase{name: "2^63 in " + f, body: lead(`"` + f + `": 9223372036854775808`), status: 422, field: f},
			hostileCase{name: "2^63 as a string in " + f, body: lead(`"` + f + `": "9223372036854775808"`), status: 422, field: f},
			hostileCase{name: "-2^63-1 in " + f, body: lead(`"` + f + `": -9223372036854775809`), status: 422, field: f},
			hostileCase{name: "1e400 as a string in " + f, body: lead(`"` + f + `": "1e400"`), status: 422, field: f},
		)
	}
	return cs
}

// TestWebhookHostileInput sends hostile bodies through the real HTTP stack
// on both engines: each gets its clear 4xx (or a 201 where nothing is wrong),
// never a 5xx, and a delivery-log row holding the body byte for byte, or its
// first 64 KiB marked truncated when it was over the limit.
func TestWebhookHostileInput(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		for _, c := range hostileCases() {
			t.Run(c.name, func(t *testing.T) {
				before := len(e.Deliveries(t, e.Src))
				leads := e.CountLeads(t)
				var r webtest.Response
				if c.chunked {
					r = sendChunked(t, e.Client, e.Hook(e.Src), c.body)
				} else {
					r = e.Do(t, http.MethodPost, e.Hook(e.Src), c.body)
				}
				if r.Status >= 500 || r.Status != c.status {
					t.Fatalf("status %d, want %d: %.300s", r.Status, c.status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q", ct)
				}
				if c.status == 201 {
					webtest.WantCreated(t, r)
				} else if c.field != "" {
					webtest.WantFieldError(t, r, c.status, c.field, "")
				} else {
					webtest.ErrorsOf(t, r.Body)
				}
				wantLeads := leads
				if c.status == 201 {
					wantLeads++
				}
				if n := e.CountLeads(t); n != wantLeads {
					t.Errorf("%d leads, want %d", n, wantLeads)
				}
				d := e.CheckDelivery(t, e.Src, before, http.MethodPost, "application/json", c.body, r)
				if len(c.body) > web.MaxWebhookBody && (len(d.Body) != web.MaxWebhookBody || !d.BodyTruncated) {
					t.Errorf("delivery of a %d-byte body keeps %d bytes, truncated=%v; want the first %d",
						len(c.body), len(d.Body), d.BodyTruncated, web.MaxWebhookBody)
				}
			})
		}
		t.Run("LogReadable", func(t *testing.T) {
			// Admins read every hostile row, in the UI and over the API.
			webtest.SetPasswords(t, e)
			b := webtest.Login(t, e, "admin@example.com")
			pages := 0
			for next := "/sources/" + webtest.ID(e.Src.ID); next != ""; pages++ {
				r := b.Get(next)
				webtest.WantStatus(t, r, http.StatusOK, "delivery log page "+next)
				next = ""
				if m := olderPage.FindSubmatch(r.Body); m != nil {
					next = html.UnescapeString(string(m[1]))
				}
			}
			_, token, err := e.Store.CreateAPIToken(context.Background(), e.Acct.ID, "hostile", &e.Admin.ID)
			if err != nil {
				t.Fatal(err)
			}
			r := e.Do(t, http.MethodGet, e.Srv.URL+"/api/v1/sources/"+webtest.ID(e.Src.ID)+"/deliveries?limit=200", nil, "Authorization", "Bearer "+token)
			if r.Status != 200 || !json.Valid(r.Body) {
				t.Fatalf("API delivery log: %d %.300s", r.Status, r.Body)
			}
			t.Logf("%d rows: %d UI pages, API %d bytes", len(hostileCases()), pages, len(r.Body))
		})
	})
}

var olderPage = regexp.MustCompile(`<a href="(/sources/\d+\?before=[^"]+)"`)

// sendChunked posts body with no Content-Length, so the client sends it in
// chunks, in pieces of 4 KiB.
func sendChunked(t testing.TB, c *http.Client, url string, body []byte) webtest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, &trickle{r: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if req.ContentLength != 0 {
		t.Fatalf("request has a Content-Length %d", req.ContentLength)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST chunked: %v", err)
	}
	defer res.Body.Close()
	if len(res.TransferEncoding) > 0 && res.TransferEncoding[0] != "chunked" {
		t.Fatalf("answer transfer encoding %v", res.TransferEncoding)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return webtest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// trickle hands out at most 4 KiB per Read and hides its length from
// http.NewRequest.
type trickle struct{ r io.Reader }

func (t *trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), 4096)]) }
