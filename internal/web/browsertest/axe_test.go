package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's axe.min.js, from the npm package: LEADBOX_AXE
// names the file (.ci/run installs the package and sets it), else a copy
// installed with `npm ci --prefix .ci/npm` is used. Without it the test
// skips, except under CI.
func axeSource(t *testing.T) string {
	paths := []string{os.Getenv("LEADBOX_AXE"), filepath.Join("..", "..", "..", ".ci", "npm", "node_modules", "axe-core", "axe.min.js")}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("axe-core is not installed: .ci/run installs it and sets LEADBOX_AXE")
	}
	t.Skip("accessibility checks skipped: set LEADBOX_AXE to axe-core's axe.min.js (npm ci --prefix .ci/npm installs it there)")
	return ""
}

// axeViolation is one rule a page breaks, with a few of the elements.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkA11y runs axe-core on the page open in ctx and fails on every serious
// or critical violation. target-size (WCAG 2.2's 24×24 px) is turned on: it
// is off by default.
func checkA11y(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		t.Fatalf("%s: inject axe-core: %v", page, err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"], rules: {"target-size": {enabled: true}}})
		.then(r => JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help,
				nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))}))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", page, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe's answer: %v\n%s", page, err, out)
	}
	for _, v := range vs {
		t.Errorf("%s: %s (%s): %s\n    %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n    "))
	}
}

// TestAccessibility opens every page of the UI, as an admin and on a phone,
// and checks it with axe-core: no serious or critical violation.
func TestAccessibility(t *testing.T) {
	exe := chromium(t)
	axe := axeSource(t)
	f := setup(t, "sqlite")
	ctx := browser(t, exe, 120*time.Second)
	base := f.b.URL
	open := func(path, ready string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(ready)); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
	}

	open("/login", `input[name=email]`)
	checkA11y(t, ctx, axe, "/login")
	if err := chromedp.Do(ctx, chromedp.SendKeys(`input[name=email]`, "admin@example.com"),
		chromedp.SendKeys(`input[name=password]`, adminPassword), chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`#leads[data-ready="1"]`)); err != nil {
		t.Fatalf("log in: %v", err)
	}
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#leads tbody tr").dataset.id`))
	if err != nil {
		t.Fatal(err)
	}
	pages := [][2]string{
		{"/", `#leads`},
		{"/leads/" + id, `#edit`},
		{"/sources", `#sources`},
		{"/sources/" + itoa(f.src.ID), `#hook-url`},
		{"/dashboard", `#chart-days`},
		{"/settings/users", `main`},
		{"/settings/offices", `#refs`},
		{"/settings/cities", `#refs`},
		{"/settings/stages", `#stages`},
		{"/password", `main`},
		{"/settings/account", `#account`},
		{"/settings/erasure", `#erasure-form`},
		{"/tasks", `main`},
		{"/leads/new", `main`},
		{"/kanban", `#kanban`},
		{"/import", `main`},
		{"/no-such-page", `main`},
	}
	for _, p := range pages {
		open(p[0], p[1])
		checkA11y(t, ctx, axe, p[0])
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 760, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	for _, p := range pages[:2] {
		open(p[0], p[1])
		checkA11y(t, ctx, axe, p[0]+" at 360 px")
	}
}
