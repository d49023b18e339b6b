package ui_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

var totalRe = regexp.MustCompile(`<strong id="total"([^>]*)>([^<]*)</strong>`)

// TestInboxTotal: the inbox's total is exact on the page — a first page
// that is not full is the whole answer; a fuller one is summed (a source,
// duplicates) or counted (a search) — and the same on the next page.
func TestInboxTotal(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		ctx := context.Background()
		for i := range 65 {
			name, phone := fmt.Sprintf("Клиент %d", i), fmt.Sprintf("7999300%04d", i%60)
			in := lead.Input{Name: &name, Phone: &phone}
			if i%5 == 0 {
				in.SourceID = &e.Src.ID
			}
			webtest.Must[lead.Lead](t)(e.Store.AddLead(ctx, store.NewLead{AccountID: e.Acct.ID, Input: in}))
		}
		b := webtest.Login(t, e, "manager@example.com")
		for _, c := range []struct{ path, want string }{
			{"/", "65"},
			{"/?before=30", "65"},
			{fmt.Sprintf("/?source=%d", e.Src.ID), "13"},
			{"/?dup=1", "5"},
			{"/?q=" + "%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82%205", "11"}, // «клиент 5»: 5 and 50–59, a page not full
			{"/?q=" + "%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82", "65"},     // «клиент»: a full page, counted
		} {
			r := b.Get(c.path)
			webtest.WantStatus(t, r, 200, c.path)
			m := totalRe.FindSubmatch(r.Body)
			if m == nil || string(m[2]) != c.want || len(m[1]) != 0 {
				t.Errorf("%s: total %q, want exactly %s", c.path, m, c.want)
			}
		}
	})
}
