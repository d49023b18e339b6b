package hook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// Requests as real senders send them (testdata/senders/*.http, written from
// each format's documentation), posted through the HTTP stack on both
// engines.

// senderRequest is one testdata/senders file: a request line, headers and
// the body exactly as sent.
type senderRequest struct {
	method, target string
	header         [][2]string
	body           []byte
}

func loadSender(t *testing.T, name string) senderRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "senders", name+".http"))
	if err != nil {
		t.Fatal(err)
	}
	var req senderRequest
	rest := raw
	for {
		line, tail, _ := bytes.Cut(rest, []byte("\n"))
		rest = tail
		if bytes.HasPrefix(line, []byte("#")) {
			continue
		}
		if req.method == "" {
			f := strings.Fields(string(line))
			req.method, req.target = f[0], f[1]
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		k, v, _ := strings.Cut(string(line), ":")
		req.header = append(req.header, [2]string{k, strings.TrimSpace(v)})
	}
	req.body = rest
	if !bytes.HasSuffix(rest, []byte("\r\n")) {
		req.body = bytes.TrimSuffix(rest, []byte("\n"))
	}
	return req
}

// send posts a testdata request to src's URL, with extra headers.
func sendAs(e *webtest.Env, t *testing.T, src lead.Source, name string, extra ...string) webtest.Response {
	t.Helper()
	req := loadSender(t, name)
	target := strings.Replace(req.target, "{{token}}", src.Token, 1)
	var headers []string
	ctype := false
	for _, h := range req.header {
		if overridden(h[0], extra) {
			continue
		}
		headers = append(headers, h[0], h[1])
		ctype = ctype || strings.EqualFold(h[0], "Content-Type")
	}
	if !ctype && req.method == http.MethodPost {
		headers = append(headers, "Content-Type", webtest.NoType)
	}
	return e.Do(t, req.method, e.Srv.URL+target, req.body, append(headers, extra...)...)
}

// overridden reports whether name is among the names of headers (name,
// value pairs).
func overridden(name string, headers []string) bool {
	for i := 0; i < len(headers); i += 2 {
		if strings.EqualFold(headers[i], name) {
			return true
		}
	}
	return false
}

// setReading changes how a source reads requests.
func setReading(e *webtest.Env, t *testing.T, src *lead.Source, r lead.Reading) {
	t.Helper()
	got, err := e.Store.SetSourceReading(context.Background(), src.AccountID, src.ID, r)
	if err != nil {
		t.Fatal(err)
	}
	*src = got
}

// lastDelivery returns the newest row of src's delivery log.
func lastDelivery(e *webtest.Env, t *testing.T, src lead.Source) lead.Delivery {
	t.Helper()
	ds, err := e.Store.ListDeliveries(context.Background(), src.AccountID, src.ID, 0, 1)
	if err != nil || len(ds) == 0 {
		t.Fatalf("delivery log: %v, %d rows", err, len(ds))
	}
	return ds[0]
}

func TestSenders(t *testing.T) {
	type check func(t *testing.T, e *webtest.Env, l map[string]any, d lead.Delivery)
	field := func(name string, want any) check {
		return func(t *testing.T, e *webtest.Env, l map[string]any, d lead.Delivery) {
			t.Helper()
			if got := l[name]; got != want {
				t.Errorf("%s = %#v, want %#v", name, got, want)
			}
		}
	}
	extra := func(key, want string) check {
		return func(t *testing.T, e *webtest.Env, l map[string]any, d lead.Delivery) {
			t.Helper()
			got, err := e.Store.GetLead(context.Background(), e.Acct.ID, webtest.Num(t, l["id"]))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(got.Extra, &m); err != nil || m[key] != want {
				t.Errorf("extra %s = %#v (extra %s), want %q", key, m[key], got.Extra, want)
			}
		}
	}
	cases := []struct {
		name    string
		file    string
		reading lead.Reading
		status  int
		checks  []check
	}{
		{name: "Tilda form on the Tilda preset", file: "tilda_form", reading: lead.Reading{Preset: "tilda"}, status: 201,
			checks: []check{field("name", "Иван Петров"), field("phone", "79991234567"), field("email", "ivan@example.ru"),
				field("utmSource", "yandex"), field("utmMedium", "cpc"), field("utmCampaign", "spring_sale"),
				field("utmContent", "banner_1"), field("utmTerm", "купить диван"),
				extra("Comments", "Позвоните после 18:00"), extra("tranid", "4183049:2831845291"), extra("formid", "form512047311")}},
		{name: "Tilda form on a source left at the default preset", file: "tilda_form", status: 201,
			checks: []check{field("name", "Иван Петров"), field("phone", "79991234567"), field("utmSource", "yandex")}},
		{name: "Tilda with cookies and an 8-prefixed phone", file: "tilda_cookies", reading: lead.Reading{Preset: "tilda"}, status: 201,
			checks: []check{field("name", "Anna"), field("phone", "79120001122"), extra("formname", "Callback"),
				extra("COOKIES", "_ym_uid=1700000000123456789; _ga=GA1.1.123.456")}},
		{name: "HTML form from a browser", file: "html_form", reading: lead.Reading{Preset: "form"}, status: 201,
			checks: []check{field("name", "Ольга"), field("phone", "79997654321"), field("email", "olga@example.ru"),
				field("utmSource", "vk"), field("utmCampaign", "retarget"), extra("message", "Нужна доставка")}},
		{name: "Contact Form 7 names", file: "contact_form7", reading: lead.Reading{Preset: "form"}, status: 201,
			checks: []check{field("name", "Сергей"), field("phone", "79161234567"), field("email", "sergey@example.ru"),
				extra("your-subject", "Заказ"), extra("your-message", "Перезвоните")}},
		{name: "JSON sent as text/plain", file: "json_text_plain", status: 201,
			checks: []check{field("name", "Пётр"), field("phone", "79991112233"), field("utmSource", "google")}},
		{name: "JSON with no Content-Type", file: "json_no_type", status: 201,
			checks: []check{field("name", "Мария"), field("email", "maria@example.ru")}},
		{name: "GET from an ad platform, allowed", file: "get_query", reading: lead.Reading{AllowGet: true}, status: 201,
			checks: []check{field("name", "Дмитрий"), field("phone", "79035551234"), field("utmMedium", "leadform"),
				field("yclid", "8812345678901234567"),
				func(t *testing.T, e *webtest.Env, l map[string]any, d lead.Delivery) {
					if d.Method != "GET" || !strings.Contains(d.Query, "yclid=8812345678901234567") {
						t.Errorf("delivery log keeps method %q query %q", d.Method, d.Query)
					}
				}}},
		{name: "GET when the source does not allow it", file: "get_query", status: 405},
		{name: "form in windows-1251", file: "form_cp1251", status: 201,
			checks: []check{field("name", "Василий"), field("phone", "79990002233")}},
		{name: "multipart with a file", file: "multipart_file", status: 201,
			checks: []check{field("name", "Алексей"), field("phone", "79152223344"), extra("comment", "Смета во вложении"),
				func(t *testing.T, e *webtest.Env, l map[string]any, d lead.Delivery) {
					if !strings.Contains(d.Notes, "smeta.pdf") {
						t.Errorf("notes %q do not mention the skipped file", d.Notes)
					}
				}}},
		{name: "custom names before an alias", file: "custom_names", reading: lead.Reading{Preset: "form"}, status: 422},
		{name: "custom names with aliases", file: "custom_names",
			reading: lead.Reading{Preset: "form", Aliases: map[string]string{"client_fio": "name", "client_phone": "phone"}}, status: 201,
			checks: []check{field("name", "Елена"), field("phone", "79261112233")}},
	}
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := webtest.NewEnv(t, engine)
				setReading(e, t, &e.Src, tc.reading)
				r := sendAs(e, t, e.Src, tc.file, "Accept", "application/json") // browser answers: TestSendersBrowser
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				d := lastDelivery(e, t, e.Src)
				if !bytes.Equal(d.Body, loadSender(t, tc.file).body) {
					t.Errorf("delivery log body differs from what was sent:\n%q", d.Body)
				}
				if tc.status != 201 {
					if d.Status != tc.status || d.LeadID != nil {
						t.Errorf("delivery status %d lead %v", d.Status, d.LeadID)
					}
					return
				}
				l := webtest.DataOf(t, webtest.Decode(t, r.Body))
				if len(l) != len(webtest.LeadKeys) {
					t.Errorf("answer has %d keys, want the contract's %d", len(l), len(webtest.LeadKeys))
				}
				if d.LeadID == nil || *d.LeadID != webtest.Num(t, l["id"]) {
					t.Errorf("delivery points at lead %v, want %v", d.LeadID, l["id"])
				}
				for _, c := range tc.checks {
					c(t, e, l, d)
				}
			})
		}
	})
}

// TestSendersTilda covers what Tilda expects beyond reading its fields: the
// connection check answers 200 and makes no lead, and a repeated delivery of
// one submission (same tranid) makes one lead.
func TestSendersTilda(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		for _, preset := range []string{"tilda", "leadbox"} {
			t.Run(preset, func(t *testing.T) {
				e := webtest.NewEnv(t, engine)
				setReading(e, t, &e.Src, lead.Reading{Preset: preset})
				r := sendAs(e, t, e.Src, "tilda_test")
				if r.Status != 200 {
					t.Fatalf("connection check: %d %s", r.Status, r.Body)
				}
				if v := webtest.Decode(t, r.Body); v["data"] != nil || v["message"] == nil {
					t.Errorf("connection check answer %s", r.Body)
				}
				if d := lastDelivery(e, t, e.Src); d.Mark != lead.MarkTest || d.Status != 200 || d.Quarantined() {
					t.Errorf("connection check logged as %+v", d)
				}
				first := sendAs(e, t, e.Src, "tilda_form")
				again := sendAs(e, t, e.Src, "tilda_form")
				if first.Status != 201 || again.Status != 201 || !bytes.Equal(first.Body, again.Body) {
					t.Fatalf("repeat of one submission: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
				}
				if again.Header.Get("Idempotent-Replayed") != "true" {
					t.Error("the repeat is not marked as replayed")
				}
				if n, _ := e.Store.CountLeads(context.Background(), e.Acct.ID); n != 1 {
					t.Errorf("%d leads, want 1", n)
				}
			})
		}
	})
}

// TestSendersBrowser covers browser forms: CORS preflight and answers, the
// thank-you redirect, the honeypot, and an origin that is not allowed.
func TestSendersBrowser(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		e.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		setReading(e, t, &e.Src, lead.Reading{Preset: "form", CORSOrigins: []string{"https://shop.example.ru"},
			RedirectURL: "https://shop.example.ru/thanks", Honeypot: "website"})
		t.Run("preflight from an allowed origin", func(t *testing.T) {
			r := e.Do(t, "OPTIONS", e.Hook(e.Src), nil, "Origin", "https://shop.example.ru",
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
			if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.ru" ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
				t.Fatalf("preflight: %d %v", r.Status, r.Header)
			}
		})
		t.Run("preflight from another origin", func(t *testing.T) {
			r := e.Do(t, "OPTIONS", e.Hook(e.Src), nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
			if r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatalf("preflight: %d %v", r.Status, r.Header)
			}
		})
		t.Run("HTML form redirects to the thank-you page", func(t *testing.T) {
			r := sendAs(e, t, e.Src, "html_form")
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "https://shop.example.ru/thanks" {
				t.Fatalf("%d Location %q: %s", r.Status, r.Header.Get("Location"), r.Body)
			}
			if d := lastDelivery(e, t, e.Src); d.Status != 201 || d.LeadID == nil {
				t.Errorf("delivery %+v", d)
			}
		})
		t.Run("script on an allowed origin reads the answer", func(t *testing.T) {
			r := sendAs(e, t, e.Src, "json_text_plain", "Origin", "https://shop.example.ru")
			if r.Status != 201 || r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.ru" {
				t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
			}
		})
		t.Run("origin not allowed is kept, marked and can be re-processed", func(t *testing.T) {
			r := sendAs(e, t, e.Src, "json_text_plain") // Origin: https://landing.example.ru
			if r.Status != 403 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			d := lastDelivery(e, t, e.Src)
			if d.Mark != lead.MarkOrigin || !d.Quarantined() {
				t.Fatalf("delivery %+v", d)
			}
		})
		t.Run("honeypot", func(t *testing.T) {
			before, _ := e.Store.CountLeads(context.Background(), e.Acct.ID)
			r := sendAs(e, t, e.Src, "honeypot")
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if n, _ := e.Store.CountLeads(context.Background(), e.Acct.ID); n != before {
				t.Errorf("a lead was made from a bot's request")
			}
			if d := lastDelivery(e, t, e.Src); d.Mark != lead.MarkSpam || !d.Quarantined() {
				t.Errorf("delivery %+v", d)
			}
		})
		t.Run("per-source rate limit: refused requests are kept", func(t *testing.T) {
			other := webtest.Must[lead.Source](t)(e.Store.CreateSource(context.Background(), lead.Source{AccountID: e.Acct.ID, Name: "Лендинг",
				Type: lead.SourceWebhook, Reading: lead.Reading{RatePerMinute: 6}}))
			statuses := map[int]int{}
			for i := 0; i < 8; i++ {
				r := e.Do(t, "POST", e.Hook(other), []byte("phone=7999000112"+strconv.Itoa(i)), "Content-Type", "application/x-www-form-urlencoded")
				statuses[r.Status]++
			}
			if statuses[201] != 5 || statuses[429] != 3 {
				t.Fatalf("statuses %v, want 5 × 201 (the burst) and 3 × 429", statuses)
			}
			if d := lastDelivery(e, t, other); d.Status != 429 || !d.Quarantined() {
				t.Errorf("delivery %+v", d)
			}
		})
		t.Run("browser form to a source with no thank-you page gets JSON", func(t *testing.T) {
			plain := webtest.Must[lead.Source](t)(e.Store.CreateSource(context.Background(), lead.Source{AccountID: e.Acct.ID, Name: "Форма", Type: lead.SourceWebhook}))
			r := sendAs(e, t, plain, "html_form")
			if r.Status != 201 || r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %q", r.Status, r.Header.Get("Content-Type"))
			}
		})
		t.Run("HTML form with a wrong phone gets a page saying why", func(t *testing.T) {
			r := e.Do(t, "POST", e.Hook(e.Src), []byte("name=Ivan&phone=12"), "Content-Type", "application/x-www-form-urlencoded",
				"Accept", "text/html", "Origin", "https://shop.example.ru", "Referer", "https://shop.example.ru/contacts")
			if r.Status != 422 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(string(r.Body), "Телефон") || !strings.Contains(string(r.Body), `href="https://shop.example.ru/contacts"`) {
				t.Fatalf("%d %v\n%s", r.Status, r.Header, r.Body)
			}
		})
	})
}

// TestSendersReprocess rejects requests, fixes the source's aliases through
// the API, and re-processes them into leads, one and all; a sender retrying
// with its Idempotency-Key afterwards gets the new lead.
func TestSendersReprocess(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		src := "/api/v1/sources/" + strconv.FormatInt(a.Src.ID, 10)
		webtest.Want(t, a.Call(t, "PATCH", src, `{"preset":"form"}`), 200)
		first := sendAs(a.Env, t, a.Src, "custom_names")
		if first.Status != 422 {
			t.Fatalf("custom names: %d %s", first.Status, first.Body)
		}
		// Another rejected request of the same form.
		a.Do(t, "POST", a.Hook(a.Src), []byte("client_phone=79260000001&client_fio=Second"), "Content-Type", "application/x-www-form-urlencoded")
		webtest.WantAPIError(t, a.Call(t, "PATCH", src, `{"aliases":{"phone":"email"}}`), 422, "aliases")
		webtest.WantAPIError(t, a.Call(t, "PATCH", src, `{"aliases":{"client_phone":"telephone"}}`), 422, "aliases")
		webtest.WantAPIError(t, a.Call(t, "PATCH", src, `{"corsOrigins":["https://a.example/path"]}`), 422, "corsOrigins")
		webtest.WantAPIError(t, a.Call(t, "PATCH", src, `{"preset":"bitrix"}`), 422, "preset")
		if e := webtest.WantAPIError(t, a.Call(t, "PATCH", src, `{"aliases":{"tel":"telephone"}}`, "Accept-Language", "en"), 422, "aliases"); e["aliases"][0] != `The alias "tel" names an unknown lead field "telephone".` {
			t.Errorf("English message: %q", e["aliases"])
		}
		q := webtest.ListOf(t, a.Get(t, src+"/deliveries?status=quarantined"))
		if len(q) != 2 || q[0]["quarantined"] != true {
			t.Fatalf("quarantined: %v", q)
		}
		// Still failing: the answer says why and the request stays quarantined.
		webtest.WantAPIError(t, a.Call(t, "POST", src+"/deliveries/"+strconv.FormatInt(webtest.Num(t, q[0]["id"]), 10)+"/reprocess", ""), 422, "phone")
		v := webtest.Want(t, a.Call(t, "PATCH", src, `{"aliases":{"client_phone":"phone","client_fio":"name"}}`), 200)
		if al := webtest.DataOf(t, v)["aliases"].(map[string]any); al["client_phone"] != "phone" {
			t.Fatalf("aliases %v", al)
		}
		l := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", src+"/deliveries/"+strconv.FormatInt(webtest.Num(t, q[0]["id"]), 10)+"/reprocess", ""), 201))
		if l["phone"] != "79261112233" || l["name"] != "Елена" {
			t.Errorf("re-processed lead %v", l)
		}
		webtest.WantAPIError(t, a.Call(t, "POST", src+"/deliveries/"+strconv.FormatInt(webtest.Num(t, q[0]["id"]), 10)+"/reprocess", ""), 409, "delivery")
		res := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", src+"/deliveries/reprocess", ""), 200))
		if webtest.Num(t, res["created"]) != 1 || len(res["failed"].([]any)) != 0 {
			t.Errorf("reprocess all: %v", res)
		}
		d := webtest.DataOf(t, a.Get(t, src+"/deliveries/"+strconv.FormatInt(webtest.Num(t, q[0]["id"]), 10)))
		if d["leadId"] == nil || d["dtReprocessed"] == nil || d["quarantined"] != false || d["mapped"] == nil {
			t.Errorf("delivery after re-processing %v", d)
		}
		// The sender retries with its Idempotency-Key: it gets the lead now.
		retry := sendAs(a.Env, t, a.Src, "custom_names")
		if retry.Status != 201 || webtest.Num(t, webtest.DataOf(t, webtest.Decode(t, retry.Body))["id"]) != webtest.Num(t, l["id"]) {
			t.Errorf("retry after re-processing: %d %s", retry.Status, retry.Body)
		}
		if n, _ := a.Store.CountLeads(context.Background(), a.Acct.ID); n != 2 {
			t.Errorf("%d leads, want 2", n)
		}
		ev, err := a.Store.LeadEvents(context.Background(), a.Acct.ID, webtest.Num(t, l["id"]))
		if err != nil || len(ev) == 0 || ev[len(ev)-1].Action != "reprocess" {
			t.Errorf("history %v %v", ev, err)
		}
		// A GET refused while the source did not allow it becomes a lead once it does.
		if r := sendAs(a.Env, t, a.Src, "get_query"); r.Status != 405 {
			t.Fatalf("GET: %d %s", r.Status, r.Body)
		}
		webtest.Want(t, a.Call(t, "PATCH", src, `{"allowGet":true}`), 200)
		res = webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", src+"/deliveries/reprocess", ""), 200))
		if webtest.Num(t, res["created"]) != 1 {
			t.Errorf("reprocess the GET: %v", res)
		}
		// Another account cannot see or re-process this source's requests.
		r := a.Call(t, "POST", src+"/deliveries/reprocess", "", "Authorization", "Bearer "+a.OtherToken)
		if r.Status != 404 {
			t.Errorf("other account: %d", r.Status)
		}
	})
}

// TestSendersAnswerInTime holds the database's write lock from another
// connection while Tilda posts: the sender still gets its answer (503 with
// Retry-After, which it retries) inside the 5 s it waits, rather than timing
// out after leadbox may have saved the lead; once the lock is gone the retry
// makes the lead.
func TestSendersAnswerInTime(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		setReading(e, t, &e.Src, lead.Reading{Preset: "tilda"})
		release := storetest.HoldWrites(t, e.Engine, e.DSN)
		start := time.Now()
		r := sendAs(e, t, e.Src, "tilda_form")
		elapsed := time.Since(start)
		release()
		if r.Status != 503 || r.Header.Get("Retry-After") == "" || elapsed >= 5*time.Second {
			t.Fatalf("with the database locked: %d after %v (Retry-After %q): %s", r.Status, elapsed, r.Header.Get("Retry-After"), r.Body)
		}
		if r := sendAs(e, t, e.Src, "tilda_form"); r.Status != 201 {
			t.Fatalf("retry: %d %s", r.Status, r.Body)
		}
	})
}
