package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// upload posts a file to /import as the upload form does.
func upload(t *testing.T, e *webtest.Env, b *webtest.Browser, name string, data []byte) webtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.CSRF)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	return webtest.Response{Status: res.StatusCode, Header: res.Header, Body: got}
}

// TestUIImport: the upload's limits answer in Russian; a file of two
// thousand rows is checked, then imported through the pipeline, each row a
// lead (a repeat a duplicate), and the file is gone after.
func TestUIImport(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Старый", "phone": "79995000000"}`))
		b := webtest.Login(t, e, "manager@example.com")

		r := upload(t, e, b, "big.csv", bytes.Repeat([]byte("Имя;Телефон\n"), 500_000))
		webtest.WantStatus(t, r, http.StatusRequestEntityTooLarge, "a 6 MB file")
		webtest.WantBody(t, r, "Файл больше 5 МБ: разделите его на части.")
		r = upload(t, e, b, "photo.csv", []byte("\x00\x01\x02PNG"))
		webtest.WantStatus(t, r, http.StatusSeeOther, "a file that is not a table")
		webtest.WantBody(t, b.Get("/import"), "Не удалось прочитать файл: загрузите CSV или XLSX (Excel).")

		var csv strings.Builder
		csv.WriteString("Имя;Телефон;Комментарий\n")
		const rows = 2000
		for i := range rows {
			fmt.Fprintf(&csv, "Лид %d;+7 999 5%06d;строка %d\n", i, i, i)
		}
		csv.WriteString("Без телефона;;\n")
		r = upload(t, e, b, "leads.csv", []byte(csv.String()))
		webtest.WantStatus(t, r, http.StatusSeeOther, "upload")
		mapping := r.Header.Get("Location")
		if !regexp.MustCompile(`^/import/\d+$`).MatchString(mapping) {
			t.Fatalf("the upload goes to %q", mapping)
		}
		r = b.Get(mapping)
		webtest.WantBody(t, r, `<option value="phone" selected>`, `<option value="comment" selected>`, `id="rows-total">2001<`)

		form := url.Values{"col0": {"name"}, "col1": {"phone"}, "col2": {"comment"}, "stage": {webtest.ID(e.Stage.ID)}, "action": {"dry"}}
		r = b.Submit(mapping, form)
		webtest.WantBody(t, r, `id="ok-rows">2000<`, `id="bad-rows">1<`, "<td class=\"num\">2002</td><td>Поле Телефон обязательно для заполнения.</td>")
		if n := webtest.Must[int64](t)(e.Store.CountLeads(context.Background(), e.Acct.ID)); n != 1 {
			t.Fatalf("the dry run made leads: %d", n)
		}
		form.Set("action", "import")
		start := time.Now()
		r = b.Submit(mapping, form)
		t.Logf("%s: %d rows imported in %s", engine, rows, time.Since(start).Round(time.Millisecond))
		webtest.WantBody(t, r, `id="created">2000<`, `id="dups">1<`, `id="bad-rows">1<`)
		ls := webtest.Must[[]lead.Lead](t)(e.Store.ListLeads(context.Background(), e.Acct.ID, store.LeadFilter{Phone: "79995000000"}))
		if len(ls) != 2 || ls[0].FirstID == nil || *ls[0].FirstID != ls[1].ID || ls[0].FunnelStageID == nil || *ls[0].FunnelStageID != e.Stage.ID ||
			ls[0].UserIDCreate == nil || *ls[0].UserIDCreate != e.Manager.ID {
			t.Fatalf("the imported repeat: %+v", ls[0])
		}
		webtest.WantStatus(t, b.Get(mapping), http.StatusNotFound, "the file after its import")
	})
}

// TestUIImportNames: a file from another CRM names its stages, owners and
// sources as people write them; each is found among the account's own (in
// any case, «ё» as «е», users by name or email), a name the account does not
// have is the row's error in the dry run, and an empty cell takes the
// form's default.
func TestUIImportNames(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		b := webtest.Login(t, e, "admin@example.com")
		file := "Имя;Телефон;Статус;Ответственный;Источник\n" +
			"Анна;+7 999 520-00-01; в  РАБОТЕ ;MANAGER@example.com;звонок\n" +
			"Борис;+7 999 520-00-02;Rival stage;;\n" +
			"Вера;+7 999 520-00-03;;manager;\n" +
			"Глеб;+7 999 520-00-04;;Rival admin;Сайт\n" +
			"Дина;+7 999 520-00-05;Новый;;Rival site\n"
		r := upload(t, e, b, "amocrm.csv", []byte(file))
		webtest.WantStatus(t, r, http.StatusSeeOther, "upload")
		mapping := r.Header.Get("Location")
		webtest.WantBody(t, b.Get(mapping), `<option value="@stage" selected>`, `<option value="@owner" selected>`, `<option value="@source" selected>`)
		form := url.Values{"col0": {"name"}, "col1": {"phone"}, "col2": {"@stage"}, "col3": {"@owner"}, "col4": {"@source"},
			"stage": {webtest.ID(e.Stage.ID)}, "action": {"dry"}}
		r = b.Submit(mapping, form)
		webtest.WantBody(t, r, `id="ok-rows">2<`, `id="bad-rows">3<`,
			"<td class=\"num\">3</td><td>Этапа «Rival stage» нет в воронке: добавьте его или выберите для столбца «не загружать».</td>",
			"<td class=\"num\">5</td><td>Активного пользователя «Rival admin» нет: укажите имя или email сотрудника.</td>",
			"<td class=\"num\">6</td><td>Источника «Rival site» нет: добавьте его или выберите для столбца «не загружать».</td>")
		form.Set("action", "import")
		webtest.WantBody(t, b.Submit(mapping, form), `id="created">2<`, `id="bad-rows">3<`)
		ctx := context.Background()
		var inWork lead.Stage
		for _, st := range webtest.Must[[]lead.Stage](t)(e.Store.ListStages(ctx, e.Acct.ID)) {
			if st.Name == "В работе" {
				inWork = st
			}
		}
		for phone, want := range map[string]struct{ stage, owner, source int64 }{
			"79995200001": {inWork.ID, e.Manager.ID, e.Manual.ID},
			"79995200003": {e.Stage.ID, e.Manager.ID, 0}, // the form's stage; a manual lead's source: none
		} {
			ls := webtest.Must[[]lead.Lead](t)(e.Store.ListLeads(ctx, e.Acct.ID, store.LeadFilter{Phone: phone}))
			if len(ls) != 1 {
				t.Fatalf("%s: %d leads", phone, len(ls))
			}
			l := ls[0]
			if l.FunnelStageID == nil || *l.FunnelStageID != want.stage || l.UserIDOwner == nil || *l.UserIDOwner != want.owner ||
				(want.source != 0 && (l.SourceID == nil || *l.SourceID != want.source)) {
				t.Errorf("%s: stage %v owner %v source %v; want %+v", phone, l.FunnelStageID, l.UserIDOwner, l.SourceID, want)
			}
		}
	})
}

// TestUIBulkAndMove: what the inbox's bulk form and the kanban's card form
// refuse, and the answer a script gets.
func TestUIBulkAndMove(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		leadID := webtest.IntOf(t, "id", webtest.WantCreated(t, e.Post(t, e.Src, `{"name": "Лид", "phone": "79995100000", "userIdOwner": `+webtest.ID(e.Manager.ID)+`}`))["id"])
		id := webtest.ID(leadID)
		m := webtest.Login(t, e, "manager@example.com")
		flash := func(r webtest.Response) string {
			t.Helper()
			for _, c := range r.Header.Values("Set-Cookie") {
				if strings.HasPrefix(c, "leadbox_flash=") {
					return c
				}
			}
			return ""
		}
		webtest.WantStatus(t, m.Submit("/inbox/bulk", url.Values{"action": {"delete"}, "id": {id}, "back": {"/"}}), http.StatusForbidden, "a manager's bulk delete")
		for name, form := range map[string]url.Values{
			"no lead ticked":          {"action": {"stage"}, "stage": {webtest.ID(e.Stage.ID)}},
			"no stage chosen":         {"action": {"stage"}, "id": {id}},
			"no action":               {"id": {id}},
			"another account's stage": {"action": {"stage"}, "id": {id}, "stage": {webtest.ID(e.Other.Stage.ID)}},
		} {
			form.Set("back", "/?dup=1")
			r := m.Submit("/inbox/bulk", form)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/?dup=1" || flash(r) == "" {
				t.Errorf("%s: %d to %q, flash %q", name, r.Status, r.Header.Get("Location"), flash(r))
			}
		}
		r := m.Submit("/inbox/bulk", url.Values{"action": {"owner"}, "owner": {"none"}, "id": {id}, "back": {"//evil.example"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Fatalf("bulk owner: %d to %q", r.Status, r.Header.Get("Location"))
		}
		if l := webtest.Must[lead.Lead](t)(e.Store.GetLead(context.Background(), e.Acct.ID, leadID)); l.UserIDOwner != nil {
			t.Fatal("«без ответственного» did not clear the owner")
		}

		// The card's form, posted by the kanban's script.
		r = m.Do(http.MethodPost, "/leads/"+id+"/stage", url.Values{"csrf": {m.CSRF}, "funnelStageId": {webtest.ID(e.Other.Stage.ID)}}, "Accept", "application/json")
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Выбранное значение для ID Этапа воронки некорректно.") {
			t.Fatalf("a move to another account's stage: %d %s", r.Status, r.Body)
		}
		r = m.Do(http.MethodPost, "/leads/"+id+"/stage", url.Values{"csrf": {m.CSRF}, "funnelStageId": {webtest.ID(e.Stage.ID)}}, "Accept", "application/json")
		webtest.WantStatus(t, r, http.StatusNoContent, "a move by the script")
		webtest.WantStatus(t, m.Get("/inbox/export?format=pdf"), http.StatusUnprocessableEntity, "an export as pdf")
		webtest.WantBody(t, m.Get("/kanban?stage=none"), `data-stage="none"`)
	})
}
