package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// TestMain fails the package when a test leaves a server connection, a
// database pool or a leadbox goroutine running.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines waits up to d for server-side goroutines to end and
// returns the stacks of those that do not.
func leakedGoroutines(d time.Duration) string {
	markers := []string{"net/http.(*conn).serve", "database/sql.(*DB).connectionOpener", "leadbox/internal/"}
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "leakedGoroutines") {
				continue // this one
			}
			for _, m := range markers {
				if strings.Contains(g, m) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leadKeys are the keys of a lead in the webhook's answer, in the seed's order.
var leadKeys = strings.Fields(`id firstId name sourceId clientId phone email notAnswer userIdCreate userIdUpdate
	dtCreate dtUpdate dtNotAnswer locationUnitId locationCityId funnelStageId userIdOwner otherCount cost remoteId
	utmSource utmMedium utmCampaign utmContent utmTerm utmReferrer openstatService openstatCampaign openstatAd
	openstatSource from yclid ymclid ymClientId gclid yqrid fbclid roistatId referrer ip`)

// markKeys are the string fields after remoteId.
var markKeys = leadKeys[20:]

// env is a running leadbox HTTP server over a real store, with an account
// holding an admin, an enabled and a disabled webhook source, and a second
// account whose rows the first must never reach.
type env struct {
	engine string
	dsn    string
	s      *store.Store
	srv    *httptest.Server
	client *http.Client
	log    *webtest.SyncBuffer

	acct     lead.Account
	admin    lead.User
	manager  lead.User
	src      lead.Source // enabled webhook
	disabled lead.Source // disabled webhook
	manual   lead.Source // another source of the account, type manual
	office   lead.Ref
	city     lead.Ref
	stage    lead.Stage

	other struct {
		acct   lead.Account
		user   lead.User
		src    lead.Source
		office lead.Ref
		city   lead.Ref
		stage  lead.Stage
	}
}

// must returns a function that returns v, or fails the test on err.
func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// newEnv starts a server on engine; configure may change the web.Config (the
// rate limits are off unless it sets them).
func newEnv(t *testing.T, engine string, configure ...func(*web.Config)) *env {
	t.Helper()
	return newEnvServer(t, engine, nil, configure...)
}

// newEnvServer is newEnv with a hook that may set up the HTTP server before
// it starts.
func newEnvServer(t *testing.T, engine string, setup func(*httptest.Server), configure ...func(*web.Config)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{engine: engine, log: &webtest.SyncBuffer{}}
	e.s, e.dsn = storetest.OpenDSN(t, engine)
	var created bool
	var err error
	e.acct, e.admin, created, err = e.s.Bootstrap(ctx, "Acme", lead.User{Name: "Admin", Email: "admin@example.com", PasswordHash: "x"})
	if err != nil || !created {
		t.Fatalf("bootstrap: created=%v err=%v", created, err)
	}
	e.manager = must[lead.User](t)(e.s.CreateUser(ctx, lead.User{AccountID: e.acct.ID, Name: "Manager", Email: "manager@example.com", Role: lead.RoleManager}))
	e.office = must[lead.Ref](t)(e.s.CreateRef(ctx, store.Offices, e.acct.ID, "Офис на Тверской"))
	e.city = must[lead.Ref](t)(e.s.CreateRef(ctx, store.Cities, e.acct.ID, "Москва"))
	e.stage = must[lead.Stage](t)(e.s.CreateStage(ctx, e.acct.ID, "Новый", "#3b82f6"))
	e.src = must[lead.Source](t)(e.s.CreateSource(ctx, lead.Source{AccountID: e.acct.ID, Name: "Сайт", Type: lead.SourceWebhook}))
	e.disabled = must[lead.Source](t)(e.s.CreateSource(ctx, lead.Source{AccountID: e.acct.ID, Name: "Old site", Type: lead.SourceWebhook}))
	e.disabled = must[lead.Source](t)(e.s.SetSourceEnabled(ctx, e.acct.ID, e.disabled.ID, false))
	if e.disabled.Token == "" {
		t.Fatal("SetSourceEnabled returned the source without its token")
	}
	e.manual = must[lead.Source](t)(e.s.CreateSource(ctx, lead.Source{AccountID: e.acct.ID, Name: "Звонок", Type: lead.SourcePhone}))

	o := &e.other
	o.acct = must[lead.Account](t)(e.s.CreateAccount(ctx, "Rival"))
	o.user = must[lead.User](t)(e.s.CreateUser(ctx, lead.User{AccountID: o.acct.ID, Name: "Rival admin", Email: "boss@rival.example", Role: lead.RoleAdmin}))
	o.src = must[lead.Source](t)(e.s.CreateSource(ctx, lead.Source{AccountID: o.acct.ID, Name: "Rival site", Type: lead.SourceWebhook}))
	o.office = must[lead.Ref](t)(e.s.CreateRef(ctx, store.Offices, o.acct.ID, "Rival office"))
	o.city = must[lead.Ref](t)(e.s.CreateRef(ctx, store.Cities, o.acct.ID, "Rival city"))
	o.stage = must[lead.Stage](t)(e.s.CreateStage(ctx, o.acct.ID, "Rival stage", ""))

	e.srv = webtest.Serve(t, e.s, e.log, setup, configure...)
	e.client = e.srv.Client()
	return e
}

// hook returns the webhook URL of src.
func (e *env) hook(src lead.Source) string { return e.srv.URL + "/hooks/" + src.Token }

// vars fills {{name}} placeholders in a request body with the env's ids.
func (e *env) vars(s string) string {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return strings.NewReplacer(
		"{{admin}}", id(e.admin.ID), "{{manager}}", id(e.manager.ID), "{{src}}", id(e.src.ID),
		"{{manual}}", id(e.manual.ID), "{{office}}", id(e.office.ID), "{{city}}", id(e.city.ID),
		"{{stage}}", id(e.stage.ID),
		"{{otherUser}}", id(e.other.user.ID), "{{otherSrc}}", id(e.other.src.ID),
		"{{otherOffice}}", id(e.other.office.ID), "{{otherCity}}", id(e.other.city.ID),
		"{{otherStage}}", id(e.other.stage.ID),
	).Replace(s)
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// noType as a Content-Type sends the request without the header.
const noType = "\x00none"

// do sends one request; headers come in name, value pairs. A POST without a
// Content-Type pair is sent as application/json.
func (e *env) do(t testing.TB, method, url string, body []byte, headers ...string) response {
	t.Helper()
	return doRequest(t, e.client, method, url, body, headers...)
}

func (e *env) post(t testing.TB, src lead.Source, body string, headers ...string) response {
	t.Helper()
	return e.do(t, http.MethodPost, e.hook(src), []byte(body), headers...)
}

func doRequest(t testing.TB, c *http.Client, method, url string, body []byte, headers ...string) response {
	t.Helper()
	r, err := send(c, method, url, body, headers...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return r
}

func send(c *http.Client, method, url string, body []byte, headers ...string) (response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return response{}, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Content-Type" && headers[i+1] == noType {
			req.Header.Del("Content-Type")
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: res.StatusCode, header: res.Header, body: b}, nil
}

// deliveries returns src's delivery log, newest first.
func (e *env) deliveries(t testing.TB, src lead.Source) []lead.Delivery {
	t.Helper()
	ds, err := e.s.ListDeliveries(context.Background(), src.AccountID, src.ID, 0, 10000)
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	return ds
}

func (e *env) countLeads(t testing.TB) int64 {
	t.Helper()
	n, err := e.s.CountLeads(context.Background(), e.acct.ID)
	if err != nil {
		t.Fatalf("count leads: %v", err)
	}
	return n
}

// errorsOf checks that body is exactly {"errors": {FIELD: [MESSAGE, ...], ...}}
// with at least one field, each with at least one non-empty message, and
// returns the fields.
func errorsOf(t testing.TB, body []byte) map[string][]string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("error body is not a JSON object: %v\n%s", err, body)
	}
	if len(top) != 1 || top["errors"] == nil {
		t.Fatalf("error body must have exactly the key \"errors\": %s", body)
	}
	var fields map[string][]string
	if err := json.Unmarshal(top["errors"], &fields); err != nil {
		t.Fatalf("\"errors\" must map fields to lists of strings: %v\n%s", err, body)
	}
	if len(fields) == 0 {
		t.Fatalf("\"errors\" is empty: %s", body)
	}
	for f, msgs := range fields {
		if len(msgs) == 0 {
			t.Fatalf("field %q has no message: %s", f, body)
		}
		for _, m := range msgs {
			if strings.TrimSpace(m) == "" {
				t.Fatalf("field %q has an empty message: %s", f, body)
			}
		}
	}
	return fields
}

var cyrillic = regexp.MustCompile(`\p{Cyrillic}`)

// wantFieldError checks a 4xx answer: JSON content type, the errors shape,
// exactly one field, named field, whose message is Russian and contains
// label.
func wantFieldError(t testing.TB, r response, status int, field, label string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	fields := errorsOf(t, r.body)
	if len(fields) != 1 || fields[field] == nil {
		t.Fatalf("errors name %v, want only %q: %s", keysOf(fields), field, r.body)
	}
	msg := strings.Join(fields[field], " ")
	if !cyrillic.MatchString(msg) {
		t.Fatalf("message %q for %q is not in Russian", msg, field)
	}
	if label != "" && !strings.Contains(msg, label) {
		t.Fatalf("message %q for %q does not name the field as %q", msg, field, label)
	}
	return msg
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// leadData reads a {"data": LEAD} answer with json.Decoder tokens, so the
// order of the keys is checked as sent: it must be exactly leadKeys. It
// returns every value as sent.
func leadData(t testing.TB, body []byte) map[string]json.RawMessage {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	next := func(want any) {
		t.Helper()
		tok, err := dec.Token()
		if err != nil || tok != want {
			t.Fatalf("answer: got token %v (%v), want %v\n%s", tok, err, want, body)
		}
	}
	next(json.Delim('{'))
	next("data")
	next(json.Delim('{'))
	vals := make(map[string]json.RawMessage, len(leadKeys))
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("answer: %v\n%s", err, body)
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("answer: value of %q: %v\n%s", key, err, body)
		}
		if _, dup := vals[key]; dup {
			t.Fatalf("answer: key %q twice\n%s", key, body)
		}
		keys = append(keys, key)
		vals[key] = raw
	}
	next(json.Delim('}'))
	next(json.Delim('}'))
	if tok, err := dec.Token(); err != io.EOF {
		t.Fatalf("answer: %v (%v) after the object\n%s", tok, err, body)
	}
	if strings.Join(keys, " ") != strings.Join(leadKeys, " ") {
		t.Fatalf("answer keys:\n got %v\nwant %v", keys, leadKeys)
	}
	return vals
}

// intOf reads a JSON integer value; it fails on anything else, quoted
// numbers and fractions included.
func intOf(t testing.TB, key string, raw json.RawMessage) int64 {
	t.Helper()
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		t.Fatalf("%s = %s, want a JSON integer", key, raw)
	}
	return n
}

func strOf(t testing.TB, key string, raw json.RawMessage) string {
	t.Helper()
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		t.Fatalf("%s = %s, want a JSON string", key, raw)
	}
	return s
}

// wantCreated checks a 201 answer and returns its data.
func wantCreated(t testing.TB, r response) map[string]json.RawMessage {
	t.Helper()
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	return leadData(t, r.body)
}

// checkDelivery checks that the newest row of src's delivery log is the
// request just answered: its status, its errors (the answer's body, or none
// for a 201), the body sent byte for byte, and that it is the only new row.
func (e *env) checkDelivery(t testing.TB, src lead.Source, before int, method, contentType string, sent []byte, r response) lead.Delivery {
	t.Helper()
	ds := e.deliveries(t, src)
	if len(ds) != before+1 {
		t.Fatalf("delivery log of source %d has %d rows, want %d", src.ID, len(ds), before+1)
	}
	d := ds[0]
	if d.Status != r.status {
		t.Errorf("delivery status %d, want %d", d.Status, r.status)
	}
	if d.SourceID != src.ID || d.AccountID != src.AccountID {
		t.Errorf("delivery source %d account %d, want %d %d", d.SourceID, d.AccountID, src.ID, src.AccountID)
	}
	if d.Method != method {
		t.Errorf("delivery method %q, want %q", d.Method, method)
	}
	if d.ContentType != contentType {
		t.Errorf("delivery content type %q, want %q", d.ContentType, contentType)
	}
	if now := time.Now().UnixMilli(); d.Received < now-60_000 || d.Received > now+1000 {
		t.Errorf("delivery received at %d, now is %d", d.Received, now)
	}
	if r.status == http.StatusCreated {
		if len(d.Errors) != 0 {
			t.Errorf("delivery of a 201 has errors %s", d.Errors)
		}
		data := leadData(t, r.body)
		if d.LeadID == nil || *d.LeadID != intOf(t, "id", data["id"]) {
			t.Errorf("delivery lead id %v, want %s", d.LeadID, data["id"])
		}
	} else {
		if !bytes.Equal(d.Errors, r.body) {
			t.Errorf("delivery errors\n %s\nwant the answer\n %s", d.Errors, r.body)
		}
		if d.LeadID != nil {
			t.Errorf("rejected delivery has lead %d", *d.LeadID)
		}
	}
	if r.status == http.StatusRequestEntityTooLarge {
		if !d.BodyTruncated || len(d.Body) == 0 || len(d.Body) > web.MaxWebhookBody || !bytes.HasPrefix(sent, d.Body) {
			t.Errorf("413 delivery: truncated=%v, %d bytes kept of %d sent; want a non-empty prefix of at most %d bytes",
				d.BodyTruncated, len(d.Body), len(sent), web.MaxWebhookBody)
		}
	} else {
		if d.BodyTruncated {
			t.Errorf("delivery marked truncated")
		}
		if !bytes.Equal(d.Body, sent) {
			t.Errorf("delivery body\n %q\nwant\n %q", d.Body, sent)
		}
	}
	return d
}
