package ui_test

import (
	"strings"
	"testing"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestUILeadExtra shows a form's comment on the card as text, above the
// forms, in the sender's order, with its line breaks.
func TestUILeadExtra(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		d := webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990001122", "comment": "Кухня & шкаф,\nбюджет < 100 тыс.", "quiz": "3 м"}`))
		b := webtest.Login(t, e, "manager@example.com")
		body := string(b.Get("/leads/" + string(d["id"])).Body)
		extra := strings.Index(body, `id="extra"`)
		if extra < 0 || extra > strings.Index(body, `id="edit"`) {
			t.Fatalf("no extra fields above the edit form:\n%s", body)
		}
		webtest.WantBody(t, b.Get("/leads/"+string(d["id"])), "<dt>comment</dt>", "Кухня &amp; шкаф,\nбюджет &lt; 100 тыс.", "<dt>quiz</dt>")
		if strings.Index(body, "<dt>comment</dt>") > strings.Index(body, "<dt>quiz</dt>") {
			t.Error("the extra fields are not in the sender's order")
		}
		if strings.Contains(body, `\u0026`) {
			t.Error("the card shows JSON escapes")
		}
	})
}
