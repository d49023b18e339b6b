package leadfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"leadbox/internal/lead"
)

// Table is an uploaded spreadsheet: the header row and the rows under it,
// each as long as the header.
type Table struct {
	Header []string
	Rows   [][]string
}

const (
	msgFileEmpty   = "В файле нет строк с данными: первая строка — заголовки столбцов, лиды — со второй."
	msgFileFormat  = "Не удалось прочитать файл: загрузите CSV или XLSX (Excel)."
	msgFileRows    = "В файле больше %d строк: разделите его на части."
	msgFileColumns = "В файле больше %d столбцов."
)

// maxColumns bounds a table's width.
const maxColumns = 100

// ReadTable reads an uploaded spreadsheet by its name and contents: XLSX
// (its first sheet), or CSV — UTF-8 with or without a BOM, or Windows-1251
// as Excel in a Russian locale saves it, with a comma, semicolon or tab
// between fields, whichever the header line has most of. Blank rows are
// skipped; at most maxRows rows are read, more is an error.
func ReadTable(name string, data []byte, maxRows int) (Table, error) {
	var rows [][]string
	var err error
	if strings.EqualFold(filepath.Ext(name), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		rows, err = readXLSX(data, maxRows)
	} else {
		rows, err = readCSV(data, maxRows)
	}
	if err != nil {
		return Table{}, err
	}
	var t Table
	for _, r := range rows {
		if blank(r) {
			continue
		}
		if t.Header == nil {
			t.Header = trimAll(r)
			continue
		}
		t.Rows = append(t.Rows, r)
	}
	if len(t.Header) > maxColumns {
		return Table{}, lead.Errorf(lead.EInvalid, "file", msgFileColumns, maxColumns)
	}
	if len(t.Rows) == 0 {
		return Table{}, lead.Errorf(lead.EInvalid, "file", msgFileEmpty)
	}
	if len(t.Rows) > maxRows {
		return Table{}, lead.Errorf(lead.EInvalid, "file", msgFileRows, maxRows)
	}
	for i, r := range t.Rows {
		r = trimAll(r)
		for len(r) < len(t.Header) {
			r = append(r, "")
		}
		t.Rows[i] = r[:len(t.Header)]
	}
	return t, nil
}

func readCSV(data []byte, maxRows int) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		d, err := charmap.Windows1251.NewDecoder().Bytes(data)
		if err != nil {
			return nil, lead.Errorf(lead.EInvalid, "file", msgFileFormat)
		}
		data = d
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, lead.Errorf(lead.EInvalid, "file", msgFileFormat)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = guessComma(data)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var rows [][]string
	for len(rows) <= maxRows+1 {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, lead.Errorf(lead.EInvalid, "file", msgFileFormat)
		}
		rows = append(rows, undefuse(rec))
	}
	return rows, nil
}

// guessComma picks the separator the first line has most of.
func guessComma(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

// undefuse takes off the quote an export (defuse) put before a value that
// a spreadsheet would read as a formula.
func undefuse(rec []string) []string {
	for i, v := range rec {
		if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
			rec[i] = v[1:]
		}
	}
	return rec
}

func readXLSX(data []byte, maxRows int) ([][]string, error) {
	// An XLSX file is a zip: bound what it may unpack to.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, lead.Errorf(lead.EInvalid, "file", msgFileFormat)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, lead.Errorf(lead.EInvalid, "file", msgFileEmpty)
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, lead.Errorf(lead.EInvalid, "file", msgFileFormat)
	}
	defer it.Close()
	var rows [][]string
	for it.Next() && len(rows) <= maxRows+1 {
		r, err := it.Columns()
		if err != nil {
			return nil, lead.Errorf(lead.EInvalid, "file", msgFileFormat)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func blank(r []string) bool {
	for _, v := range r {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func trimAll(r []string) []string {
	out := make([]string, len(r))
	for i, v := range r {
		out[i] = strings.TrimSpace(v)
	}
	return out
}
