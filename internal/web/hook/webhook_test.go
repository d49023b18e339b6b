package hook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// seedRequest is the seed page's example request, as the page writes it;
// %d is the owner, which must be a user of the account.
const seedRequest = `  {
  "name": "test",
  "phone": 79998888888,
  "email": "fff@mail.ru",
  "userIdOwner": %d
  }`

// TestWebhookSeedExample posts the seed's example request and checks the
// answer against the seed's example answer: status, content type, every key
// in order, and every value.
func TestWebhookSeedExample(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		body := fmt.Sprintf(seedRequest, e.Admin.ID)
		before := time.Now().Unix()
		r := e.Post(t, e.Src, body)
		after := time.Now().Unix()
		data := webtest.WantCreated(t, r)

		want := map[string]string{
			"name": `"test"`, "sourceId": strconv.FormatInt(e.Src.ID, 10), "phone": `"79998888888"`,
			"email": `"fff@mail.ru"`, "userIdOwner": strconv.FormatInt(e.Admin.ID, 10), "otherCount": "0",
			"funnelStageId": strconv.FormatInt(e.First.ID, 10), // a new lead starts at the funnel's first stage
		}
		for _, k := range webtest.LeadKeys {
			switch k {
			case "id":
				if webtest.IntOf(t, k, data[k]) <= 0 {
					t.Errorf("id = %s, want a positive integer", data[k])
				}
			case "dtCreate", "dtUpdate":
				if ts := webtest.IntOf(t, k, data[k]); ts < before || ts > after {
					t.Errorf("%s = %d, want unix seconds in [%d, %d]", k, ts, before, after)
				}
			default:
				w, ok := want[k]
				if !ok {
					w = "null"
				}
				if string(data[k]) != w {
					t.Errorf("%s = %s, want %s", k, data[k], w)
				}
			}
		}
		id := webtest.IntOf(t, "id", data["id"])
		e.CheckDelivery(t, e.Src, 0, http.MethodPost, "application/json", []byte(body), r)
		raw, err := e.Store.LeadRaw(context.Background(), e.Acct.ID, id)
		if err != nil || !bytes.Equal(raw, []byte(body)) {
			t.Errorf("LeadRaw = %q, %v; want the request byte for byte", raw, err)
		}

		t.Run("the same phone in another form is a duplicate of the first lead", func(t *testing.T) {
			d := webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "+7 (999) 888-88-88"}`))
			if string(d["firstId"]) != strconv.FormatInt(id, 10) || string(d["otherCount"]) != "1" {
				t.Fatalf("firstId %s otherCount %s, want %d and 1", d["firstId"], d["otherCount"], id)
			}
		})
		t.Run("the same email in other case is a duplicate too", func(t *testing.T) {
			// Only the first lead has this email; the second had only the phone.
			d := webtest.WantCreated(t, e.Post(t, e.Src, `{"email": "FFF@Mail.RU"}`))
			if string(d["firstId"]) != strconv.FormatInt(id, 10) || string(d["otherCount"]) != "1" {
				t.Fatalf("firstId %s otherCount %s, want %d and 1", d["firstId"], d["otherCount"], id)
			}
			if string(d["email"]) != `"FFF@Mail.RU"` {
				t.Fatalf("email %s, want it as sent", d["email"])
			}
		})
		t.Run("a lead sharing the phone with one and the email with another counts both", func(t *testing.T) {
			d := webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "8 999 888 88 88", "email": "fff@MAIL.ru"}`))
			if string(d["firstId"]) != strconv.FormatInt(id, 10) || string(d["otherCount"]) != "3" {
				t.Fatalf("firstId %s otherCount %s, want %d and 3", d["firstId"], d["otherCount"], id)
			}
		})
		t.Run("another account does not see this account's contacts", func(t *testing.T) {
			d := webtest.WantCreated(t, e.Post(t, e.Other.Src, `{"phone": "79998888888", "email": "fff@mail.ru"}`))
			if string(d["firstId"]) != "null" || string(d["otherCount"]) != "0" {
				t.Fatalf("firstId %s otherCount %s, want null and 0", d["firstId"], d["otherCount"])
			}
		})
	})
}

// TestWebhookFields checks that every field comes back as sent (and is stored
// so), and the leniency the spec asks for.
func TestWebhookFields(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		ctx := context.Background()

		// post sends body, wants a 201 whose stored lead renders exactly as
		// the answer's data, and whose raw request is body byte for byte.
		post := func(t *testing.T, body string) (map[string]json.RawMessage, lead.Lead) {
			t.Helper()
			r := e.Post(t, e.Src, body)
			data := webtest.WantCreated(t, r)
			id := webtest.IntOf(t, "id", data["id"])
			l, err := e.Store.GetLead(ctx, e.Acct.ID, id)
			if err != nil {
				t.Fatalf("GetLead: %v", err)
			}
			var wrap struct {
				Data json.RawMessage `json:"data"`
			}
			json.Unmarshal(r.Body, &wrap)
			var stored bytes.Buffer
			enc := json.NewEncoder(&stored)
			enc.SetEscapeHTML(false)
			enc.Encode(l)
			if !bytes.Equal(bytes.TrimSpace(stored.Bytes()), wrap.Data) {
				t.Fatalf("stored lead differs from the answer:\nstored   %s\nanswered %s", stored.Bytes(), wrap.Data)
			}
			raw, err := e.Store.LeadRaw(ctx, e.Acct.ID, id)
			if err != nil || !bytes.Equal(raw, []byte(body)) {
				t.Fatalf("LeadRaw = %q, %v; want the request byte for byte", raw, err)
			}
			return data, l
		}

		t.Run("every field round-trips", func(t *testing.T) {
			sent := map[string]any{
				"name":           "Иван <Петров> & сын",
				"phone":          "+7 (999) 123-45-67",
				"email":          "Ivan.Petrov@Example.COM",
				"userIdOwner":    e.Manager.ID,
				"sourceId":       e.Manual.ID,
				"remoteId":       int64(9007199254740993), // not exact as a float64
				"locationUnitId": e.Office.ID,
				"locationCityId": e.City.ID,
				"funnelStageId":  e.Stage.ID,
				"cost":           150000,
			}
			for _, k := range webtest.MarkKeys {
				sent[k] = k + " — значение \"в кавычках\" <b>&amp;</b> \\ / \u2028 😀"
			}
			sent["referrer"] = "https://example.com/?q=" + strings.Repeat("я", 2048-len("https://example.com/?q="))
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.Encode(sent)
			data, _ := post(t, b.String())
			if webtest.StrOf(t, "phone", data["phone"]) != "79991234567" {
				t.Errorf("phone = %s, want 79991234567", data["phone"])
			}
			for k, v := range sent {
				if k == "phone" {
					continue
				}
				switch v := v.(type) {
				case string:
					if got := webtest.StrOf(t, k, data[k]); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				default:
					if got := webtest.IntOf(t, k, data[k]); fmt.Sprint(got) != fmt.Sprint(v) {
						t.Errorf("%s = %d, want %v", k, got, v)
					}
				}
			}
			if !bytes.Contains(data["name"], []byte("<Петров> &")) {
				t.Errorf("name is HTML-escaped in the answer: %s", data["name"])
			}
		})

		t.Run("int fields as numeric strings", func(t *testing.T) {
			data, _ := post(t, e.Vars(`{"phone": "79990000001", "userIdOwner": "{{manager}}", "sourceId": " {{manual}} ",
				"remoteId": "77", "locationUnitId": "{{office}}", "locationCityId": "{{city}}", "funnelStageId": "{{stage}}",
				"cost": "1500"}`))
			want := map[string]int64{"userIdOwner": e.Manager.ID, "sourceId": e.Manual.ID, "remoteId": 77,
				"locationUnitId": e.Office.ID, "locationCityId": e.City.ID, "funnelStageId": e.Stage.ID, "cost": 1500}
			for k, v := range want {
				if got := webtest.IntOf(t, k, data[k]); got != v {
					t.Errorf("%s = %d, want %d", k, got, v)
				}
			}
		})

		t.Run("empty and blank strings and null are absent", func(t *testing.T) {
			body := `{"phone": "79990000002", "email": "   ", "name": "", "userIdOwner": "", "cost": " ", "remoteId": null,
				"sourceId": "\t", "utmSource": "\t\n ", "referrer": "", "ip": null}`
			data, _ := post(t, body)
			for _, k := range webtest.LeadKeys {
				switch k {
				case "id", "phone", "dtCreate", "dtUpdate", "otherCount":
				case "sourceId":
					if webtest.IntOf(t, k, data[k]) != e.Src.ID {
						t.Errorf("sourceId = %s, want the webhook's own %d", data[k], e.Src.ID)
					}
				case "funnelStageId":
					if webtest.IntOf(t, k, data[k]) != e.First.ID {
						t.Errorf("funnelStageId = %s, want the funnel's first %d", data[k], e.First.ID)
					}
				default:
					if string(data[k]) != "null" {
						t.Errorf("%s = %s, want null", k, data[k])
					}
				}
			}
		})

		t.Run("unknown keys are accepted and kept in order", func(t *testing.T) {
			body := "{\r\n\t\"PHONE\": \"+7 000\",\r\n\t\"phone\": 79990000003,\r\n\t\"Phone\": \"x\",\r\n" +
				"\t\"custom\": {\"nested\": [1, \"два\", null, true]},\r\n\t\"utm_source\": \"google\",\r\n\t\"Email\": \"a@b.ru\"\r\n}"
			data, l := post(t, body)
			if webtest.StrOf(t, "phone", data["phone"]) != "79990000003" {
				t.Errorf("phone = %s", data["phone"])
			}
			for _, k := range []string{"email", "utmSource"} {
				if string(data[k]) != "null" {
					t.Errorf("%s = %s: a key differing in case or spelling must not fill it", k, data[k])
				}
			}
			want := `{"PHONE":"+7 000","Phone":"x","custom":{"nested":[1,"два",null,true]},"utm_source":"google","Email":"a@b.ru"}`
			if string(l.Extra) != want {
				t.Errorf("Extra = %s\nwant    %s", l.Extra, want)
			}
		})

		t.Run("a lead without unknown keys has no Extra", func(t *testing.T) {
			_, l := post(t, `{"phone": "79990000004"}`)
			if len(l.Extra) != 0 && string(l.Extra) != "null" && string(l.Extra) != "{}" {
				t.Errorf("Extra = %s, want none", l.Extra)
			}
		})

		t.Run("source defaults apply when fields are absent", func(t *testing.T) {
			src, err := e.Store.CreateSource(ctx, lead.Source{AccountID: e.Acct.ID, Name: "With defaults", Type: lead.SourceWebhook,
				DefaultOwnerID: &e.Manager.ID, DefaultStageID: &e.Stage.ID, DefaultUnitID: &e.Office.ID, DefaultCityID: &e.City.ID})
			if err != nil {
				t.Fatal(err)
			}
			data := webtest.WantCreated(t, e.Post(t, src, `{"phone": "79990000005"}`))
			want := map[string]int64{"userIdOwner": e.Manager.ID, "funnelStageId": e.Stage.ID,
				"locationUnitId": e.Office.ID, "locationCityId": e.City.ID, "sourceId": src.ID}
			for k, v := range want {
				if got := webtest.IntOf(t, k, data[k]); got != v {
					t.Errorf("%s = %d, want the default %d", k, got, v)
				}
			}
			data = webtest.WantCreated(t, e.Post(t, src, e.Vars(`{"phone": "79990000006", "userIdOwner": {{admin}}}`)))
			if got := webtest.IntOf(t, "userIdOwner", data["userIdOwner"]); got != e.Admin.ID {
				t.Errorf("userIdOwner = %d, want the sender's %d over the default", got, e.Admin.ID)
			}
		})
	})
}

// statusCase is one request to the webhook and what it must get.
type statusCase struct {
	name   string
	method string                           // default POST
	target func(e *webtest.Env) lead.Source // default the enabled webhook
	url    func(e *webtest.Env) string      // default target's URL; set for a URL with no source
	ctype  string                           // default application/json; noType for none
	body   func(e *webtest.Env) []byte
	header []string // more request headers, name, value pairs
	status int
	field  string // the one field the errors name
	label  string // what its message must contain
	exact  string // the whole answer, byte for byte
}

func text(s string) func(e *webtest.Env) []byte {
	return func(e *webtest.Env) []byte { return []byte(e.Vars(s)) }
}

// padded returns a valid lead body of exactly n bytes.
func padded(n int) func(e *webtest.Env) []byte {
	return func(*webtest.Env) []byte {
		head := `{"phone":"79990001111","pad":"`
		return []byte(head + strings.Repeat("x", n-len(head)-2) + `"}`)
	}
}

func phoneRequired() string {
	return `{"errors":{"phone":["Поле Телефон обязательно для заполнения."]}}`
}

// TestWebhookStatuses sends one request per case and checks the status, the
// answer's shape, and that the request landed in the source's delivery log
// with its status, errors and body byte for byte (every case but the unknown
// token, which names no source).
func TestWebhookStatuses(t *testing.T) {
	owner, src, unit, city, stage := "ID Ответственного сотрудника", "ID рекламного источника", "ID Офиса", "ID Города", "ID Этапа воронки"
	cases := []statusCase{
		// 201
		{name: "201 seed example", body: func(e *webtest.Env) []byte { return fmt.Appendf(nil, seedRequest, e.Admin.ID) }, status: 201},
		{name: "201 email only", body: text(`{"email": "only@mail.ru"}`), status: 201},
		{name: "201 content type with charset utf-8", ctype: "application/json; charset=utf-8", body: text(`{"phone": "79990000010"}`), status: 201},
		{name: "201 content type with charset UTF-8 upper case", ctype: "application/json; charset=UTF-8", body: text(`{"phone": "79990000011"}`), status: 201},
		{name: "201 JSON sent as text/plain", ctype: "text/plain", body: text(`{"phone": "79990000012"}`), status: 201},
		{name: "201 JSON sent without a content type", ctype: webtest.NoType, body: text(`{"phone": "79990000013"}`), status: 201},
		{name: "201 name of 255 characters", body: text(`{"phone": "79990000014", "name": "` + strings.Repeat("Я", 255) + `"}`), status: 201},
		{name: "201 referrer of 2048 characters", body: text(`{"phone": "79990000015", "referrer": "` + strings.Repeat("r", 2048) + `"}`), status: 201},
		{name: "201 body of exactly 64 KiB", body: padded(web.MaxWebhookBody), status: 201},
		{name: "201 content type with a parameter that is not UTF-8", ctype: "text/plain; charset=utf-8; x=\"\xff\"", body: text(`{"phone": "79990000016"}`), status: 201},
		{name: "201 Idempotency-Key", header: []string{"Idempotency-Key", "ключ-1"}, body: text(`{"phone": "79990000017"}`), status: 201},

		// 422: nothing to reach the customer by
		{name: "422 neither phone nor email", body: text(`{"name": "test"}`), status: 422, exact: phoneRequired()},
		{name: "422 empty object", body: text(`{}`), status: 422, exact: phoneRequired()},
		{name: "422 blank phone and email", body: text(`{"phone": " ", "email": "", "name": "test"}`), status: 422, exact: phoneRequired()},
		{name: "422 null phone", body: text(`{"phone": null}`), status: 422, exact: phoneRequired()},
		{name: "422 PHONE is not phone", body: text(`{"PHONE": "79998888888"}`), status: 422, exact: phoneRequired()},
		// 422: wrong types
		{name: "422 userIdOwner abc", body: text(`{"phone": "79990000020", "userIdOwner": "abc"}`), status: 422, field: "userIdOwner", label: owner},
		{name: "422 userIdOwner 1.5", body: text(`{"phone": "79990000020", "userIdOwner": 1.5}`), status: 422, field: "userIdOwner", label: owner},
		{name: "422 userIdOwner true", body: text(`{"phone": "79990000020", "userIdOwner": true}`), status: 422, field: "userIdOwner", label: owner},
		{name: "422 userIdOwner object", body: text(`{"phone": "79990000020", "userIdOwner": {"id": 1}}`), status: 422, field: "userIdOwner", label: owner},
		{name: "422 cost array", body: text(`{"phone": "79990000020", "cost": [100]}`), status: 422, field: "cost", label: "Сумма (Бюджет)"},
		{name: "422 remoteId 1e400", body: text(`{"phone": "79990000020", "remoteId": 1e400}`), status: 422, field: "remoteId", label: "Внешний ID"},
		{name: "422 remoteId beyond int64", body: text(`{"phone": "79990000020", "remoteId": 9223372036854775808}`), status: 422, field: "remoteId", label: "Внешний ID"},
		{name: "422 name true", body: text(`{"phone": "79990000020", "name": true}`), status: 422, field: "name", label: "Имя"},
		{name: "422 utmSource object", body: text(`{"phone": "79990000020", "utmSource": {}}`), status: 422, field: "utmSource", label: "UTM Source"},
		{name: "422 phone false", body: text(`{"phone": false}`), status: 422, field: "phone", label: "Телефон"},
		// 422: references
		{name: "422 userIdOwner unknown", body: text(`{"phone": "79990000021", "userIdOwner": 999999}`), status: 422, field: "userIdOwner", label: owner},
		{name: "422 userIdOwner zero", body: text(`{"phone": "79990000021", "userIdOwner": 0}`), status: 422, field: "userIdOwner", label: owner},
		{name: "422 userIdOwner of another account", body: text(`{"phone": "79990000021", "userIdOwner": {{otherUser}}}`), status: 422, field: "userIdOwner", label: owner},
		{name: "422 sourceId of another account", body: text(`{"phone": "79990000021", "sourceId": {{otherSrc}}}`), status: 422, field: "sourceId", label: src},
		{name: "422 locationUnitId of another account", body: text(`{"phone": "79990000021", "locationUnitId": {{otherOffice}}}`), status: 422, field: "locationUnitId", label: unit},
		{name: "422 locationCityId of another account", body: text(`{"phone": "79990000021", "locationCityId": "{{otherCity}}"}`), status: 422, field: "locationCityId", label: city},
		{name: "422 funnelStageId of another account", body: text(`{"phone": "79990000021", "funnelStageId": {{otherStage}}}`), status: 422, field: "funnelStageId", label: stage},
		{name: "422 funnelStageId unknown", body: text(`{"phone": "79990000021", "funnelStageId": 999999}`), status: 422, field: "funnelStageId", label: stage},
		// 422: contacts
		{name: "422 invalid email", body: text(`{"email": "not-an-email"}`), status: 422, field: "email", label: "Email"},
		{name: "422 invalid email beside a good phone", body: text(`{"phone": "79990000022", "email": "a@b@c.ru"}`), status: 422, field: "email", label: "Email"},
		{name: "422 email with a display name", body: text(`{"email": "Ivan <ivan@mail.ru>"}`), status: 422, field: "email", label: "Email"},
		{name: "422 phone abc", body: text(`{"phone": "abc"}`), status: 422, field: "phone", label: "Телефон"},
		{name: "422 phone too short", body: text(`{"phone": "12"}`), status: 422, field: "phone", label: "Телефон"},
		// 422: lengths
		{name: "422 name of 256 characters", body: text(`{"phone": "79990000023", "name": "` + strings.Repeat("Я", 256) + `"}`), status: 422, field: "name", label: "Имя"},
		{name: "422 referrer of 2049 characters", body: text(`{"phone": "79990000023", "referrer": "` + strings.Repeat("r", 2049) + `"}`), status: 422, field: "referrer", label: "Источник перехода"},
		{name: "422 utmCampaign of 256 characters", body: text(`{"phone": "79990000023", "utmCampaign": "` + strings.Repeat("c", 256) + `"}`), status: 422, field: "utmCampaign", label: "UTM Campaign"},

		// 422: the Idempotency-Key header
		{name: "422 Idempotency-Key of 256 characters", header: []string{"Idempotency-Key", strings.Repeat("k", 256)}, body: text(`{"phone": "79990000024"}`), status: 422, field: "Idempotency-Key", label: "Idempotency-Key"},
		{name: "422 Idempotency-Key not UTF-8", header: []string{"Idempotency-Key", "key-\xff"}, body: text(`{"phone": "79990000024"}`), status: 422, field: "Idempotency-Key", label: "Idempotency-Key"},

		// 400
		{name: "400 malformed JSON", body: text(`{"phone": "79990000030",`), status: 400},
		{name: "400 syntax error", body: text(`{"phone" "79990000030"}`), status: 400},
		{name: "400 single quotes", body: text(`{'phone': '79990000030'}`), status: 400},
		{name: "400 empty body", body: text(``), status: 400},
		{name: "400 whitespace body", body: text(" \r\n\t"), status: 400},
		{name: "400 array", body: text(`[{"phone": "79990000030"}]`), status: 400},
		{name: "400 empty array", body: text(`[]`), status: 400},
		{name: "400 string", body: text(`"79990000030"`), status: 400},
		{name: "400 number", body: text(`79990000030`), status: 400},
		{name: "400 null", body: text(`null`), status: 400},
		{name: "400 true", body: text(`true`), status: 400},
		{name: "400 duplicate key", body: text(`{"phone": "79990000030", "phone": "79990000031"}`), status: 400},
		{name: "400 trailing garbage", body: text(`{"phone": "79990000030"} x`), status: 400},
		{name: "400 two objects", body: text(`{"phone": "79990000030"}{"phone": "79990000031"}`), status: 400},
		{name: "400 invalid UTF-8", body: text("{\"phone\": \"79990000030\", \"name\": \"\xff\xfe\"}"), status: 400},
		{name: "400 UTF-16 body", body: func(*webtest.Env) []byte { return []byte("\xff\xfe{\x00}\x00") }, status: 400},
		{name: "400 deeply nested", body: text(`{"phone": "79990000030", "x": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`), status: 400},

		// 404, 405, 410
		{name: "404 unknown token", url: func(e *webtest.Env) string { return e.Srv.URL + "/hooks/wh_unknown" + e.Src.Token[3:10] }, body: text(`{"phone": "79990000040"}`), status: 404},
		{name: "405 GET", method: http.MethodGet, status: 405},
		{name: "405 PUT", method: http.MethodPut, body: text(`{"phone": "79990000041"}`), status: 405},
		{name: "405 DELETE", method: http.MethodDelete, status: 405},
		{name: "405 PATCH", method: http.MethodPatch, body: text(`{"phone": "79990000041"}`), status: 405},
		{name: "410 disabled source", target: func(e *webtest.Env) lead.Source { return e.Disabled }, body: text(`{"phone": "79990000042"}`), status: 410},

		// 413
		{name: "413 body of 64 KiB and one byte", body: padded(web.MaxWebhookBody + 1), status: 413},
		{name: "413 body of 256 KiB", body: padded(256 << 10), status: 413},

		// 415
		{name: "415 application/xml", ctype: "application/xml", body: text(`<lead><phone>79990000050</phone></lead>`), status: 415},
		{name: "415 text/html", ctype: "text/html", body: text(`{"phone": "79990000050"}`), status: 415},
		{name: "415 JSON in Latin-1", ctype: "application/json; charset=iso-8859-1", body: text(`{"phone": "79990000050"}`), status: 415},
		{name: "415 JSON in UTF-16", ctype: "application/json; charset=utf-16", body: text(`{"phone": "79990000050"}`), status: 415},
		{name: "201 JSON in windows-1251", ctype: "application/json; charset=windows-1251", body: text(`{"phone": "79990000050"}`), status: 201},
		{name: "201 a real form", ctype: "application/x-www-form-urlencoded", body: text(`phone=79990000050`), status: 201},
		{name: "400 multipart with no fields", ctype: "multipart/form-data; boundary=x", body: text("--x\r\n\r\n--x--\r\n"), status: 400},
		{name: "400 multipart without a boundary", ctype: "multipart/form-data", body: text("--x\r\n\r\n--x--\r\n"), status: 400},
		{name: "400 form that does not decode", ctype: "application/x-www-form-urlencoded", body: text(`phone=%zz`), status: 400},
		{name: "415 unparseable content type", ctype: "application/json; charset", body: text(`{"phone": "79990000050"}`), status: 415},
		{name: "415 content type not UTF-8", ctype: "application/json; x=\xff", body: text(`{"phone": "79990000050"}`), status: 415},
	}
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				method := c.method
				if method == "" {
					method = http.MethodPost
				}
				target := e.Src
				if c.target != nil {
					target = c.target(e)
				}
				url := e.Hook(target)
				if c.url != nil {
					url = c.url(e)
				}
				var body []byte
				if c.body != nil {
					body = c.body(e)
				}
				ctype := "application/json"
				if c.ctype != "" {
					ctype = c.ctype
				}
				if method != http.MethodPost && c.ctype == "" && body == nil {
					ctype = webtest.NoType
				}
				before := len(e.Deliveries(t, target))
				leads := e.CountLeads(t)

				r := e.Do(t, method, url, body, append([]string{"Content-Type", ctype}, c.header...)...)

				if r.Status != c.status {
					t.Fatalf("status %d, want %d; body %s", r.Status, c.status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q, want application/json", ct)
				}
				if c.status == http.StatusCreated {
					webtest.WantCreated(t, r)
					if n := e.CountLeads(t); n != leads+1 {
						t.Errorf("%d leads, want %d", n, leads+1)
					}
				} else {
					fields := webtest.ErrorsOf(t, r.Body)
					if c.field != "" {
						webtest.WantFieldError(t, r, c.status, c.field, c.label)
					}
					if c.exact != "" && string(r.Body) != c.exact {
						t.Errorf("answer\n %s\nwant exactly\n %s", r.Body, c.exact)
					}
					if c.status == 422 && c.field == "" && c.exact == "" {
						t.Errorf("a 422 case must say which field it names (%v)", webtest.KeysOf(fields))
					}
					if n := e.CountLeads(t); n != leads {
						t.Errorf("a %d created a lead", r.Status)
					}
				}
				if c.status == http.StatusMethodNotAllowed && r.Header.Get("Allow") != http.MethodPost {
					t.Errorf("Allow = %q, want POST", r.Header.Get("Allow"))
				}
				if r.Status < 500 && r.Header.Get("Retry-After") != "" {
					t.Errorf("a %d carries Retry-After %q", r.Status, r.Header.Get("Retry-After"))
				}

				if c.url != nil { // no source: nothing to log, and nothing logged anywhere
					for _, s := range []lead.Source{e.Src, e.Disabled} {
						if n := len(e.Deliveries(t, s)); s.ID == target.ID && n != before {
							t.Errorf("an unknown token wrote to the delivery log of source %d", s.ID)
						}
					}
					return
				}
				// A header is logged as text: bytes that are not UTF-8 as U+FFFD.
				logged := strings.ToValidUTF8(ctype, "\uFFFD")
				if ctype == webtest.NoType {
					logged = ""
				}
				e.CheckDelivery(t, target, before, method, logged, body, r)
			})
		}
	})
}

// TestWebhookErrorOrder checks that several bad fields are all named, in the
// seed's order, each with its own label.
func TestWebhookErrorOrder(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		r := e.Post(t, e.Src, `{"cost": "много", "email": "bad", "userIdOwner": "abc", "name": 1, "referrer": {}}`)
		if r.Status != 422 {
			t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
		}
		webtest.ErrorsOf(t, r.Body)
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		var order []string
		depth := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch tok {
			case json.Delim('{'), json.Delim('['):
				depth++
			case json.Delim('}'), json.Delim(']'):
				depth--
			default:
				if s, ok := tok.(string); ok && depth == 2 {
					order = append(order, s)
				}
			}
		}
		// name: 1 is no error: a string field takes a number as its text.
		if got := strings.Join(order, " "); got != "email userIdOwner cost referrer" {
			t.Fatalf("fields named %q, want email userIdOwner cost referrer (the seed's order)", got)
		}
		for field, label := range map[string]string{"email": "Email", "userIdOwner": "ID Ответственного сотрудника",
			"cost": "Сумма (Бюджет)", "referrer": "Источник перехода"} {
			var body struct{ Errors map[string][]string }
			json.Unmarshal(r.Body, &body)
			if msg := strings.Join(body.Errors[field], " "); !strings.Contains(msg, label) {
				t.Errorf("%s: message %q does not name %q", field, msg, label)
			}
		}
	})
}
