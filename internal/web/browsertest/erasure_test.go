package browsertest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// TestBrowserErasure: an admin erases a person's data in Chromium, on both
// engines — the form, the preview, the confirmation, the act — and each
// page passes axe when LEADBOX_AXE names axe-core.
func TestBrowserErasure(t *testing.T) {
	exe := chromium(t)
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine)
		p := newPage(t, f, exe, engine)
		p.login("admin@example.com")
		axe := ""
		if path := os.Getenv("LEADBOX_AXE"); path != "" {
			if b, err := os.ReadFile(path); err == nil {
				axe = string(b)
			}
		}
		a11y := func(page string) {
			t.Helper()
			if axe != "" {
				checkA11y(t, p.ctx, axe, page)
			}
		}
		p.do("open the page", chromedp.Navigate(p.base+"/settings/erasure"), chromedp.WaitVisible(`#erasure-form`))
		a11y("/settings/erasure")
		p.do("preview", chromedp.SendKeys(`#erasure-form input[name=phone]`, "8 (999) 100-00-00"),
			chromedp.SendKeys(`#erasure-form textarea[name=reason]`, "Заявление субъекта"),
			afterLoad(chromedp.Submit(`#erasure-form textarea[name=reason]`)), chromedp.WaitVisible(`#erasure-preview`))
		a11y("/settings/erasure (preview)")
		if got := p.text(`#erasure-preview tbody tr:first-child`); !strings.Contains(got, "2") {
			t.Errorf("preview's first row %q: want the two leads of the number", got)
		}
		phone := "79991000000"
		if d, err := f.s.FindDuplicates(context.Background(), f.acct.ID, &phone, nil, 0); err != nil || d.Count != 2 {
			t.Fatalf("before the confirmation: %+v, %v", d, err)
		}
		p.do("confirm", afterLoad(chromedp.Click(`#erasure-confirm button.danger`)), chromedp.WaitVisible(`#erasure-act`))
		p.shot("erasure-act")
		a11y("/settings/erasure/{id}")
		if got := p.text(`#erasure-act h1`); !strings.Contains(got, "Акт об уничтожении") {
			t.Errorf("act heading %q", got)
		}
		if d, err := f.s.FindDuplicates(context.Background(), f.acct.ID, &phone, nil, 0); err != nil || d.Count != 0 {
			t.Errorf("after the confirmation: %+v, %v", d, err)
		}
		list, err := f.s.ListErasures(context.Background(), f.acct.ID, 0, 5)
		if err != nil || len(list) != 1 || list[0].Counts.Leads != 2 || list[0].Actor != "Ирина Админова <admin@example.com>" {
			t.Errorf("erasures: %+v, %v", list, err)
		}
		p.do("the list", chromedp.Navigate(p.base+"/settings/erasure"), chromedp.WaitVisible(`#erasures`))
		if got := p.text(`#erasures tbody`); !strings.Contains(got, "Заявление субъекта") {
			t.Errorf("erasures listed: %q", got)
		}
		if names := f.leads(t, store.LeadFilter{}); containsName(names, "Анна Смирнова") {
			t.Errorf("a lead still has the name")
		}
	})
}

func containsName(ls []lead.Lead, name string) bool {
	for _, l := range ls {
		if l.Name != nil && *l.Name == name {
			return true
		}
	}
	return false
}
