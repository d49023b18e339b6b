// Package browsertest drives the web UI in headless Chromium through
// chromedp: the flows managers and admins use every day, on both engines,
// with a screenshot of each main page.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

const adminPassword = "browser test password"

// chromium finds the browser; without one the test skips, except under CI.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must run the browser tests (.ci/run installs it)")
	}
	t.Skip("browser tests skipped: install chromium (apt-get install chromium)")
	return ""
}

// fixture is an account with reference data and two leadbox servers over
// one database: on PostgreSQL they stand for two processes; on SQLite they
// are the same server.
type fixture struct {
	s        *store.Store
	a, b     *httptest.Server // a takes webhooks, the browser uses b
	acct     lead.Account
	admin    lead.User
	manager  lead.User
	src      lead.Source
	stages   []lead.Stage
	shotsDir string
}

func setup(t *testing.T, engine string) *fixture {
	ctx := context.Background()
	s := storetest.Open(t, engine)
	hash, _ := password.Hash(adminPassword)
	f := &fixture{s: s}
	var err error
	f.acct, f.admin, _, err = s.Bootstrap(ctx, "Acme", lead.User{Name: "Ирина Админова", Email: "admin@example.com", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	f.manager, _ = s.CreateUser(ctx, lead.User{AccountID: f.acct.ID, Name: "Пётр Менеджеров", Email: "manager@example.com", Role: lead.RoleManager, PasswordHash: hash})
	// The funnel a new account starts with: «Новая», «В работе», …
	if f.stages, err = s.ListStages(ctx, f.acct.ID); err != nil || len(f.stages) < 3 {
		t.Fatalf("a new account's funnel: %v, %v", f.stages, err)
	}
	s.CreateRef(ctx, store.Offices, f.acct.ID, "Офис на Тверской")
	s.CreateRef(ctx, store.Cities, f.acct.ID, "Москва")
	f.src, _ = s.CreateSource(ctx, lead.Source{AccountID: f.acct.ID, Name: "Сайт", Type: lead.SourceWebhook, DefaultStageID: &f.stages[0].ID})
	quiz, _ := s.CreateSource(ctx, lead.Source{AccountID: f.acct.ID, Name: "Квиз", Type: lead.SourceWebhook})
	newServer := func() *httptest.Server { return webtest.Serve(t, s, io.Discard, nil) }
	f.a = newServer()
	f.b = f.a
	if engine == "postgres" {
		f.b = newServer()
	}
	names := []string{"Анна Смирнова", "Борис Петров", "Вера Иванова", "Глеб Соколов", "Дарья Кузнецова", "Егор Попов"}
	for i, n := range names {
		src := f.src
		if i%2 == 1 {
			src = quiz
		}
		camp := []string{"spring_sale", "brand", "retargeting"}[i%3]
		f.hook(t, src.Token, fmt.Sprintf(`{"name": %q, "phone": "7999%07d", "email": "lead%d@example.com", "utmCampaign": %q, "utmSource": "yandex"}`, n, 1000000+i, i, camp))
	}
	f.hook(t, f.src.Token, `{"name": "Анна Смирнова", "phone": "+7 (999) 100-00-00", "utmCampaign": "spring_sale"}`) // a duplicate
	f.shotsDir = os.Getenv("LEADBOX_SCREENSHOTS")
	if f.shotsDir == "" {
		f.shotsDir, _ = os.MkdirTemp("", "leadbox-screens-")
	}
	os.MkdirAll(f.shotsDir, 0o755)
	t.Logf("screenshots in %s", f.shotsDir)
	return f
}

// hook posts a body to a webhook token on server a and returns the answer.
func (f *fixture) hook(t *testing.T, token, body string) (int, string) {
	t.Helper()
	return post(t, f.a.URL+"/hooks/"+token, body)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine)
		run(t, f, exe, engine)
	})
}

// browser starts headless Chromium at exe (a 1280×900 window) for the
// test, closed when it ends, and returns its context, which ends after
// timeout.
func browser(t *testing.T, exe string, timeout time.Duration) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

func run(t *testing.T, f *fixture, exe, engine string) {
	ctx := browser(t, exe, 90*time.Second)
	base := f.b.URL
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(sel))
		if err != nil {
			t.Fatalf("value of %s: %v", sel, err)
		}
		return v
	}
	number := func(js string, opts ...chromedp.EvaluateOption) int {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[int](js, opts...))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if engine == "sqlite" {
			os.WriteFile(filepath.Join(f.shotsDir, name+".png"), buf, 0o644)
		}
	}
	login := func(email string) {
		step("log in as "+email, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, email), chromedp.SendKeys(`input[name=password]`, adminPassword),
			chromedp.Submit(`input[name=password]`), chromedp.WaitVisible(`#leads`))
	}

	step("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`input[name=email]`))
	shot("login")
	login("admin@example.com")
	step("inbox ready", chromedp.WaitVisible(`#leads[data-ready="1"]`))
	time.Sleep(700 * time.Millisecond) // the event stream connects (and LISTENs, on PostgreSQL)

	// A lead posted to the webhook (of the other process, on PostgreSQL)
	// appears without a reload, with a notice.
	status, body := f.hook(t, f.src.Token, `{"name": "Живой Лид", "phone": "8 (999) 777-66-55", "utmCampaign": "live"}`)
	if status != 201 {
		t.Fatalf("webhook: %d %s", status, body)
	}
	id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(body)[1]
	step("live lead", chromedp.WaitVisible(`tr[data-id="`+id+`"]`), chromedp.WaitVisible(`#live`))
	shot("inbox")

	// Filter by source and search a phone typed another way.
	step("filter and search", chromedp.SetValue(`select[name=source]`, itoa(f.src.ID)),
		chromedp.SendKeys(`#q`, "+7 999 777 66 55"), afterLoad(chromedp.Submit(`#q`)),
		chromedp.WaitVisible(`tr[data-id="`+id+`"]`))
	if rows := number(`document.querySelectorAll("#leads tbody tr").length`); rows != 1 {
		t.Fatalf("search by phone found %d rows, want 1", rows)
	}

	// Open the lead, change its stage, mark "no answer", see the history.
	step("lead card", chromedp.Click(`tr[data-id="`+id+`"] .c-name a`), chromedp.WaitVisible(`#edit`),
		chromedp.SetValue(`select[name=funnelStageId]`, itoa(f.stages[1].ID)), afterLoad(chromedp.Submit(`#edit`)),
		chromedp.WaitVisible(`.flash`), afterLoad(chromedp.Click(`#no-answer`)), chromedp.WaitVisible(`#history`))
	history := text(`#history`)
	for _, want := range []string{"отметка «недозвон»", "Этап воронки", "В работе", "Ирина Админова"} {
		if !strings.Contains(history, want) {
			t.Fatalf("history lacks %q:\n%s", want, history)
		}
	}
	shot("lead")

	// Create a source, copy its URL, post the shown curl example.
	step("create source", chromedp.Navigate(base+"/sources"), chromedp.WaitVisible(`#source-new`),
		chromedp.SendKeys(`#source-new input[name=name]`, "Лендинг «Весна»"), chromedp.Submit(`#source-new input[name=name]`),
		chromedp.WaitVisible(`#hook-url`))
	hookURL, curl := value(`#hook-url`), text(`#curl`)
	step("copy", chromedp.Click(`#copy-url`), chromedp.Sleep(300*time.Millisecond))
	if copied := text(`#copy-url`); copied != "✓" {
		t.Fatalf("copy button says %q after a click", copied)
	}
	m := regexp.MustCompile(`(?s)curl -i -X POST '([^']+)'.*-d '([^']+)'`).FindStringSubmatch(curl)
	if m == nil || m[1] != hookURL {
		t.Fatalf("curl example does not post to the URL %s:\n%s", hookURL, curl)
	}
	if status, body := post(t, m[1], m[2]); status != 201 {
		t.Fatalf("the curl example: %d %s", status, body)
	}
	// Rotate the secret: the old URL answers 404. A rejected request shows
	// in the log with its reason.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.confirm = () => true, true`)); err != nil {
		t.Fatal(err)
	}
	step("rotate", afterLoad(chromedp.Click(`#rotate`)), chromedp.WaitVisible(`#hook-url`))
	newURL := value(`#hook-url`)
	if newURL == hookURL {
		t.Fatal("the URL did not change")
	}
	if status, _ := post(t, hookURL, m[2]); status != 404 {
		t.Fatalf("old URL after rotation: %d, want 404", status)
	}
	post(t, newURL, `{"name": "Без контактов"}`)
	step("delivery log", chromedp.Reload(), chromedp.WaitVisible(`#log`))
	log := text(`#log`)
	for _, want := range []string{"422", "Поле Телефон обязательно для заполнения.", "201"} {
		if !strings.Contains(log, want) {
			t.Fatalf("delivery log lacks %q:\n%s", want, log)
		}
	}
	shot("source")
	step("sources list", chromedp.Navigate(base+"/sources"), chromedp.WaitVisible(`#sources`))
	shot("sources")

	// The dashboard draws its charts.
	step("dashboard", chromedp.Navigate(base+"/dashboard"), chromedp.WaitVisible(`#chart-days`))
	if bars := number(`document.querySelectorAll("#chart-days rect").length`); bars == 0 {
		t.Fatal("the dashboard drew no bars")
	}
	shot("dashboard")
	step("stages", chromedp.Navigate(base+"/settings/stages"), chromedp.WaitVisible(`#stages`))
	shot("stages")

	// A manager reads reference data but cannot change it.
	step("log out", chromedp.Click(`#logout`), chromedp.WaitVisible(`input[name=email]`))
	login("manager@example.com")
	step("manager", chromedp.Navigate(base+"/settings/offices"), chromedp.WaitVisible(`#refs`))
	forms := number(`document.querySelectorAll("main form").length`)
	code := number(`fetch("/settings/offices", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "name=X&csrf=" + encodeURIComponent(document.querySelector("input[name=csrf]").value)}).then(r => r.status)`, chromedp.EvalAwaitPromise)
	if forms != 0 || code != http.StatusForbidden {
		t.Fatalf("manager sees %d forms on offices and a POST answers %d, want 0 and 403", forms, code)
	}

	// The inbox on a 360-px phone: no sideways scrolling.
	step("phone", chromedp.EmulateViewport(360, 760), chromedp.Navigate(base+"/"), chromedp.WaitVisible(`#leads`))
	if width := number(`document.documentElement.scrollWidth`); width > 360 {
		t.Fatalf("the inbox is %d px wide on a 360-px screen", width)
	}
	shot("inbox-360")
	step("lead on phone", chromedp.Navigate(base+"/leads/"+id), chromedp.WaitVisible(`#edit`))
	if width := number(`document.documentElement.scrollWidth`); width > 360 {
		t.Fatalf("the lead card is %d px wide on a 360-px screen", width)
	}
	shot("lead-360")
}

func itoa(n int64) string { return fmt.Sprint(n) }

// afterLoad runs act, which submits a form or follows a link, and waits for
// the page it leads to. Waiting for an element is not enough when the old
// page had it too: the wait would end at once, and the next read would race
// the navigation.
func afterLoad(act chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Evaluate[bool](`window.__leadboxStale = true`)(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		if _, err := act(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		// Evaluating while the old page goes away can fail ("Cannot find
		// context"); that just means: not there yet.
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			loaded, err := chromedp.Evaluate[bool](`!window.__leadboxStale && document.readyState === "complete"`)(ctx, t)
			if err == nil && loaded {
				return chromedp.Void{}, nil
			}
			if ctx.Err() != nil {
				return chromedp.Void{}, ctx.Err()
			}
		}
		return chromedp.Void{}, errors.New("the next page did not load within 20 s")
	}
}
