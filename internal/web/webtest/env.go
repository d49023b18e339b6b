package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
)

// LeadKeys are the keys of a lead in the webhook's answer, in the seed's order.
var LeadKeys = strings.Fields(`id firstId name sourceId clientId phone email notAnswer userIdCreate userIdUpdate
	dtCreate dtUpdate dtNotAnswer locationUnitId locationCityId funnelStageId userIdOwner otherCount cost remoteId
	utmSource utmMedium utmCampaign utmContent utmTerm utmReferrer openstatService openstatCampaign openstatAd
	openstatSource from yclid ymclid ymClientId gclid yqrid fbclid roistatId referrer ip`)

// MarkKeys are the string fields after remoteId.
var MarkKeys = LeadKeys[20:]

// Env is a running leadbox HTTP server over a real store, with an account
// holding an admin, an enabled and a disabled webhook source, and a second
// account whose rows the first must never reach.
type Env struct {
	Engine string
	DSN    string
	Store  *store.Store
	Srv    *httptest.Server
	Client *http.Client
	Log    *SyncBuffer

	Acct     lead.Account
	Admin    lead.User
	Manager  lead.User
	Src      lead.Source // enabled webhook
	Disabled lead.Source // disabled webhook
	Manual   lead.Source // another source of the account, type manual
	Office   lead.Ref
	City     lead.Ref
	Stage    lead.Stage // made by the test, after the default funnel
	First    lead.Stage // the default funnel's first stage, where new leads start

	Other struct {
		Acct   lead.Account
		User   lead.User
		Src    lead.Source
		Office lead.Ref
		City   lead.Ref
		Stage  lead.Stage
	}
}

// Must returns a function that returns v, or fails the test on err.
func Must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// NewEnv starts a server on engine; configure may change the web.Config (the
// rate limits are off unless it sets them).
func NewEnv(t *testing.T, engine string, configure ...func(*web.Config)) *Env {
	t.Helper()
	return NewEnvServer(t, engine, nil, configure...)
}

// NewEnvServer is newEnv with a hook that may set up the HTTP server before
// it starts.
func NewEnvServer(t *testing.T, engine string, setup func(*httptest.Server), configure ...func(*web.Config)) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{Engine: engine, Log: &SyncBuffer{}}
	e.Store, e.DSN = storetest.OpenDSN(t, engine)
	var created bool
	var err error
	e.Acct, e.Admin, created, err = e.Store.Bootstrap(ctx, "Acme", lead.User{Name: "Admin", Email: "admin@example.com", PasswordHash: "x"})
	if err != nil || !created {
		t.Fatalf("bootstrap: created=%v err=%v", created, err)
	}
	e.Manager = Must[lead.User](t)(e.Store.CreateUser(ctx, lead.User{AccountID: e.Acct.ID, Name: "Manager", Email: "manager@example.com", Role: lead.RoleManager}))
	e.Office = Must[lead.Ref](t)(e.Store.CreateRef(ctx, store.Offices, e.Acct.ID, "Офис на Тверской"))
	e.City = Must[lead.Ref](t)(e.Store.CreateRef(ctx, store.Cities, e.Acct.ID, "Москва"))
	e.First = Must[[]lead.Stage](t)(e.Store.ListStages(ctx, e.Acct.ID))[0]
	e.Stage = Must[lead.Stage](t)(e.Store.CreateStage(ctx, e.Acct.ID, "Новый", "#3b82f6"))
	e.Src = Must[lead.Source](t)(e.Store.CreateSource(ctx, lead.Source{AccountID: e.Acct.ID, Name: "Сайт", Type: lead.SourceWebhook}))
	e.Disabled = Must[lead.Source](t)(e.Store.CreateSource(ctx, lead.Source{AccountID: e.Acct.ID, Name: "Old site", Type: lead.SourceWebhook}))
	e.Disabled = Must[lead.Source](t)(e.Store.SetSourceEnabled(ctx, e.Acct.ID, e.Disabled.ID, false))
	if e.Disabled.Token == "" {
		t.Fatal("SetSourceEnabled returned the source without its token")
	}
	e.Manual = Must[lead.Source](t)(e.Store.CreateSource(ctx, lead.Source{AccountID: e.Acct.ID, Name: "Звонок", Type: lead.SourcePhone}))

	o := &e.Other
	o.Acct = Must[lead.Account](t)(e.Store.CreateAccount(ctx, "Rival"))
	o.User = Must[lead.User](t)(e.Store.CreateUser(ctx, lead.User{AccountID: o.Acct.ID, Name: "Rival admin", Email: "boss@rival.example", Role: lead.RoleAdmin}))
	o.Src = Must[lead.Source](t)(e.Store.CreateSource(ctx, lead.Source{AccountID: o.Acct.ID, Name: "Rival site", Type: lead.SourceWebhook}))
	o.Office = Must[lead.Ref](t)(e.Store.CreateRef(ctx, store.Offices, o.Acct.ID, "Rival office"))
	o.City = Must[lead.Ref](t)(e.Store.CreateRef(ctx, store.Cities, o.Acct.ID, "Rival city"))
	o.Stage = Must[lead.Stage](t)(e.Store.CreateStage(ctx, o.Acct.ID, "Rival stage", ""))

	e.Srv = Serve(t, e.Store, e.Log, setup, configure...)
	e.Client = e.Srv.Client()
	return e
}

// Hook returns the webhook URL of src.
func (e *Env) Hook(src lead.Source) string { return e.Srv.URL + "/hooks/" + src.Token }

// Vars fills {{name}} placeholders in a request body with the env's ids.
func (e *Env) Vars(s string) string {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return strings.NewReplacer(
		"{{admin}}", id(e.Admin.ID), "{{manager}}", id(e.Manager.ID), "{{src}}", id(e.Src.ID),
		"{{manual}}", id(e.Manual.ID), "{{office}}", id(e.Office.ID), "{{city}}", id(e.City.ID),
		"{{stage}}", id(e.Stage.ID),
		"{{otherUser}}", id(e.Other.User.ID), "{{otherSrc}}", id(e.Other.Src.ID),
		"{{otherOffice}}", id(e.Other.Office.ID), "{{otherCity}}", id(e.Other.City.ID),
		"{{otherStage}}", id(e.Other.Stage.ID),
	).Replace(s)
}

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// NoType as a Content-Type sends the request without the header.
const NoType = "\x00none"

// Do sends one request; headers come in name, value pairs. A POST without a
// Content-Type pair is sent as application/json.
func (e *Env) Do(t testing.TB, method, url string, body []byte, headers ...string) Response {
	t.Helper()
	return DoRequest(t, e.Client, method, url, body, headers...)
}

func (e *Env) Post(t testing.TB, src lead.Source, body string, headers ...string) Response {
	t.Helper()
	return e.Do(t, http.MethodPost, e.Hook(src), []byte(body), headers...)
}

func DoRequest(t testing.TB, c *http.Client, method, url string, body []byte, headers ...string) Response {
	t.Helper()
	r, err := Send(c, method, url, body, headers...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return r
}

func Send(c *http.Client, method, url string, body []byte, headers ...string) (Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return Response{}, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Content-Type" && headers[i+1] == NoType {
			req.Header.Del("Content-Type")
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// Deliveries returns src's delivery log, newest first.
func (e *Env) Deliveries(t testing.TB, src lead.Source) []lead.Delivery {
	t.Helper()
	ds, err := e.Store.ListDeliveries(context.Background(), src.AccountID, src.ID, 0, 10000)
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	return ds
}

func (e *Env) CountLeads(t testing.TB) int64 {
	t.Helper()
	n, err := e.Store.CountLeads(context.Background(), e.Acct.ID)
	if err != nil {
		t.Fatalf("count leads: %v", err)
	}
	return n
}

// ErrorsOf checks that body is exactly {"errors": {FIELD: [MESSAGE, ...], ...}}
// with at least one field, each with at least one non-empty message, and
// returns the fields.
func ErrorsOf(t testing.TB, body []byte) map[string][]string {
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

var Cyrillic = regexp.MustCompile(`\p{Cyrillic}`)

// WantFieldError checks a 4xx answer: JSON content type, the errors shape,
// exactly one field, named field, whose message is Russian and contains
// label.
func WantFieldError(t testing.TB, r Response, status int, field, label string) string {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	fields := ErrorsOf(t, r.Body)
	if len(fields) != 1 || fields[field] == nil {
		t.Fatalf("errors name %v, want only %q: %s", KeysOf(fields), field, r.Body)
	}
	msg := strings.Join(fields[field], " ")
	if !Cyrillic.MatchString(msg) {
		t.Fatalf("message %q for %q is not in Russian", msg, field)
	}
	if label != "" && !strings.Contains(msg, label) {
		t.Fatalf("message %q for %q does not name the field as %q", msg, field, label)
	}
	return msg
}

func KeysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// APILeadKeys are the keys of a lead in the API's answers: the webhook's,
// then the sender's extra fields.
var APILeadKeys = append(slices.Clone(LeadKeys), "extra")

// LeadData reads a {"data": LEAD} answer with json.Decoder tokens, so the
// order of the keys is checked as sent: it must be exactly LeadKeys. It
// returns every value as sent.
func LeadData(t testing.TB, body []byte) map[string]json.RawMessage {
	t.Helper()
	return leadData(t, body, LeadKeys)
}

// APILeadData is LeadData for the API's answers, whose keys are
// APILeadKeys.
func APILeadData(t testing.TB, body []byte) map[string]json.RawMessage {
	t.Helper()
	return leadData(t, body, APILeadKeys)
}

func leadData(t testing.TB, body []byte, want []string) map[string]json.RawMessage {
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
	vals := make(map[string]json.RawMessage, len(LeadKeys))
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
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("answer keys:\n got %v\nwant %v", keys, want)
	}
	return vals
}

// IntOf reads a JSON integer value; it fails on anything else, quoted
// numbers and fractions included.
func IntOf(t testing.TB, key string, raw json.RawMessage) int64 {
	t.Helper()
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		t.Fatalf("%s = %s, want a JSON integer", key, raw)
	}
	return n
}

func StrOf(t testing.TB, key string, raw json.RawMessage) string {
	t.Helper()
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		t.Fatalf("%s = %s, want a JSON string", key, raw)
	}
	return s
}

// WantCreated checks a 201 answer and returns its data.
func WantCreated(t testing.TB, r Response) map[string]json.RawMessage {
	t.Helper()
	if r.Status != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	return LeadData(t, r.Body)
}

// WantCreatedAPI is WantCreated for the API's answers.
func WantCreatedAPI(t testing.TB, r Response) map[string]json.RawMessage {
	t.Helper()
	if r.Status != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", r.Status, r.Body)
	}
	return APILeadData(t, r.Body)
}

// CheckDelivery checks that the newest row of src's delivery log is the
// request just answered: its status, its errors (the answer's body, or none
// for a 201), the body sent byte for byte, and that it is the only new row.
func (e *Env) CheckDelivery(t testing.TB, src lead.Source, before int, method, contentType string, sent []byte, r Response) lead.Delivery {
	t.Helper()
	ds := e.Deliveries(t, src)
	if len(ds) != before+1 {
		t.Fatalf("delivery log of source %d has %d rows, want %d", src.ID, len(ds), before+1)
	}
	d := ds[0]
	if d.Status != r.Status {
		t.Errorf("delivery status %d, want %d", d.Status, r.Status)
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
	if r.Status == http.StatusCreated {
		if len(d.Errors) != 0 {
			t.Errorf("delivery of a 201 has errors %s", d.Errors)
		}
		data := LeadData(t, r.Body)
		if d.LeadID == nil || *d.LeadID != IntOf(t, "id", data["id"]) {
			t.Errorf("delivery lead id %v, want %s", d.LeadID, data["id"])
		}
	} else {
		if !bytes.Equal(d.Errors, r.Body) {
			t.Errorf("delivery errors\n %s\nwant the answer\n %s", d.Errors, r.Body)
		}
		if d.LeadID != nil {
			t.Errorf("rejected delivery has lead %d", *d.LeadID)
		}
	}
	if r.Status == http.StatusRequestEntityTooLarge {
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

// WantRetryAfter checks a Retry-After header of whole seconds, at least 1.
func WantRetryAfter(t testing.TB, r Response) int {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds ≥ 1", r.Header.Get("Retry-After"))
	}
	return n
}
