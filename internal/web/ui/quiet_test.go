package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestUIQuietSource marks a source whose last requests were all refused:
// the sources list shows it to everyone, the banner on every page to
// admins only, and it goes when the source takes a lead again.
func TestUIQuietSource(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		ctx := context.Background()
		check := func() {
			t.Helper()
			if _, err := e.Store.CheckQuietSources(ctx, time.Now(), lead.DefaultWorkHours(time.UTC)); err != nil {
				t.Fatal(err)
			}
		}
		for range lead.QuietRefused {
			if r := e.Do(t, "POST", e.Hook(e.Src), []byte(`{"name":"без телефона"}`), "Content-Type", "application/json"); r.Status != 422 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		}
		check()
		admin := webtest.Login(t, e, "admin@example.com")
		manager := webtest.Login(t, e, "manager@example.com")
		webtest.WantBody(t, admin.Get("/sources"), `<span class="badge quiet"`, `id="quiet-alarm"`,
			"Источник замолчал:", `<a href="/sources/`+webtest.ID(e.Src.ID)+`">`, "последние запросы все отклонены")
		webtest.WantBody(t, admin.Get("/"), `id="quiet-alarm"`)
		r := manager.Get("/sources")
		webtest.WantBody(t, r, `<span class="badge quiet"`)
		if strings.Contains(string(r.Body), `id="quiet-alarm"`) {
			t.Error("a manager sees the admins' banner")
		}
		if r := e.Post(t, e.Src, `{"phone":"79990001122"}`); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		check()
		if body := string(admin.Get("/sources").Body); strings.Contains(body, "quiet-alarm") || strings.Contains(body, "badge quiet") {
			t.Errorf("the mark stays after a lead: %s", body)
		}
	})
}
