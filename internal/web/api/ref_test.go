package api_test

import (
	"fmt"
	"strings"
	"testing"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

func TestAPISources(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		var id int64
		var url string
		t.Run("Create", func(t *testing.T) {
			d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/sources", a.Vars(`{"name":"Лендинг","funnelStageId":{{stage}}}`)), 201))
			id, url = webtest.Num(t, d["id"]), d["url"].(string)
			if !strings.HasPrefix(url, "/hooks/wh_") && !strings.Contains(url, "/hooks/wh_") {
				t.Errorf("url %q", url)
			}
			if webtest.Num(t, d["funnelStageId"]) != a.Stage.ID || d["type"] != "webhook" || d["enabled"] != true {
				t.Errorf("source %v", d)
			}
			d = webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/sources", `{"name":"Телефон","type":"phone","enabled":false}`), 201))
			if d["url"] != nil || d["enabled"] != false {
				t.Errorf("phone source %v", d)
			}
		})
		path := func(s string) string { return fmt.Sprintf("/api/v1/sources/%d%s", id, s) }
		t.Run("ErrCreate", func(t *testing.T) {
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/sources", `{"type":"fax"}`), 422, "name")
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/sources", `{"name":"x","type":"fax"}`), 422, "type")
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/sources", `{"name":"x","colour":"red"}`), 422, "colour")
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/sources", `{"name":"x","userIdOwner":"one"}`), 422, "userIdOwner")
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/sources", `"x"`), 400, "body")
		})
		t.Run("WebhookWorks", func(t *testing.T) {
			r := a.Do(t, "POST", a.Srv.URL+url[strings.Index(url, "/hooks/"):], []byte(`{"phone":"79990004455"}`))
			if r.Status != 201 {
				t.Fatalf("webhook: %d %s", r.Status, r.Body)
			}
			d := webtest.DataOf(t, a.Get(t, path("")))
			if webtest.Num(t, d["leadCount"]) != 1 || d["dtLastLead"] == nil {
				t.Errorf("leadCount %v dtLastLead %v", d["leadCount"], d["dtLastLead"])
			}
			ds := webtest.ListOf(t, a.Get(t, path("/deliveries?limit=1")))
			if len(ds) != 1 || webtest.Num(t, ds[0]["status"]) != 201 || ds[0]["body"] != `{"phone":"79990004455"}` {
				t.Errorf("deliveries %v", ds)
			}
		})
		t.Run("Update", func(t *testing.T) {
			d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "PATCH", path(""), `{"name":"Лендинг 2","funnelStageId":null}`), 200))
			if d["name"] != "Лендинг 2" || d["funnelStageId"] != nil {
				t.Errorf("%v", d)
			}
			webtest.WantAPIError(t, a.Call(t, "PATCH", path(""), `{"type":"phone"}`), 422, "type")
			webtest.WantAPIError(t, a.Call(t, "PATCH", path(""), a.Vars(`{"locationCityId":{{otherCity}}}`)), 422, "locationCityId")
		})
		t.Run("RotateDisableEnable", func(t *testing.T) {
			d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", path("/rotate"), ""), 200))
			if d["url"] == url {
				t.Error("rotate kept the URL")
			}
			if d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", path("/disable"), ""), 200)); d["enabled"] != false {
				t.Error("still enabled")
			}
			if d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", path("/enable"), ""), 200)); d["enabled"] != true {
				t.Error("still disabled")
			}
			webtest.WantAPIError(t, a.Call(t, "POST", fmt.Sprintf("/api/v1/sources/%d/rotate", a.Manual.ID), ""), 422, "type")
		})
		t.Run("Deliveries", func(t *testing.T) {
			for i := range 3 {
				a.Post(t, a.Src, fmt.Sprintf(`{"phone":"7999000%04d"}`, i))
			}
			p := fmt.Sprintf("/api/v1/sources/%d/deliveries?limit=2", a.Src.ID)
			v := a.Get(t, p)
			next, _ := v["nextCursor"].(string)
			if len(webtest.ListOf(t, v)) != 2 || next == "" {
				t.Fatalf("first page %v", v)
			}
			v = a.Get(t, p+"&cursor="+next)
			if len(webtest.ListOf(t, v)) != 1 || v["nextCursor"] != nil {
				t.Errorf("second page %v", v)
			}
		})
		t.Run("List", func(t *testing.T) {
			if n := len(webtest.ListOf(t, a.Get(t, "/api/v1/sources"))); n != 5 {
				t.Errorf("%d sources, want 5", n)
			}
		})
		t.Run("Delete", func(t *testing.T) {
			webtest.WantAPIError(t, a.Call(t, "DELETE", path(""), ""), 409, "id")
			fresh := webtest.IDOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/sources", `{"name":"tmp"}`), 201))
			webtest.Want(t, a.Call(t, "DELETE", fmt.Sprintf("/api/v1/sources/%d", fresh), ""), 204)
			webtest.WantAPIError(t, a.Call(t, "GET", fmt.Sprintf("/api/v1/sources/%d", fresh), ""), 404, "source")
		})
	})
}

func TestAPIUsers(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/users", `{"name":"Анна","email":"anna@example.com","password":"secret-123","role":"admin"}`), 201))
		if d["role"] != "admin" || d["active"] != true || d["password"] != nil || d["passwordHash"] != nil {
			t.Errorf("user %v", d)
		}
		path := fmt.Sprintf("/api/v1/users/%d", webtest.Num(t, d["id"]))
		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/users", `{"email":"anna@example.com","password":"secret-123"}`), 422, "email")
		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/users", `{"email":"bob@example.com"}`), 422, "password")
		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/users", `{"email":"bob@example.com","password":"short"}`), 422, "password")
		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/users", `{"email":"bob@example.com","password":"secret-123","role":"boss"}`), 422, "role")
		d = webtest.DataOf(t, webtest.Want(t, a.Call(t, "PATCH", path, `{"active":false,"role":"manager","name":"Анна К."}`), 200))
		if d["active"] != false || d["role"] != "manager" || d["name"] != "Анна К." {
			t.Errorf("user %v", d)
		}
		webtest.WantAPIError(t, a.Call(t, "PATCH", path, `{"active":"no"}`), 422, "active")
		if n := len(webtest.ListOf(t, a.Get(t, "/api/v1/users"))); n != 3 {
			t.Errorf("%d users, want 3", n)
		}
		if webtest.DataOf(t, a.Get(t, path))["email"] != "anna@example.com" {
			t.Error("get user")
		}
		r := a.Call(t, "DELETE", path, "")
		webtest.WantAPIError(t, r, 405, "method")
	})
}

// TestAPIReferences covers offices, cities, funnel stages and clients.
func TestAPIReferences(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		for _, coll := range []string{"offices", "cities", "funnel-stages", "clients"} {
			t.Run(coll, func(t *testing.T) {
				base := "/api/v1/" + coll
				id := webtest.IDOf(t, webtest.Want(t, a.Call(t, "POST", base, `{"name":"  Первый  "}`), 201))
				path := fmt.Sprintf("%s/%d", base, id)
				if d := webtest.DataOf(t, a.Get(t, path)); d["name"] != "Первый" {
					t.Errorf("name %q", d["name"])
				}
				if d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "PATCH", path, `{"name":"Второй"}`), 200)); d["name"] != "Второй" {
					t.Errorf("renamed to %q", d["name"])
				}
				webtest.WantAPIError(t, a.Call(t, "POST", base, `{"name":""}`), 422, "name")
				webtest.WantAPIError(t, a.Call(t, "POST", base, `{"name":"`+strings.Repeat("я", 256)+`"}`), 422, "name")
				webtest.WantAPIError(t, a.Call(t, "PATCH", path, `{"name":5}`), 422, "name")
				webtest.WantAPIError(t, a.Call(t, "PATCH", path, `{"name":"Третий","title":"x"}`), 422, "title")
				found := false
				for _, it := range webtest.ListOf(t, a.Get(t, base)) {
					found = found || webtest.Num(t, it["id"]) == id
				}
				if !found {
					t.Errorf("%d not listed", id)
				}
				webtest.Want(t, a.Call(t, "DELETE", path, ""), 204)
				webtest.Want(t, a.Call(t, "GET", path, ""), 404)
			})
		}
		t.Run("InUse", func(t *testing.T) {
			addLeads(a, t, 1, func(int) string {
				return a.Vars(`{"phone":"79990005566","locationUnitId":{{office}},"locationCityId":{{city}},"funnelStageId":{{stage}}}`)
			})
			for _, p := range []string{fmt.Sprintf("/api/v1/offices/%d", a.Office.ID), fmt.Sprintf("/api/v1/cities/%d", a.City.ID),
				fmt.Sprintf("/api/v1/funnel-stages/%d", a.Stage.ID)} {
				webtest.WantAPIError(t, a.Call(t, "DELETE", p, ""), 409, "id")
			}
		})
		t.Run("StageMove", func(t *testing.T) {
			second := webtest.IDOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/funnel-stages", `{"name":"Звонок","color":"#ff0000"}`), 201))
			d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "PATCH", fmt.Sprintf("/api/v1/funnel-stages/%d", second), `{"position":1}`), 200))
			if webtest.Num(t, d["position"]) != 1 || d["color"] != "#ff0000" {
				t.Errorf("moved stage %v", d)
			}
			stages := webtest.ListOf(t, a.Get(t, "/api/v1/funnel-stages"))
			if webtest.Num(t, stages[0]["id"]) != second {
				t.Errorf("order %v", stages)
			}
			webtest.WantAPIError(t, a.Call(t, "PATCH", fmt.Sprintf("/api/v1/funnel-stages/%d", second), `{"position":0}`), 422, "position")
		})
		t.Run("ClientContacts", func(t *testing.T) {
			d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/clients", `{"name":"ИП Сидоров","phone":"8 (912) 000-11-22","email":"s@example.com"}`), 201))
			if d["phone"] != "79120001122" || d["email"] != "s@example.com" {
				t.Errorf("client %v", d)
			}
			webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/clients", `{"name":"x","phone":"abc","email":"nope"}`), 422, "phone", "email")
			path := fmt.Sprintf("/api/v1/clients/%d", webtest.Num(t, d["id"]))
			if d := webtest.DataOf(t, webtest.Want(t, a.Call(t, "PATCH", path, `{"phone":null}`), 200)); d["phone"] != nil || d["email"] != "s@example.com" {
				t.Errorf("client %v", d)
			}
			if n := len(webtest.ListOf(t, a.Get(t, "/api/v1/clients?q=S@EXAMPLE"))); n != 1 {
				t.Errorf("search found %d", n)
			}
		})
	})
}
