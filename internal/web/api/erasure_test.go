package api_test

import (
	"fmt"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestAPIErasure: a person's leads come in through the real webhook, are
// worked over the API, and are erased with POST /api/v1/erasures; after
// it, the database holds none of the forms the person's data was sent in,
// a retry with the same Idempotency-Key gets the erased lead, and the
// record is listed, read, and hidden from another account.
func TestAPIErasure(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		body := `{"phone": "+7 (916) 765-43-21", "email": "Anna.Erased@Example.com", "name": "Анна Стираемая", "comment": "удобно после 18"}`
		first := webtest.WantCreated(t, a.Post(t, a.Src, body, "Idempotency-Key", "order-77"))
		id := webtest.IntOf(t, "id", first["id"])
		webtest.WantCreated(t, a.Post(t, a.Src, "phone=8+916+765+43+21&name=%D0%90%D0%BD%D0%BD%D0%B0",
			"Content-Type", "application/x-www-form-urlencoded"))
		keep := webtest.WantCreated(t, a.Post(t, a.Src, `{"phone": "79035557788", "name": "Остаётся"}`))
		lead1 := fmt.Sprintf("/api/v1/leads/%d", id)
		webtest.Want(t, a.Call(t, "POST", lead1+"/notes", `{"text": "Анна Стираемая просила перезвонить"}`), 201)
		webtest.Want(t, a.Call(t, "POST", lead1+"/tasks", `{"text": "позвонить Анне Стираемой", "dtDue": 4102444800}`), 201)
		webtest.Want(t, a.Call(t, "PATCH", lead1, `{"name": "Анна Стираемая-Иванова"}`), 200)

		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/erasures", `{"phone": "+7 916 765-43-21"}`), 422, "reason")
		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/erasures", `{"reason": "запрос"}`), 422, "phone")
		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/erasures", `{"phone": "12", "reason": "запрос"}`), 422, "phone")
		webtest.WantAPIError(t, a.Call(t, "POST", "/api/v1/erasures", `{"phone": "79167654321", "reason": "x", "mode": 1}`), 422, "mode")

		req := `{"phone": "8 916 765 43 21", "email": "anna.erased@example.com", "reason": "Заявление субъекта от 01.12.2026"`
		dry := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/erasures", req+`, "dryRun": true}`), 200))
		counts := dry["counts"].(map[string]any)
		if webtest.Num(t, counts["leads"]) != 2 || webtest.Num(t, counts["deliveries"]) != 2 || webtest.Num(t, counts["notes"]) != 1 ||
			dry["dryRun"] != true || webtest.Num(t, dry["id"]) != 0 {
			t.Fatalf("dry run: %v", dry)
		}
		if l := webtest.DataOf(t, a.Get(t, lead1)); l["phone"] != "79167654321" {
			t.Fatalf("the dry run changed the lead: %v", l)
		}

		e := webtest.DataOf(t, webtest.Want(t, a.Call(t, "POST", "/api/v1/erasures", req+`}`), 201))
		if e["dtPurged"] == nil || webtest.Num(t, e["counts"].(map[string]any)["leads"]) != 2 || !strings.HasPrefix(e["actor"].(string), "API") {
			t.Fatalf("erasure: %v", e)
		}
		for _, needle := range []string{"79167654321", "9167654321", "765-43-21", "8+916+765+43+21", "Anna.Erased@Example.com",
			"anna.erased@example.com", "Стираем", "удобно после 18"} {
			if where := storetest.Holding(t, engine, a.DSN, needle); len(where) > 0 {
				t.Errorf("%q is still in %v", needle, where)
			}
		}
		if where := storetest.Holding(t, engine, a.DSN, "79035557788"); len(where) == 0 {
			t.Errorf("the other person's phone is gone too: the check sees nothing")
		}
		l := webtest.DataOf(t, a.Get(t, lead1))
		if l["name"] != lead.ErasedText || l["phone"] != nil || l["email"] != nil {
			t.Errorf("erased lead over the API: %v", l)
		}
		if k := webtest.DataOf(t, a.Get(t, fmt.Sprintf("/api/v1/leads/%d", webtest.IntOf(t, "id", keep["id"])))); k["phone"] != "79035557788" {
			t.Errorf("another person's lead: %v", k)
		}
		// The sender's retry with the same key gets the erased lead back.
		again := a.Post(t, a.Src, body, "Idempotency-Key", "order-77")
		if again.Status != 201 || strings.Contains(string(again.Body), "7654321") || !strings.Contains(string(again.Body), lead.ErasedText) {
			t.Errorf("retry: %d %s", again.Status, again.Body)
		}

		path := fmt.Sprintf("/api/v1/erasures/%d", webtest.Num(t, e["id"]))
		if got := webtest.DataOf(t, a.Get(t, path)); got["reason"] != "Заявление субъекта от 01.12.2026" {
			t.Errorf("GET erasure: %v", got)
		}
		if list := webtest.ListOf(t, a.Get(t, "/api/v1/erasures")); len(list) != 1 || list[0]["id"] != e["id"] {
			t.Errorf("list: %v", list)
		}
		webtest.WantAPIError(t, a.Call(t, "GET", path, "", "Authorization", "Bearer "+a.OtherToken), 404, "erasure")
		if list := webtest.ListOf(t, webtest.Want(t, a.Call(t, "GET", "/api/v1/erasures", "", "Authorization", "Bearer "+a.OtherToken), 200)); len(list) != 0 {
			t.Errorf("another account lists %v", list)
		}
	})
}
