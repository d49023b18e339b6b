package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

func TestAPIAuth(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		for name, auth := range map[string]string{
			"Missing":   "",
			"NotBearer": "Basic " + a.Token,
			"Unknown":   "Bearer lbx_nope",
			"Empty":     "Bearer ",
		} {
			t.Run(name, func(t *testing.T) {
				r := a.Call(t, "GET", "/api/v1/leads", "", "Authorization", auth)
				webtest.WantAPIError(t, r, http.StatusUnauthorized, "token")
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
				}
			})
		}
		t.Run("LastUsed", func(t *testing.T) {
			webtest.Want(t, a.Call(t, "GET", "/api/v1/leads", ""), 200)
			toks := webtest.Must[[]webtest.StoreToken](t)(webtest.ListTokens(a))
			if toks[0].LastUsed == nil {
				t.Fatal("last-used time not recorded")
			}
		})
		t.Run("Revoked", func(t *testing.T) {
			if err := a.Store.RevokeAPIToken(context.Background(), a.Acct.ID, a.TokenRow.ID); err != nil {
				t.Fatal(err)
			}
			webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/leads", ""), http.StatusUnauthorized, "token")
		})
	})
}

func TestAPIRouting(t *testing.T) {
	a := webtest.NewAPIEnv(t, "sqlite")
	t.Run("MethodNotAllowed", func(t *testing.T) {
		r := a.Call(t, "PUT", "/api/v1/leads", "{}")
		webtest.WantAPIError(t, r, http.StatusMethodNotAllowed, "method")
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("Allow %q", allow)
		}
	})
	t.Run("UnknownPath", func(t *testing.T) {
		webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/nothing", ""), http.StatusNotFound, "path")
	})
	t.Run("BadID", func(t *testing.T) {
		webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/leads/abc", ""), http.StatusNotFound, "id")
	})
	t.Run("NoStore", func(t *testing.T) {
		// A token's answers hold personal data; the public document does not.
		for _, path := range []string{"/api/v1/leads", "/api/v1/leads/999999", "/api/v1/users"} {
			if cc := a.Call(t, "GET", path, "").Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("GET %s: Cache-Control %q, want no-store", path, cc)
			}
		}
		if cc := a.Call(t, "GET", "/api/v1/openapi.json", "").Header.Get("Cache-Control"); cc == "no-store" {
			t.Errorf("the OpenAPI document is no-store")
		}
	})
}

func TestAPILeadCreate(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		t.Run("OK", func(t *testing.T) {
			r := a.Call(t, "POST", "/api/v1/leads", a.Vars(`{"name":"Иван <b>","phone":79998888888,"email":"fff@mail.ru",
				"userIdOwner":"{{manager}}","funnelStageId":{{stage}},"utmCampaign":"spring","custom":1}`))
			d := webtest.WantCreatedAPI(t, r)
			if webtest.StrOf(t, "phone", d["phone"]) != "79998888888" || webtest.StrOf(t, "name", d["name"]) != "Иван <b>" {
				t.Errorf("lead %s", r.Body)
			}
			if string(d["extra"]) != `{"custom":1}` {
				t.Errorf("extra = %s, want the sender's unknown key", d["extra"])
			}
			id := webtest.IntOf(t, "id", d["id"])
			if got := webtest.APILeadData(t, a.Call(t, "GET", "/api/v1/leads/"+webtest.ID(id), "").Body)["extra"]; string(got) != `{"custom":1}` {
				t.Errorf("GET's extra = %s, want the sender's unknown key", got)
			}
			if webtest.IntOf(t, "userIdCreate", d["userIdCreate"]) != a.Admin.ID {
				t.Errorf("userIdCreate %s, want the token's creator %d", d["userIdCreate"], a.Admin.ID)
			}
			if string(d["sourceId"]) != "null" || string(d["firstId"]) != "null" {
				t.Errorf("sourceId %s firstId %s", d["sourceId"], d["firstId"])
			}
			// The same phone in another format is a duplicate.
			d2 := webtest.WantCreatedAPI(t, a.Call(t, "POST", "/api/v1/leads", `{"phone":"+7 (999) 888-88-88"}`))
			if string(d2["firstId"]) != string(d["id"]) || string(d2["otherCount"]) != "1" {
				t.Errorf("duplicate: firstId %s otherCount %s, want %s 1", d2["firstId"], d2["otherCount"], d["id"])
			}
		})
		t.Run("ErrPhoneRequired", func(t *testing.T) {
			r := a.Call(t, "POST", "/api/v1/leads", `{"name":"x"}`)
			if r.Status != 422 || string(r.Body) != `{"errors":{"phone":["Поле Телефон обязательно для заполнения."]}}` {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
		t.Run("ErrPhoneRequiredEnglish", func(t *testing.T) {
			r := a.Call(t, "POST", "/api/v1/leads", `{"name":"x"}`, "Accept-Language", "en-US,en;q=0.9")
			if r.Status != 422 || string(r.Body) != `{"errors":{"phone":["The Phone field is required."]}}` {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
		t.Run("ErrFields", func(t *testing.T) {
			r := a.Call(t, "POST", "/api/v1/leads", a.Vars(`{"phone":"abc","userIdOwner":"{{otherUser}}","cost":1.5}`))
			webtest.WantAPIError(t, r, 422, "phone", "cost")
			r = a.Call(t, "POST", "/api/v1/leads", a.Vars(`{"phone":"79990000000","userIdOwner":{{otherUser}},"sourceId":{{otherSrc}}}`))
			webtest.WantAPIError(t, r, 422, "userIdOwner", "sourceId")
		})
		t.Run("ErrMalformed", func(t *testing.T) {
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/leads", `{"phone":`), 400, "body")
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/leads", `[1]`), 400, "body")
		})
		t.Run("ErrContentType", func(t *testing.T) {
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/leads", `{"phone":"79990000001"}`, "Content-Type", "application/xml"), 415, "Content-Type")
		})
		t.Run("ErrTooLarge", func(t *testing.T) {
			big := `{"phone":"79990000002","pad":"` + strings.Repeat("x", web.MaxAPIBody) + `"}`
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/leads", big), 413, "body")
		})
		t.Run("NotDelivered", func(t *testing.T) {
			if n := len(a.Deliveries(t, a.Src)); n != 0 {
				t.Errorf("API leads wrote %d delivery-log rows", n)
			}
		})
	})
}

// addLeads creates n leads through the API and returns their ids.
func addLeads(a *webtest.APIEnv, t *testing.T, n int, body func(i int) string) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		d := webtest.WantCreatedAPI(t, a.Call(t, "POST", "/api/v1/leads", body(i)))
		ids = append(ids, webtest.IntOf(t, "id", d["id"]))
	}
	return ids
}

func leadIDs(t testing.TB, v map[string]any) []int64 {
	t.Helper()
	var out []int64
	for _, l := range webtest.ListOf(t, v) {
		out = append(out, webtest.Num(t, l["id"]))
	}
	return out
}

func TestAPILeadList(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		ivan := addLeads(a, t, 1, func(int) string {
			return a.Vars(`{"name":"Иван Петров","phone":"8 (912) 345-67-89","sourceId":{{src}},"funnelStageId":{{stage}},"userIdOwner":{{manager}}}`)
		})[0]
		maria := addLeads(a, t, 1, func(int) string { return `{"name":"Maria","email":"Maria@Example.com"}` })[0]
		dup := addLeads(a, t, 1, func(int) string { return `{"phone":"+79123456789"}` })[0]
		cases := []struct {
			name, query string
			want        []int64
		}{
			{"All", "", []int64{dup, maria, ivan}},
			{"Source", a.Vars("sourceId={{src}}"), []int64{ivan}},
			{"Stage", a.Vars("funnelStageId={{stage}}"), []int64{ivan}},
			{"Owner", a.Vars("userIdOwner={{manager}}"), []int64{ivan}},
			{"Duplicates", "duplicates=true", []int64{dup}},
			{"PhoneOtherFormat", "q=" + urlq("+7 912 345-67-89"), []int64{dup, ivan}},
			{"PhoneLocalFormat", "q=" + urlq("8(912)3456789"), []int64{dup, ivan}},
			{"PhoneDigits", "q=" + urlq("345-67"), []int64{dup, ivan}},
			{"Email", "q=example.COM", []int64{maria}},
			{"Name", "q=" + urlq("петров"), []int64{ivan}},
			{"PeriodFuture", "from=" + fmt.Sprint(time.Now().Add(48*time.Hour).Unix()), nil},
			{"PeriodToday", "from=" + time.Now().UTC().Format("2006-01-02") + "&to=" + time.Now().UTC().Format("2006-01-02"), []int64{dup, maria, ivan}},
			{"PeriodPast", "to=2001-01-01", nil},
			{"OtherAccountSource", a.Vars("sourceId={{otherSrc}}"), nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := leadIDs(t, a.Get(t, "/api/v1/leads?"+c.query))
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Errorf("got %v, want %v", got, c.want)
				}
			})
		}
		t.Run("OtherAccountLeadsNeverListed", func(t *testing.T) {
			got := leadIDs(t, a.Get(t, "/api/v1/leads?q=79990001122"))
			if len(got) != 0 {
				t.Errorf("listed %v", got)
			}
		})
		for _, bad := range []struct{ query, key string }{
			{"limit=501", "limit"}, {"limit=0", "limit"}, {"limit=x", "limit"}, {"cursor=x", "cursor"},
			{"sourceId=abc", "sourceId"}, {"from=yesterday", "from"}, {"to=2024-13-01", "to"}, {"duplicates=maybe", "duplicates"},
		} {
			t.Run("Err_"+bad.query, func(t *testing.T) {
				webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/leads?"+bad.query, ""), 422, bad.key)
			})
		}
		t.Run("Limit500", func(t *testing.T) {
			v := a.Get(t, "/api/v1/leads?limit=500")
			if v["nextCursor"] != nil {
				t.Errorf("nextCursor %v on the only page", v["nextCursor"])
			}
		})
	})
}

func urlq(s string) string {
	return strings.NewReplacer("+", "%2B", " ", "%20", "(", "%28", ")", "%29").Replace(s)
}

// TestAPILeadCursor: paging by cursor sees every lead once, in order, while
// new leads keep arriving between pages.
func TestAPILeadCursor(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		ids := addLeads(a, t, 7, func(i int) string { return fmt.Sprintf(`{"phone":"7999100%04d"}`, i) })
		var seen []int64
		path := "/api/v1/leads?limit=3"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			v := a.Get(t, path)
			seen = append(seen, leadIDs(t, v)...)
			// A new lead arrives between pages: it must not shift the pages.
			addLeads(a, t, 1, func(int) string { return fmt.Sprintf(`{"phone":"7999200%04d"}`, pages) })
			next, _ := v["nextCursor"].(string)
			if next == "" {
				break
			}
			path = "/api/v1/leads?limit=3&cursor=" + next
		}
		var wantIDs []int64
		for i := len(ids) - 1; i >= 0; i-- {
			wantIDs = append(wantIDs, ids[i])
		}
		if fmt.Sprint(seen) != fmt.Sprint(wantIDs) {
			t.Errorf("pages saw %v, want %v", seen, wantIDs)
		}
	})
}

func TestAPILeadEdit(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		id := addLeads(a, t, 1, func(int) string { return `{"name":"Олег","phone":"79995550000"}` })[0]
		path := fmt.Sprintf("/api/v1/leads/%d", id)
		t.Run("Get", func(t *testing.T) {
			r := a.Call(t, "GET", path, "")
			if webtest.IntOf(t, "id", webtest.APILeadData(t, r.Body)["id"]) != id {
				t.Fatal(string(r.Body))
			}
		})
		t.Run("UpdateStage", func(t *testing.T) {
			r := a.Call(t, "PATCH", path, a.Vars(`{"funnelStageId":{{stage}},"email":"oleg@example.com"}`))
			d := webtest.APILeadData(t, r.Body)
			if webtest.IntOf(t, "funnelStageId", d["funnelStageId"]) != a.Stage.ID || webtest.StrOf(t, "email", d["email"]) != "oleg@example.com" {
				t.Errorf("%s", r.Body)
			}
			if webtest.IntOf(t, "userIdUpdate", d["userIdUpdate"]) != a.Admin.ID || webtest.IntOf(t, "dtUpdate", d["dtUpdate"]) == 0 {
				t.Errorf("userIdUpdate %s dtUpdate %s", d["userIdUpdate"], d["dtUpdate"])
			}
			if webtest.StrOf(t, "name", d["name"]) != "Олег" {
				t.Errorf("an absent field changed: %s", d["name"])
			}
		})
		t.Run("ClearField", func(t *testing.T) {
			d := webtest.APILeadData(t, a.Call(t, "PATCH", path, `{"name":null,"phone":"8 999 555-00-01"}`).Body)
			if string(d["name"]) != "null" || webtest.StrOf(t, "phone", d["phone"]) != "79995550001" {
				t.Errorf("name %s phone %s", d["name"], d["phone"])
			}
		})
		t.Run("ErrUnknownKey", func(t *testing.T) {
			webtest.WantAPIError(t, a.Call(t, "PATCH", path, `{"stage":1,"notAnswer":true}`), 422, "stage", "notAnswer")
		})
		t.Run("ErrFields", func(t *testing.T) {
			webtest.WantAPIError(t, a.Call(t, "PATCH", path, a.Vars(`{"userIdOwner":"abc","funnelStageId":{{otherStage}}}`)), 422, "userIdOwner")
			webtest.WantAPIError(t, a.Call(t, "PATCH", path, a.Vars(`{"funnelStageId":{{otherStage}}}`)), 422, "funnelStageId")
			webtest.WantAPIError(t, a.Call(t, "PATCH", path, `{"phone":null,"email":null}`), 422, "phone")
			webtest.WantAPIError(t, a.Call(t, "PATCH", path, `{"name":`), 400, "body")
		})
		t.Run("NoAnswer", func(t *testing.T) {
			d := webtest.APILeadData(t, want2(t, a.Call(t, "POST", path+"/no-answer", ""), 200))
			if string(d["notAnswer"]) != "true" || string(d["dtNotAnswer"]) == "null" {
				t.Errorf("notAnswer %s dtNotAnswer %s", d["notAnswer"], d["dtNotAnswer"])
			}
		})
		t.Run("Client", func(t *testing.T) {
			c := webtest.IDOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/clients", `{"name":"ООО Ромашка"}`), 201))
			d := webtest.APILeadData(t, want2(t, a.Call(t, "PUT", path+"/client", fmt.Sprintf(`{"clientId":%d}`, c)), 200))
			if webtest.IntOf(t, "clientId", d["clientId"]) != c {
				t.Errorf("clientId %s", d["clientId"])
			}
			webtest.WantAPIError(t, a.Call(t, "PUT", path+"/client", fmt.Sprintf(`{"clientId":%d}`, a.OtherClient.ID)), 422, "clientId")
			webtest.WantAPIError(t, a.Call(t, "PUT", path+"/client", `{}`), 422, "clientId")
			d = webtest.APILeadData(t, want2(t, a.Call(t, "PUT", path+"/client", `{"clientId":null}`), 200))
			if string(d["clientId"]) != "null" {
				t.Errorf("clientId %s after unlinking", d["clientId"])
			}
		})
		t.Run("Events", func(t *testing.T) {
			events := webtest.ListOf(t, a.Get(t, path+"/events"))
			var actions []string
			for _, e := range events {
				actions = append(actions, e["action"].(string))
			}
			if got := strings.Join(actions, " "); got != "create update update noAnswer client client" {
				t.Errorf("actions %q", got)
			}
		})
		t.Run("Delete", func(t *testing.T) {
			webtest.Want(t, a.Call(t, "DELETE", path, ""), 204)
			webtest.WantAPIError(t, a.Call(t, "GET", path, ""), 404, "lead")
			webtest.WantAPIError(t, a.Call(t, "DELETE", path, ""), 404, "lead")
		})
	})
}

// want2 checks the status and returns the raw body.
func want2(t testing.TB, r webtest.Response, status int) []byte {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r.Body
}

func TestAPIRateLimit(t *testing.T) {
	a := webtest.NewAPIEnv(t, "sqlite", func(c *web.Config) { c.APIRate, c.APIBurst = 1, 3 })
	for range 3 {
		webtest.Want(t, a.Call(t, "GET", "/api/v1/users", ""), 200)
	}
	r := a.Call(t, "GET", "/api/v1/users", "")
	webtest.WantAPIError(t, r, http.StatusTooManyRequests, "rate")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Another token has its own bucket.
	webtest.Want(t, a.Call(t, "GET", "/api/v1/users", "", "Authorization", "Bearer "+a.OtherToken), 200)
}

// TestAPIEnglish: with Accept-Language: en every error message is English,
// field labels included; without it, Russian.
func TestAPIEnglish(t *testing.T) {
	a := webtest.NewAPIEnv(t, "sqlite")
	en := []string{"Accept-Language", "en"}
	cases := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		status       int
		contains     string
	}{
		{"Unauthorized", "GET", "/api/v1/leads", "", []string{"Authorization", "Bearer bad"}, 401, "invalid or revoked"},
		{"NotFound", "GET", "/api/v1/leads/99999", "", nil, 404, "Not found."},
		{"Malformed", "POST", "/api/v1/leads", "{", nil, 400, "Malformed JSON"},
		{"FieldType", "POST", "/api/v1/leads", `{"phone":"79990000000","userIdOwner":"x"}`, nil, 422, "The Owner ID field must be an integer."},
		{"UnknownRef", "POST", "/api/v1/leads", a.Vars(`{"phone":"79990000000","locationCityId":{{otherCity}}}`), nil, 422, "The selected City ID is invalid."},
		{"NameRequired", "POST", "/api/v1/offices", `{}`, nil, 422, "The Name field is required."},
		{"Query", "GET", "/api/v1/leads?limit=1000", "", nil, 422, "between 1 and 500"},
		{"Method", "PUT", "/api/v1/leads", "{}", nil, 405, "Method PUT is not allowed"},
		{"TooLarge", "POST", "/api/v1/leads", `{"x":"` + strings.Repeat("y", web.MaxAPIBody) + `"}`, nil, 413, "larger than 1024 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.Call(t, c.method, c.path, c.body, append(c.headers, en...)...)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.contains) || webtest.Cyrillic.Match(r.Body) {
				t.Errorf("%d %s, want %d with %q in English", r.Status, r.Body, c.status, c.contains)
			}
			r = a.Call(t, c.method, c.path, c.body, c.headers...)
			if !webtest.Cyrillic.Match(r.Body) {
				t.Errorf("without Accept-Language: %s, want Russian", r.Body)
			}
		})
	}
}
