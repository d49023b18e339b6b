package leadfile_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/leadfile"
)

func ptr[T any](v T) *T { return &v }

var msk = time.FixedZone("MSK", 3*3600)

func sample() []lead.Lead {
	src, stage, owner := int64(1), int64(2), int64(3)
	return []lead.Lead{
		{ID: 12, DtCreate: time.Date(2026, 3, 5, 7, 30, 0, 0, time.UTC).Unix(), Name: ptr("Иван «Кухни»; Петров"), Phone: ptr("79991234567"),
			Email: ptr("ivan@example.ru"), SourceID: &src, FunnelStageID: &stage, UserIDOwner: &owner, Cost: ptr(int64(150000)),
			UTMSource: ptr("yandex"), UTMCampaign: ptr("весна"),
			Extra: json.RawMessage(`{"comment":"Перезвонить после 18:00,\nкухня 3 м","quiz":"да"}`)},
		{ID: 11, DtCreate: time.Date(2026, 3, 4, 23, 0, 0, 0, time.UTC).Unix(), Name: ptr("=HYPERLINK(\"http://evil\")"),
			Email: ptr("x@example.com"), FirstID: ptr(int64(5)), NotAnswer: ptr(true), SourceID: ptr(int64(99))},
	}
}

var names = leadfile.Names{Sources: map[int64]string{1: "Сайт"}, Stages: map[int64]string{2: "В работе"}, Users: map[int64]string{3: "Анна"}}

func export(t *testing.T, o leadfile.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := leadfile.NewWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sample() {
		if err := w.Write(&l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wantRows(t *testing.T, rows [][]string) {
	t.Helper()
	if len(rows) != 3 {
		t.Fatalf("%d rows, want a header and 2 leads", len(rows))
	}
	if strings.Join(rows[0], "|") != strings.Join(leadfile.Header, "|") {
		t.Fatalf("header %q", rows[0])
	}
	col := func(row []string, name string) string {
		for i, h := range leadfile.Header {
			if h == name && i < len(row) {
				return row[i]
			}
		}
		return ""
	}
	for name, want := range map[string]string{"ID": "12", "Создан": "05.03.2026 10:30:00", "Имя": "Иван «Кухни»; Петров",
		"Телефон": "79991234567", "Источник": "Сайт", "Этап": "В работе", "Ответственный": "Анна", "Сумма": "150000",
		"UTM campaign": "весна", "Комментарий": "Перезвонить после 18:00,\nкухня 3 м", "Доп. поля": `{"quiz":"да"}`} {
		if got := col(rows[1], name); got != want {
			t.Errorf("lead 12, %s = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{"Первый лид контакта": "5", "Недозвон": "да", "Источник": "#99", "Создан": "05.03.2026 02:00:00"} {
		if got := col(rows[2], name); got != want {
			t.Errorf("lead 11, %s = %q, want %q", name, got, want)
		}
	}
}

func TestExportCSV(t *testing.T) {
	for _, comma := range []rune{',', ';'} {
		t.Run(string(comma), func(t *testing.T) {
			b := export(t, leadfile.Options{Format: leadfile.CSV, Comma: comma, Names: names, Zone: msk})
			if !bytes.HasPrefix(b, []byte("\xef\xbb\xbfID"+string(comma)+"Создан")) {
				t.Fatalf("the file starts %q, want the BOM and the header with %q", b[:min(20, len(b))], comma)
			}
			r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
			r.Comma = comma
			rows, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if rows[2][2] != `'=HYPERLINK("http://evil")` {
				t.Fatalf("a formula in a name is written as %q, want it quoted as text", rows[2][2])
			}
			rows[2][2] = "x"
			wantRows(t, rows)
		})
	}
}

func TestExportXLSX(t *testing.T) {
	b := export(t, leadfile.Options{Format: leadfile.XLSX, Names: names, Zone: msk})
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); len(sheets) != 1 || sheets[0] != "Лиды" {
		t.Fatalf("sheets %q", sheets)
	}
	rows, err := f.GetRows("Лиды")
	if err != nil {
		t.Fatal(err)
	}
	if rows[2][2] != `=HYPERLINK("http://evil")` {
		t.Fatalf("name %q: in XLSX a text cell is text", rows[2][2])
	}
	if typ, _ := f.GetCellType("Лиды", "A2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("the id cell is of type %v, want a number", typ)
	}
	if formula, _ := f.GetCellFormula("Лиды", "C3"); formula != "" {
		t.Fatalf("C3 is a formula %q", formula)
	}
	wantRows(t, rows)
}

func TestReadTable(t *testing.T) {
	// What an export writes, import reads back, the quote before a formula
	// taken off.
	for _, o := range []leadfile.Options{{Format: leadfile.CSV}, {Format: leadfile.CSV, Comma: ';'}, {Format: leadfile.XLSX}} {
		o.Names, o.Zone = names, msk
		tab, err := leadfile.ReadTable("leads."+string(o.Format), export(t, o), 10)
		if err != nil {
			t.Fatalf("%s %q: %v", o.Format, o.Comma, err)
		}
		if len(tab.Rows) != 2 || tab.Rows[0][2] != "Иван «Кухни»; Петров" || tab.Rows[1][2] != `=HYPERLINK("http://evil")` || len(tab.Header) != len(leadfile.Header) {
			t.Fatalf("%s %q: %q %q", o.Format, o.Comma, tab.Header, tab.Rows)
		}
	}
	cp1251, _ := charmap.Windows1251.NewEncoder().String("Имя;Телефон;Комментарий\r\nОльга;+7 999 000-11-22;перезвонить\r\n\r\nПётр;8 (999) 111-22-33\r\n")
	for name, c := range map[string]struct {
		file, data string
		header     string
		rows       int
	}{
		"Windows-1251 and semicolons, a blank and a short row": {"из crm.csv", cp1251, "Имя|Телефон|Комментарий", 2},
		"tabs":                     {"a.txt", "Name\tPhone\nAnn\t123\n", "Name|Phone", 1},
		"UTF-8 without a BOM":      {"a.csv", "Имя,Email\nЯ,ya@example.ru\n", "Имя|Email", 1},
		"quoted newline in a cell": {"a.csv", "Имя,Комментарий\n\"Ann\",\"a\nb\"\n", "Имя|Комментарий", 1},
	} {
		tab, err := leadfile.ReadTable(c.file, []byte(c.data), 10)
		if err != nil || strings.Join(tab.Header, "|") != c.header || len(tab.Rows) != c.rows {
			t.Errorf("%s: %q %q %v", name, tab.Header, tab.Rows, err)
			continue
		}
		for _, r := range tab.Rows {
			if len(r) != len(tab.Header) {
				t.Errorf("%s: row %q not as wide as the header", name, r)
			}
		}
	}
	for name, c := range map[string]struct{ file, data string }{
		"no rows":          {"a.csv", "Имя,Телефон\n"},
		"empty":            {"a.csv", ""},
		"binary":           {"a.csv", "Имя\x00\x01"},
		"a broken xlsx":    {"a.xlsx", "PK\x03\x04 not really"},
		"too many rows":    {"a.csv", "Имя\n" + strings.Repeat("x\n", 11)},
		"too many columns": {"a.csv", strings.Repeat("c,", 120) + "\n" + strings.Repeat("1,", 120) + "\n"},
	} {
		_, err := leadfile.ReadTable(c.file, []byte(c.data), 10)
		var le *lead.Error
		if err == nil || !errorsAs(err, &le) || le.Code != lead.EInvalid {
			t.Errorf("%s: %v, want an EInvalid message", name, err)
		}
	}
}

func errorsAs(err error, le **lead.Error) bool {
	e, ok := err.(*lead.Error)
	*le = e
	return ok
}

func TestGuess(t *testing.T) {
	for header, want := range map[string]string{
		"Имя": "name", "ФИО": "name", "Name": "name", "Телефон": "phone", "Phone": "phone", "Моб. телефон": leadfile.Extra,
		"E-mail": "email", "Email": "email", "Комментарий": leadfile.Comment, "UTM source": "utmSource", "utm_campaign": "utmCampaign",
		"Сумма": "cost", "ID": leadfile.Skip, "Создан": leadfile.Skip, "Город клиента": leadfile.Extra, "": leadfile.Skip,
		"Номер телефона": "phone", "Referrer": "referrer",
		"Источник": leadfile.SourceName, "Этап": leadfile.StageName, "Статус": leadfile.StageName,
		"Ответственный": leadfile.OwnerName, "Менеджер": leadfile.OwnerName,
	} {
		if got := leadfile.Guess(header); got != want {
			t.Errorf("Guess(%q) = %q, want %q", header, got, want)
		}
	}
}

// TestObject: a row becomes what a sender would post, and the webhook's
// reading makes the lead of it, with its errors.
func TestObject(t *testing.T) {
	dec := intake.New("RU")
	header := []string{"Имя", "Телефон", "Комментарий", "Город", "ID", "Сумма", "Этап", "Ответственный"}
	var mapping []string
	for _, h := range header {
		mapping = append(mapping, leadfile.Guess(h))
	}
	row := []string{"Ольга", "8 (999) 000-11-22", "перезвонить", "Москва", "7", "15000", " В работе ", ""}
	obj, err := leadfile.Object(header, row, mapping)
	if err != nil {
		t.Fatal(err)
	}
	in, err := dec.DecodeJSON(obj)
	if err != nil {
		t.Fatalf("%s: %v", obj, err)
	}
	if *in.Name != "Ольга" || *in.Phone != "79990001122" || *in.Cost != 15000 || in.RemoteID != nil {
		t.Fatalf("%s read as %+v", obj, in)
	}
	var extra map[string]string
	json.Unmarshal(in.Extra, &extra)
	if extra["comment"] != "перезвонить" || extra["Город"] != "Москва" || len(extra) != 2 {
		t.Fatalf("extra %s", in.Extra)
	}
	// The stage and owner columns are the importer's to find, never extra fields.
	if got := leadfile.NamedCells(row, mapping); len(got) != 1 || got[leadfile.StageName] != "В работе" {
		t.Fatalf("NamedCells = %v, want the stage alone, trimmed", got)
	}
	obj, _ = leadfile.Object(header, []string{"Без контактов", "", "", "", "", "много"}, mapping)
	_, err = dec.DecodeJSON(obj)
	var le *lead.Error
	if !errorsAs(err, &le) || !le.Has("phone") || !le.Has("cost") {
		t.Fatalf("a row without contacts and a bad amount: %v", err)
	}
}
