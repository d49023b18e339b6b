package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestAPIExportLeads: the export answers the list's filters as a CSV (BOM,
// the separator asked for) or an XLSX file, of the caller's account only.
func TestAPIExportLeads(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		for i := range 3 {
			webtest.WantCreated(t, a.Post(t, a.Src, fmt.Sprintf(`{"name": "Лид %d", "phone": "7999000770%d", "comment": "звонить; вечером"}`, i, i)))
		}
		name, email := "=1+2", "m@example.com"
		webtest.Must[lead.Lead](t)(a.Store.AddLead(context.Background(), store.NewLead{AccountID: a.Acct.ID,
			Input: lead.Input{Name: &name, Email: &email, SourceID: &a.Manual.ID}}))

		r := a.Call(t, "GET", "/api/v1/leads/export?format=csv&sep=semicolon", "")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), `attachment; filename="leads-`) {
			t.Fatalf("csv: %d %q", r.Status, r.Header.Get("Content-Disposition"))
		}
		if !bytes.HasPrefix(r.Body, []byte("\xef\xbb\xbfID;")) {
			t.Fatalf("csv starts %q", r.Body[:min(len(r.Body), 20)])
		}
		rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\xef\xbb\xbf"))))
		rd.Comma = ';'
		rows, err := rd.ReadAll()
		if err != nil || len(rows) != 5 {
			t.Fatalf("csv: %d rows, %v", len(rows), err)
		}
		if rows[1][2] != "'=1+2" || rows[2][17] != "звонить; вечером" || strings.Contains(string(r.Body), "Rival") {
			t.Fatalf("csv rows: %q", rows)
		}

		r = a.Call(t, "GET", fmt.Sprintf("/api/v1/leads/export?format=xlsx&sourceId=%d", a.Src.ID), "")
		if r.Status != http.StatusOK {
			t.Fatalf("xlsx: %d %s", r.Status, r.Body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		xrows, err := f.GetRows("Лиды")
		if err != nil || len(xrows) != 4 || xrows[1][2] != "Лид 2" || xrows[3][3] != "79990007700" {
			t.Fatalf("xlsx of the source: %q %v", xrows, err)
		}

		webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/leads/export?format=pdf&sep=tab", ""), http.StatusUnprocessableEntity, "format", "sep")
		webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/leads/export?sourceId=x", ""), http.StatusUnprocessableEntity, "sourceId")
		webtest.WantAPIError(t, a.Call(t, "GET", "/api/v1/leads/export", "", "Authorization", ""), http.StatusUnauthorized, "token")
	})
}
