package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
)

// TestBrowserForms: a company's own site, on another origin, carries the
// HTML form the source page offers, exactly as the page shows it; Chromium
// fills and submits it, lands on the source's thank-you page and the lead
// is in the database. A script on an allowed origin posts with fetch() and
// reads the 201; from an origin not in the list no lead is made and the
// request is kept, marked, for an admin to re-process.
func TestBrowserForms(t *testing.T) {
	exe := chromium(t)
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine)
		forms(t, f, exe, engine)
	})
}

// site is a company's website on its own origin: the form page, a
// thank-you page and a page whose script posts with fetch().
type site struct {
	*httptest.Server
	mu   sync.Mutex
	form string // the snippet, as the source page shows it
}

func newSite(t *testing.T) *site {
	s := &site{}
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, title, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body>\n" + body + "\n</body></html>"))
	}
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		page(w, "Заявка", "<h1>Оставьте заявку</h1>\n"+s.form)
	})
	mux.HandleFunc("GET /thanks", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Спасибо", `<h1 id="thanks">Спасибо, мы перезвоним</h1>`)
	})
	mux.HandleFunc("GET /fetch", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Заявка из скрипта", `<p id="ready">ready</p><script>
window.send = function (hook, kind, name, phone) {
  var opts = {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({name: name, phone: phone})};
  if (kind === "form") {
    opts = {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: "name=" + encodeURIComponent(name) + "&phone=" + encodeURIComponent(phone)};
  }
  return fetch(hook, opts)
    .then(function (r) { return r.json().then(function (j) { return {status: r.status, id: j.data ? j.data.id : 0}; }); })
    .catch(function (e) { return {status: 0, error: String(e)}; });
};
</script>`)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func forms(t *testing.T, f *fixture, exe, engine string) {
	ctx := context.Background()
	own, rogue := newSite(t), newSite(t)
	if own.URL == f.b.URL || rogue.URL == own.URL {
		t.Fatal("the sites must be other origins")
	}
	bctx := browser(t, exe, 90*time.Second)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	read := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	// newest is the source's latest delivery, read from the database.
	newest := func() lead.Delivery {
		t.Helper()
		ds, err := f.s.ListDeliveries(ctx, f.acct.ID, f.src.ID, 0, 1)
		if err != nil || len(ds) == 0 {
			t.Fatalf("delivery log: %v", err)
		}
		return ds[0]
	}
	wantLead := func(d lead.Delivery, name, phone string) {
		t.Helper()
		if d.LeadID == nil {
			t.Fatalf("request %d (%d %s) made no lead: %s", d.ID, d.Status, d.ContentType, d.Errors)
		}
		l, err := f.s.GetLead(ctx, f.acct.ID, *d.LeadID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Name == nil || *l.Name != name || l.Phone == nil || *l.Phone != phone {
			t.Fatalf("lead %d: name %v phone %v, want %s %s", l.ID, str(l.Name), str(l.Phone), name, phone)
		}
	}
	page := f.b.URL + "/sources/" + itoa(f.src.ID)

	// The admin sets the thank-you page and a honeypot on the source page.
	step("log in", chromedp.Navigate(f.b.URL+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "admin@example.com"), chromedp.SendKeys(`input[name=password]`, adminPassword),
		afterLoad(chromedp.Submit(`input[name=password]`)), chromedp.WaitVisible(`#leads`))
	step("reading settings", chromedp.Navigate(page), chromedp.WaitVisible(`#reading-form`),
		chromedp.SetValue(`#reading-form select[name=preset]`, "form"),
		chromedp.SetValue(`#reading-form input[name=redirectUrl]`, own.URL+"/thanks"),
		chromedp.SetValue(`#reading-form input[name=honeypot]`, "website"),
		afterLoad(chromedp.Submit(`#reading-form input[name=honeypot]`)), chromedp.WaitVisible(`#snippet`))
	if flash := read("flash", chromedp.Text(`.flash`)); flash != "Настройки приёма заявок сохранены." {
		t.Fatalf("after saving: %q", flash)
	}
	own.mu.Lock()
	own.form = read("snippet", chromedp.Text(`#snippet`))
	own.mu.Unlock()
	hook := f.b.URL + "/hooks/" + f.src.Token
	if !strings.Contains(own.form, `action="`+hook+`"`) || !strings.Contains(own.form, `name="website"`) {
		t.Fatalf("the snippet does not post to %s with the honeypot:\n%s", hook, own.form)
	}

	// A visitor of the company's site fills the form in.
	step("the site's form", chromedp.Navigate(own.URL+"/form"), chromedp.WaitVisible(`input[name=phone]`),
		chromedp.SendKeys(`input[name=name]`, "Ольга Формова"), chromedp.SendKeys(`input[name=phone]`, "+7 (999) 555-44-33"),
		chromedp.SendKeys(`textarea[name=comment]`, "Перезвоните после шести"),
		afterLoad(chromedp.Submit(`input[name=phone]`)), chromedp.WaitVisible(`#thanks`))
	if at := read("location", chromedp.Location()); at != own.URL+"/thanks" {
		t.Fatalf("after the form the browser is at %s, want the thank-you page %s/thanks", at, own.URL)
	}
	d := newest()
	formPost := d.ID
	if !strings.HasPrefix(d.ContentType, "application/x-www-form-urlencoded") {
		t.Fatalf("the browser posted %q", d.ContentType)
	}
	wantLead(d, "Ольга Формова", "79995554433")

	// Scripts: the site's origin is allowed, the rogue one is not.
	step("allow the site's origin", chromedp.Navigate(page), chromedp.WaitVisible(`#reading-form`),
		chromedp.SetValue(`#reading-form textarea[name=corsOrigins]`, own.URL),
		afterLoad(chromedp.Submit(`#reading-form input[name=honeypot]`)), chromedp.WaitVisible(`#reading-form`))
	type answer struct {
		Status int    `json:"status"`
		ID     int64  `json:"id"`
		Error  string `json:"error"`
	}
	send := func(from *site, kind, name, phone string) answer {
		t.Helper()
		step("page on "+from.URL, chromedp.Navigate(from.URL+"/fetch"), chromedp.WaitVisible(`#ready`))
		a, err := chromedp.Run(bctx, chromedp.Evaluate[answer](`send("`+hook+`", "`+kind+`", "`+name+`", "`+phone+`")`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch from %s: %v", from.URL, err)
		}
		return a
	}
	a := send(own, "json", "Скрипт Разрешённый", "+7 999 222-11-00")
	if a.Status != http.StatusCreated || a.ID == 0 {
		t.Fatalf("fetch from the allowed origin: %+v, want 201 with the lead", a)
	}
	d = newest()
	if d.LeadID == nil || *d.LeadID != a.ID {
		t.Fatalf("the script read lead %d, the log has %v", a.ID, d.LeadID)
	}
	wantLead(d, "Скрипт Разрешённый", "79992221100")

	before, err := f.s.CountLeads(ctx, f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	a = send(rogue, "form", "Скрипт Чужой", "+7 999 333-22-11")
	if a.Status != 0 {
		t.Fatalf("a script on an origin not in the list read the answer: %+v", a)
	}
	d = newest()
	if d.Status != http.StatusForbidden || d.Mark != lead.MarkOrigin || d.LeadID != nil || !d.Quarantined() {
		t.Fatalf("the rogue origin's request: %d mark %q lead %v quarantined %v", d.Status, d.Mark, d.LeadID, d.Quarantined())
	}
	if after, _ := f.s.CountLeads(ctx, f.acct.ID); after != before {
		t.Fatalf("a request from an origin not in the list made a lead (%d → %d)", before, after)
	}

	// The log shows it, marked, with a button to make the lead anyway.
	step("delivery log", chromedp.Navigate(page), chromedp.WaitVisible(`#delivery-`+itoa(d.ID)+` button.reprocess`))
	if badge := read("badge", chromedp.Text(`#delivery-`+itoa(d.ID)+` .badge.mark-origin`)); badge != "чужой сайт" {
		t.Fatalf("the origin badge says %q", badge)
	}
	if engine == "sqlite" {
		// Open the form post's row: the raw body beside the fields as mapped.
		step("open a row", chromedp.Evaluate[chromedp.Void](`document.querySelector("#delivery-`+itoa(formPost)+` details").open = true`))
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(f.shotsDir, "source-forms.png"), buf, 0o644)
	}
	step("re-process all", afterLoad(chromedp.Click(`#reprocess-all`)), chromedp.WaitVisible(`.flash`))
	if flash := read("flash", chromedp.Text(`.flash`)); flash != "Создано лидов: 1, осталось с ошибками: 0." {
		t.Fatalf("after re-processing: %q", flash)
	}
	d, err = f.s.GetDelivery(ctx, f.acct.ID, f.src.ID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantLead(d, "Скрипт Чужой", "79993332211")
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
