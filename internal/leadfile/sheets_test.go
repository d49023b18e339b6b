package leadfile

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"leadbox/internal/lead"
)

// TestXLSXSheets: an export longer than a sheet holds goes on in the next
// sheet, each with its header.
func TestXLSXSheets(t *testing.T) {
	var buf bytes.Buffer
	w, err := newXLSX(&buf, Options{Zone: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	w.limit = 4 // a header and 3 leads a sheet
	for id := int64(1); id <= 7; id++ {
		if err := w.Write(&lead.Lead{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][]string{"Лиды": {"1", "2", "3"}, "Лиды 2": {"4", "5", "6"}, "Лиды 3": {"7"}}
	if sheets := f.GetSheetList(); len(sheets) != 3 {
		t.Fatalf("sheets %q", sheets)
	}
	for sheet, ids := range want {
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) != len(ids)+1 || rows[0][0] != "ID" {
			t.Fatalf("%s: %q %v", sheet, rows, err)
		}
		for i, id := range ids {
			if rows[i+1][0] != id {
				t.Fatalf("%s row %d: %q, want lead %s", sheet, i+2, rows[i+1], id)
			}
		}
	}
}
