package browsertest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// TestBrowserInbox: a sales team's inbox in Chromium, on both engines —
// the total, a saved filter, a bulk stage change and a bulk delete, the
// kanban (a card dragged to another column, one moved by its form with the
// keyboard's controls, one moved with JavaScript off), an export opened as
// it was downloaded, and an import with its dry run.
func TestBrowserInbox(t *testing.T) {
	exe := chromium(t)
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine)
		b := newPage(t, f, exe, engine)
		b.login("admin@example.com")
		inboxFlows(t, f, b)
		kanbanFlows(t, f, b)
		exportFlows(t, f, b)
		importFlows(t, f, b)
	})
}

// page is one browser tab signed in to server b, with the steps the tests
// take.
type page struct {
	t      *testing.T
	f      *fixture
	ctx    context.Context
	base   string
	engine string
}

func newPage(t *testing.T, f *fixture, exe, engine string) *page {
	return &page{t: t, f: f, ctx: browser(t, exe, 150*time.Second), base: f.b.URL, engine: engine}
}

func (p *page) do(name string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", name, err)
	}
}

func (p *page) text(sel string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Text(sel))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

func (p *page) eval(js string) bool {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// until waits for a script's condition.
func (p *page) until(what, js string) {
	p.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if v, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](js)); err == nil && v {
			return
		}
	}
	p.t.Fatalf("%s: %s is still false after 15 s", what, js)
}

func (p *page) shot(name string) {
	p.t.Helper()
	if p.engine != "sqlite" {
		return
	}
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	os.WriteFile(filepath.Join(p.f.shotsDir, name+".png"), buf, 0o644)
}

// total is the inbox's total once the page's script has it.
func (p *page) total() string {
	p.t.Helper()
	p.until("the total counted", `(el => !el.dataset.count || el.dataset.done === "1")(document.getElementById("total"))`)
	return p.text(`#total`)
}

func (p *page) login(email string) {
	p.do("log in as "+email, chromedp.Navigate(p.base+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, email), chromedp.SendKeys(`input[name=password]`, adminPassword),
		afterLoad(chromedp.Submit(`input[name=password]`)), chromedp.WaitVisible(`#leads`))
}

// leads returns the account's leads, newest first.
func (f *fixture) leads(t *testing.T, lf store.LeadFilter) []lead.Lead {
	t.Helper()
	lf.Limit = store.MaxPage
	ls, err := f.s.ListLeads(context.Background(), f.acct.ID, lf)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// wantStage checks a lead's stage, and that the change is the last entry of
// its history, made by the admin.
func (f *fixture) wantStage(t *testing.T, id int64, stage *int64) {
	t.Helper()
	ctx := context.Background()
	l, err := f.s.GetLead(ctx, f.acct.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if show(l.FunnelStageID) != show(stage) {
		t.Fatalf("lead %d is at stage %s, want %s", id, show(l.FunnelStageID), show(stage))
	}
	events, err := f.s.LeadEvents(ctx, f.acct.ID, id)
	if err != nil || len(events) == 0 {
		t.Fatalf("lead %d history: %v %v", id, events, err)
	}
	last := events[len(events)-1]
	if _, ok := last.Changes["funnelStageId"]; last.Action != "update" || !ok || last.UserID == nil || *last.UserID != f.admin.ID {
		t.Fatalf("lead %d: the last history entry is %+v, want the admin's stage change", id, last)
	}
}

func show(p *int64) string {
	if p == nil {
		return "none"
	}
	return itoa(*p)
}

func inboxFlows(t *testing.T, f *fixture, p *page) {
	all := f.leads(t, store.LeadFilter{})
	if got := p.total(); got != itoa(int64(len(all))) {
		t.Fatalf("the inbox's total says %q, want %d", got, len(all))
	}

	// A saved filter: shown near the filters, and it opens what it saved.
	p.do("filter by source", chromedp.Navigate(p.base+"/?source="+itoa(f.src.ID)), chromedp.WaitVisible(`#save-filter`),
		chromedp.SendKeys(`#save-filter input[name=name]`, "Сайт"), afterLoad(chromedp.Submit(`#save-filter input[name=name]`)),
		chromedp.WaitVisible(`#saved .chip`))
	fromSite := len(f.leads(t, store.LeadFilter{SourceID: &f.src.ID}))
	p.do("open saved filter", chromedp.Navigate(p.base+"/"), chromedp.WaitVisible(`#saved .chip a`), afterLoad(chromedp.Click(`#saved .chip a`)),
		chromedp.WaitVisible(`#leads`))
	if rows := p.total(); rows != itoa(int64(fromSite)) || !p.eval(`location.search.includes("source=`+itoa(f.src.ID)+`")`) {
		t.Fatalf("the saved filter opens %q with %s leads, want source %d's %d", p.text(`#saved`), rows, f.src.ID, fromSite)
	}
	saved, err := f.s.SavedFilters(context.Background(), f.acct.ID, f.admin.ID)
	if err != nil || len(saved) != 1 || saved[0].Name != "Сайт" {
		t.Fatalf("saved filters: %+v %v", saved, err)
	}

	// Bulk: two leads to another stage, each with its own history entry.
	p.do("inbox", chromedp.Navigate(p.base+"/"), chromedp.WaitVisible(`#leads[data-ready="1"]`))
	a, b := all[1], all[2]
	p.do("tick two", chromedp.Click(`tr[data-id="`+itoa(a.ID)+`"] .c-pick input`), chromedp.Click(`tr[data-id="`+itoa(b.ID)+`"] .c-pick input`))
	if got := p.text(`#picked`); got != "Отмечено: 2" {
		t.Fatalf("the bulk bar says %q after two ticks", got)
	}
	p.do("bulk stage", chromedp.SetValue(`#bulk select[name=stage]`, itoa(f.stages[2].ID)), afterLoad(chromedp.Click(`#bulk-stage`)),
		chromedp.WaitVisible(`.flash`))
	if got := p.text(`.flash`); got != "Изменено лидов: 2" {
		t.Fatalf("after the bulk change: %q", got)
	}
	f.wantStage(t, a.ID, &f.stages[2].ID)
	f.wantStage(t, b.ID, &f.stages[2].ID)

	// Bulk delete asks first.
	gone := all[len(all)-1]
	p.do("bulk delete", chromedp.Click(`tr[data-id="`+itoa(gone.ID)+`"] .c-pick input`), afterLoad(chromedp.Click(`#bulk-delete`)),
		chromedp.WaitVisible(`#confirm-delete`))
	if n := p.text(`#delete-n`); n != "1" {
		t.Fatalf("the confirmation asks about %s leads", n)
	}
	if _, err := f.s.GetLead(context.Background(), f.acct.ID, gone.ID); err != nil {
		t.Fatal("the lead went before the confirmation")
	}
	p.do("confirm", afterLoad(chromedp.Click(`#confirm-delete`)), chromedp.WaitVisible(`.flash`))
	if _, err := f.s.GetLead(context.Background(), f.acct.ID, gone.ID); err == nil {
		t.Fatal("the confirmed bulk delete left the lead")
	}
	if got := p.total(); got != itoa(int64(len(all)-1)) {
		t.Fatalf("after the delete the total says %q", got)
	}
	p.shot("inbox-bulk")
}

// card returns a lead at stage (nil: no stage) that the kanban shows.
func (f *fixture) card(t *testing.T, stage *int64, not ...int64) lead.Lead {
	t.Helper()
	for _, l := range f.leads(t, store.LeadFilter{StageID: stage, NoStage: stage == nil}) {
		skip := false
		for _, id := range not {
			skip = skip || id == l.ID
		}
		if !skip {
			return l
		}
	}
	t.Fatalf("no lead at stage %s", show(stage))
	return lead.Lead{}
}

func kanbanFlows(t *testing.T, f *fixture, p *page) {
	p.do("kanban", chromedp.Navigate(p.base+"/kanban"), chromedp.WaitVisible(`#kanban[data-ready="1"]`))
	var cols []string
	for _, st := range f.stages {
		cols = append(cols, st.Name)
	}
	if got := p.text(`#kanban`); !strings.Contains(got, strings.Join(cols[:1], "")) {
		t.Fatalf("the kanban lacks the stage columns: %s", got)
	}
	// Every lead has a stage (new ones start at the first), so there is
	// no «Без этапа» column: the stages, in the funnel's order.
	var ids []string
	for _, st := range f.stages {
		ids = append(ids, itoa(st.ID))
	}
	if !p.eval(`[...document.querySelectorAll("#kanban .column")].map(c => c.dataset.stage).join() === "` + strings.Join(ids, ",") + `"`) {
		t.Fatal("the columns are not the stages in the funnel's order")
	}
	p.shot("kanban")

	// Drag a card to the next column: the page posts the card's form.
	dragged := f.card(t, &f.stages[0].ID)
	to := `.column[data-stage="` + itoa(f.stages[1].ID) + `"]`
	if !p.eval(`(() => {
		const card = document.getElementById("card-` + itoa(dragged.ID) + `"), col = document.querySelector('` + to + `');
		const dt = new DataTransfer();
		card.dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: dt}));
		col.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
		col.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
		card.dispatchEvent(new DragEvent("dragend", {bubbles: true, dataTransfer: dt}));
		return true;
	})()`) {
		t.Fatal("drag: the script did not run")
	}
	p.until("the dragged card moved", `document.querySelector('`+to+` #card-`+itoa(dragged.ID)+`') !== null && document.getElementById("kanban").dataset.moved === "1"`)
	f.wantStage(t, dragged.ID, &f.stages[1].ID)

	// The same with the card's own controls, as a keyboard user does.
	keyed := f.card(t, &f.stages[0].ID, dragged.ID)
	to = `.column[data-stage="` + itoa(f.stages[2].ID) + `"]`
	p.do("move by form", chromedp.SetValue(`#card-`+itoa(keyed.ID)+` select`, itoa(f.stages[2].ID)), chromedp.Click(`#card-`+itoa(keyed.ID)+` button`))
	p.until("the card moved by its form", `document.querySelector('`+to+` #card-`+itoa(keyed.ID)+`') !== null && document.getElementById("kanban").dataset.moved === "2"`)
	f.wantStage(t, keyed.ID, &f.stages[2].ID)

	// JavaScript off: the card's form posts, and the board comes back.
	plain := f.card(t, &f.stages[0].ID, dragged.ID, keyed.ID)
	if _, err := chromedp.Call(p.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	p.do("kanban without JS", chromedp.Navigate(p.base+"/kanban"), chromedp.WaitVisible(`#card-`+itoa(plain.ID)),
		chromedp.SetValue(`#card-`+itoa(plain.ID)+` select`, itoa(f.stages[1].ID)),
		chromedp.Click(`#card-`+itoa(plain.ID)+` button`), chromedp.WaitVisible(`.flash`))
	if _, err := chromedp.Call(p.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}
	f.wantStage(t, plain.ID, &f.stages[1].ID)
	if !p.eval(`document.querySelector('.column[data-stage="` + itoa(f.stages[1].ID) + `"] #card-` + itoa(plain.ID) + `') !== null && !document.getElementById("kanban").dataset.ready`) {
		t.Fatal("without JavaScript the board after the post does not show the card in its new column")
	}
}

// download clicks a link and returns the file the browser saved.
func (p *page) download(sel, ext string) []byte {
	p.t.Helper()
	dir := p.t.TempDir()
	yes := true
	if _, err := chromedp.CallBrowser(p.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: "allow", DownloadPath: dir, EventsEnabled: &yes}); err != nil {
		p.t.Fatal(err)
	}
	p.do("download "+sel, chromedp.Click(sel))
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*."+ext))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			if err == nil && len(b) > 0 {
				return b
			}
		}
	}
	p.t.Fatalf("no .%s downloaded from %s", ext, sel)
	return nil
}

func exportFlows(t *testing.T, f *fixture, p *page) {
	p.do("inbox", chromedp.Navigate(p.base+"/"), chromedp.WaitVisible(`#export-xlsx`))
	all := f.leads(t, store.LeadFilter{})
	p.total()
	if got := p.text(`#export-rows`); got != "строк: "+itoa(int64(len(all))) {
		t.Fatalf("the export says %q, want the %d rows it will hold", got, len(all))
	}
	x, err := excelize.OpenReader(bytes.NewReader(p.download(`#export-xlsx`, "xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Лиды")
	if err != nil || len(rows) != len(all)+1 || rows[0][0] != "ID" || rows[1][0] != itoa(all[0].ID) || rows[1][2] != *all[0].Name {
		t.Fatalf("the downloaded XLSX: %v, %d rows, want a header and %d leads newest first: %q", err, len(rows), len(all), rows)
	}
	csv := p.download(`#export-csv-semicolon`, "csv")
	if !bytes.HasPrefix(csv, []byte("\xef\xbb\xbfID;Создан;Имя;Телефон")) || bytes.Count(csv, []byte("\r\n")) != len(all)+1 {
		t.Fatalf("the downloaded CSV starts %q and has %d lines", csv[:min(40, len(csv))], bytes.Count(csv, []byte("\r\n")))
	}
}

func importFlows(t *testing.T, f *fixture, p *page) {
	ctx := context.Background()
	before := len(f.leads(t, store.LeadFilter{}))
	file := filepath.Join(t.TempDir(), "из другой CRM.csv")
	// A new lead, a phone the account has (a duplicate), a row without
	// contacts, a bad email.
	os.WriteFile(file, []byte("\xef\xbb\xbfФИО;Телефон;E-mail;Комментарий;Город\r\n"+
		"Ольга Новая;+7 (999) 555-44-33;olga@example.ru;перезвонить после 18:00;Москва\r\n"+
		"Анна Смирнова;8 999 100-00-00;;повторно;Тверь\r\n"+
		"Без контактов;;;;\r\n"+
		"Плохая почта;;not-an-email;;\r\n"), 0o644)
	p.do("upload", chromedp.Navigate(p.base+"/import"), chromedp.WaitVisible(`#upload`),
		chromedp.SetUploadFiles(`#upload input[type=file]`, []string{file}), afterLoad(chromedp.Submit(`#upload input[type=file]`)),
		chromedp.WaitVisible(`#mapping`))
	for col, want := range map[string]string{"#col0": "name", "#col1": "phone", "#col2": "email", "#col3": "comment", "#col4": "+"} {
		if v, err := chromedp.Run(p.ctx, chromedp.Value(col)); err != nil || v != want {
			t.Fatalf("the column %s is mapped to %q (%v), want %q", col, v, err, want)
		}
	}
	p.do("dry run", chromedp.SetValue(`#mapping select[name=stage]`, itoa(f.stages[0].ID)), afterLoad(chromedp.Click(`#dry-run`)),
		chromedp.WaitVisible(`#result`))
	if ok, bad := p.text(`#ok-rows`), p.text(`#bad-rows`); ok != "2" || bad != "2" {
		t.Fatalf("the dry run: %s rows pass, %s fail; want 2 and 2", ok, bad)
	}
	fails := p.text(`#fails`)
	for _, want := range []string{"4", "Поле Телефон обязательно для заполнения.", "5", "действительным электронным адресом"} {
		if !strings.Contains(fails, want) {
			t.Fatalf("the dry run's errors lack %q:\n%s", want, fails)
		}
	}
	if n := len(f.leads(t, store.LeadFilter{})); n != before {
		t.Fatalf("the dry run made %d leads", n-before)
	}
	p.shot("import")
	p.do("import", afterLoad(chromedp.Click(`#run-import`)), chromedp.WaitVisible(`#created`))
	if created, dups := p.text(`#created`), p.text(`#dups`); created != "2" || dups != "1" {
		t.Fatalf("the import made %s leads, %s duplicates; want 2 and 1", created, dups)
	}
	after := f.leads(t, store.LeadFilter{})
	if len(after) != before+2 {
		t.Fatalf("%d leads after the import, want %d", len(after), before+2)
	}
	olga, anna := after[1], after[0]
	if *olga.Name != "Ольга Новая" || *olga.Phone != "79995554433" || olga.FunnelStageID == nil || *olga.FunnelStageID != f.stages[0].ID ||
		!strings.Contains(string(olga.Extra), "перезвонить после 18:00") || !strings.Contains(string(olga.Extra), "Москва") {
		t.Fatalf("the imported lead: %+v extra %s", olga, olga.Extra)
	}
	if anna.FirstID == nil || *olga.UserIDCreate != f.admin.ID {
		t.Fatalf("the imported repeat of a phone is not marked a duplicate (firstId %s), or the creator is not the admin", show(anna.FirstID))
	}
	events, _ := f.s.LeadEvents(ctx, f.acct.ID, olga.ID)
	if len(events) == 0 || events[0].Action != "create" {
		t.Fatalf("the imported lead's history: %+v", events)
	}
}
