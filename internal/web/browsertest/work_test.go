package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// TestBrowserWork: a call comes in and is entered by hand (the duplicate
// hint names the lead the phone already has, and the new lead is marked a
// duplicate of it); a note is written and shows first in the timeline; a
// callback task comes due while the card is open: the number on «Мои
// задачи» rises, a desktop notification is shown, and «Мои задачи» lists
// it as overdue until it is done. On both engines.
func TestBrowserWork(t *testing.T) {
	exe := chromium(t)
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine)
		work(t, f, exe, engine)
	})
}

func work(t *testing.T, f *fixture, exe, engine string) {
	ctx := context.Background()
	bctx := browser(t, exe, 90*time.Second)
	base := f.b.URL
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// waitFor polls a script until it answers true, for up to d.
	waitFor := func(what, js string, d time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %s (%v)", what, d, err)
			}
		}
	}
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if engine == "sqlite" {
			os.WriteFile(filepath.Join(f.shotsDir, name+".png"), buf, 0o644)
		}
	}
	narrow := func(what string) {
		t.Helper()
		if w := eval(`String(document.documentElement.scrollWidth)`); w > "360" && len(w) >= 3 {
			t.Fatalf("%s is %s px wide on a 360-px screen", what, w)
		}
	}

	// Desktop notifications, as the page's script sees them: a stand-in
	// that records what is shown and asked, its permission kept for the tab.
	step("stand-in Notification", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: fakeNotification})
		return err
	}))
	step("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "admin@example.com"), chromedp.SendKeys(`input[name=password]`, adminPassword),
		chromedp.Submit(`input[name=password]`), chromedp.WaitVisible(`#leads`))

	// «Мои задачи» offers notifications and asks for permission only when
	// the button is pressed.
	step("my tasks, empty", afterLoad(chromedp.Click(`#nav-tasks`)), chromedp.WaitVisible(`#notify-on`))
	if asked := eval(`String(window.__asked)`); asked != "0" {
		t.Fatalf("permission asked %s times before any gesture", asked)
	}
	step("allow notifications", chromedp.Click(`#notify-on`), chromedp.WaitNotVisible(`#notify-ask`))
	if asked := eval(`String(window.__asked) + " " + Notification.permission`); asked != "1 granted" {
		t.Fatalf("after the button: %s", asked)
	}
	step("inbox", afterLoad(chromedp.Click(`.nav a[href="/"]`)), chromedp.WaitVisible(`#leads`))

	// The phone of a lead already there (Анна Смирнова), typed another way.
	dups, err := f.s.FindDuplicates(ctx, f.acct.ID, ptr("79991000000"), nil, 1)
	if err != nil || dups.FirstID == nil {
		t.Fatalf("the fixture's lead with that phone: %+v %v", dups, err)
	}
	first := *dups.FirstID
	step("«+ Лид»", afterLoad(chromedp.Click(`#lead-new-link`)), chromedp.WaitVisible(`#lead-new`))
	step("type the phone", chromedp.SendKeys(`input[name=name]`, "Звонок Анны"), chromedp.SendKeys(`#new-phone`, "8 (999) 100-00-00"),
		chromedp.WaitVisible(`#dup-found`))
	if got := eval(`document.getElementById("dup-found").dataset.first`); got != fmt.Sprint(first) {
		t.Fatalf("the hint names lead %s, want %d", got, first)
	}
	if hint := text(`#dup-hint`); !strings.Contains(hint, "Анна Смирнова") || !strings.Contains(hint, "дубль") {
		t.Fatalf("the hint says: %q", hint)
	}
	step("fill the rest", chromedp.SetValue(`select[name=sourceId]`, fmt.Sprint(f.src.ID)),
		chromedp.SetValue(`select[name=funnelStageId]`, fmt.Sprint(f.stages[1].ID)),
		chromedp.SendKeys(`textarea[name=comment]`, "звонок в офис, интересует кухня 3 м"))
	shot("lead-new")
	step("create", afterLoad(chromedp.Click(`#lead-new button[type=submit]`)), chromedp.WaitVisible(`#edit`))
	if flash := text(`.flash`); !strings.Contains(flash, "дубль") {
		t.Fatalf("after creating: %q", flash)
	}
	id, err := lead.ParseID(strings.TrimPrefix(eval(`location.pathname`), "/leads/"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := f.s.GetLead(ctx, f.acct.ID, id)
	if err != nil || l.FirstID == nil || *l.FirstID != first || *l.Phone != "79991000000" || *l.FunnelStageID != f.stages[1].ID {
		t.Fatalf("the lead entered by hand: %+v %v", l, err)
	}

	// A note, first in the timeline.
	step("note", chromedp.SendKeys(`#note-new textarea`, "перезвонить после 18:00, интересует кухня 3 м"),
		afterLoad(chromedp.Click(`#note-new button[type=submit]`)), chromedp.WaitVisible(`#history li.note`))
	if top := text(`#history > li:first-child`); !strings.Contains(top, "перезвонить после 18:00") || !strings.Contains(top, "Ирина Админова") {
		t.Fatalf("the timeline's newest entry: %q", top)
	}

	// A callback due in a few seconds, set to the second, in the account's
	// time zone (the form's times are the user's zone, not the browser's).
	tz, err := f.s.AccountTimezone(ctx, f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(8 * time.Second).In(loc).Format("2006-01-02T15:04:05")
	step("task form", script(`(function () {
		var i = document.querySelector("#task-new input[name=due]");
		i.step = "1";
		i.value = "`+due+`";
		return true;
	})()`), chromedp.SendKeys(`#task-new input[name=text]`, "Перезвонить Анне"),
		afterLoad(chromedp.Click(`#task-new button[type=submit]`)), chromedp.WaitVisible(`#lead-tasks li.task`))
	if eval(`document.getElementById("due-badge").hidden ? "hidden" : "shown"`) != "hidden" {
		t.Fatal("the due number shows before anything is due")
	}
	shot("lead-work")
	waitFor("the task comes due", `document.getElementById("due-badge").textContent === "1" && !document.getElementById("due-badge").hidden`, 20*time.Second)
	waitFor("the notification", `window.__shown.length === 1`, 5*time.Second)
	if n := eval(`window.__shown[0]`); !strings.Contains(n, "Перезвонить Анне") || !strings.Contains(n, "Звонок Анны") {
		t.Fatalf("notification: %q", n)
	}
	if eval(`document.querySelector("#lead-tasks li.task").classList.contains("overdue") ? "yes" : "no"`) != "yes" {
		t.Fatal("the task on the open card is not marked overdue when it comes due")
	}

	// «Мои задачи»: overdue, counted by the server too; done takes it off.
	step("my tasks", afterLoad(chromedp.Click(`#nav-tasks`)), chromedp.WaitVisible(`#tasks-overdue`))
	if sec := text(`#tasks-overdue`); !strings.Contains(sec, "Перезвонить Анне") || !strings.Contains(sec, "просрочена") {
		t.Fatalf("«Просроченные»: %q", sec)
	}
	if b := text(`#due-badge`); b != "1" {
		t.Fatalf("the server's due number: %q", b)
	}
	shot("tasks")
	step("phone", chromedp.EmulateViewport(360, 760), chromedp.Reload(), chromedp.WaitVisible(`#tasks-overdue`))
	narrow("«Мои задачи»")
	shot("tasks-360")
	step("card on phone", chromedp.Navigate(base+"/leads/"+fmt.Sprint(id)), chromedp.WaitVisible(`#lead-tasks`))
	narrow("the card with tasks and notes")
	step("form on phone", chromedp.Navigate(base+"/leads/new"), chromedp.WaitVisible(`#lead-new`))
	narrow("the «+ Лид» form")
	step("desktop", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/tasks"), chromedp.WaitVisible(`#tasks-overdue`))
	step("done", afterLoad(chromedp.Click(`#tasks-overdue button.done`)), chromedp.WaitVisible(`.flash`))
	if sec := text(`#tasks-overdue`); strings.Contains(sec, "Перезвонить Анне") {
		t.Fatalf("a done task is still overdue: %q", sec)
	}
	if eval(`document.getElementById("due-badge").hidden ? "hidden" : "shown"`) != "hidden" {
		t.Fatal("the due number still shows after the task is done")
	}
	tasks, err := f.s.ListTasks(ctx, f.acct.ID, store.TaskFilter{LeadID: id})
	if err != nil || len(tasks) != 1 || tasks[0].Done == nil || *tasks[0].AssigneeID != f.admin.ID {
		t.Fatalf("the task in the database: %+v %v", tasks, err)
	}
}

func ptr[T any](v T) *T { return &v }

// fakeNotification stands in for the browser's Notification in every
// document of the tab: it records the notifications shown (__shown) and the
// permission requests (__asked); a granted permission lasts for the tab.
const fakeNotification = `(function () {
  window.__shown = []; window.__asked = 0;
  var N = function (title, o) { window.__shown.push(title + " | " + (o && o.body)); };
  N.permission = sessionStorage.getItem("fakePermission") || "default";
  N.requestPermission = function () {
    window.__asked++; N.permission = "granted"; sessionStorage.setItem("fakePermission", "granted");
    return Promise.resolve("granted");
  };
  window.Notification = N;
})();`

// script runs JavaScript that answers true, as a step.
func script(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, t)
		return err
	})
}
