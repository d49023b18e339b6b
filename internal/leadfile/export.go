// Package leadfile turns leads into spreadsheet files and spreadsheets back
// into rows: the export of a lead list to CSV (UTF-8 with a BOM, a comma or
// a semicolon between fields) and XLSX, written a lead at a time so that a
// million leads take no more memory than one; and the reading of an
// uploaded CSV or XLSX file for import. Both the managers' pages and the
// REST API export through here.
package leadfile

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"leadbox/internal/lead"
)

// Format is a spreadsheet file format.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads a format's name; "" is CSV.
func ParseFormat(s string) (Format, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "csv":
		return CSV, true
	case "xlsx":
		return XLSX, true
	}
	return "", false
}

// ContentType is the media type of a file in the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// FileName names an export made at now.
func (f Format) FileName(now time.Time) string {
	return "leads-" + now.Format("2006-01-02-1504") + "." + string(f)
}

// Names resolves the ids a lead holds to the names a person reads.
type Names struct {
	Sources, Stages, Users map[int64]string
}

// Options say how to write an export.
type Options struct {
	Format Format
	Comma  rune // CSV only: ',' (the default) or ';', which Excel in a Russian locale expects
	Names  Names
	Zone   *time.Location // of the times written; nil is UTC
	// Started, if set, is called once the first lead is written: the
	// export is under way (the file may not have reached the writer yet).
	Started func()
}

// Header is the export's first row. Import reads the same names back.
var Header = []string{"ID", "Создан", "Имя", "Телефон", "Email", "Источник", "Этап", "Ответственный", "Сумма",
	"Первый лид контакта", "Недозвон", "UTM source", "UTM medium", "UTM campaign", "UTM content", "UTM term",
	"Referrer", "Комментарий", "Доп. поля"}

// Writer writes leads to a file, one at a time; Close finishes the file.
type Writer interface {
	Write(l *lead.Lead) error
	Close() error
	abort() // drop an unfinished file and its temporary files
}

// NewWriter starts an export to w: the header is written at once.
func NewWriter(w io.Writer, o Options) (Writer, error) {
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.Format == XLSX {
		return newXLSX(w, o)
	}
	return newCSV(w, o)
}

// row returns the values of Header for a lead.
func (o *Options) row(l *lead.Lead) []string {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	name := func(m map[int64]string, id *int64) string {
		if id == nil {
			return ""
		}
		if n, ok := m[*id]; ok {
			return n
		}
		return "#" + strconv.FormatInt(*id, 10)
	}
	noAnswer := ""
	if l.NotAnswer != nil && *l.NotAnswer {
		noAnswer = "да"
	}
	comment, extra := splitExtra(l.Extra)
	return []string{strconv.FormatInt(l.ID, 10), time.Unix(l.DtCreate, 0).In(o.Zone).Format("02.01.2006 15:04:05"),
		str(l.Name), str(l.Phone), str(l.Email), name(o.Names.Sources, l.SourceID), name(o.Names.Stages, l.FunnelStageID),
		name(o.Names.Users, l.UserIDOwner), num(l.Cost), num(l.FirstID), noAnswer,
		str(l.UTMSource), str(l.UTMMedium), str(l.UTMCampaign), str(l.UTMContent), str(l.UTMTerm), str(l.Referrer),
		comment, extra}
}

// splitExtra takes a form's comment out of a lead's extra fields, and
// returns the rest as compact JSON ("" for none).
func splitExtra(raw json.RawMessage) (comment, rest string) {
	if len(raw) == 0 {
		return "", ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "", string(raw)
	}
	for _, k := range []string{"comment", "Comment", "комментарий", "Комментарий"} {
		if v, ok := m[k]; ok {
			var s string
			if json.Unmarshal(v, &s) == nil {
				comment = s
				delete(m, k)
				break
			}
		}
	}
	if len(m) == 0 {
		return comment, ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return comment, string(raw)
	}
	return comment, string(b)
}

type csvWriter struct {
	o   Options
	buf *bufio.Writer
	w   *csv.Writer
}

func newCSV(w io.Writer, o Options) (*csvWriter, error) {
	c := &csvWriter{o: o, buf: bufio.NewWriterSize(w, 64<<10)}
	c.w = csv.NewWriter(c.buf)
	if o.Comma == ';' {
		c.w.Comma = ';'
	}
	c.w.UseCRLF = true // as Excel writes it
	if _, err := c.buf.WriteString("\uFEFF"); err != nil {
		return nil, err
	}
	return c, c.w.Write(Header)
}

func (c *csvWriter) Write(l *lead.Lead) error {
	row := c.o.row(l)
	for i, v := range row {
		row[i] = defuse(v)
	}
	return c.w.Write(row)
}

func (c *csvWriter) abort() {}

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}

// defuse keeps a spreadsheet from running a cell as a formula: a lead's
// name comes from anyone who fills a form, and "=HYPERLINK(…)" must stay
// text. A quote in front is how Excel itself marks text; import takes it
// off again.
func defuse(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// maxSheetRows is the most rows an XLSX sheet holds; an export longer than
// that goes on in a next sheet.
const maxSheetRows = 1_048_576

type xlsxWriter struct {
	o     Options
	limit int // rows of a sheet, the header included: maxSheetRows
	out   io.Writer
	f     *excelize.File
	sw    *excelize.StreamWriter
	sheet int // sheets begun
	row   int // rows written to the current sheet
}

// newXLSX starts a workbook through excelize's StreamWriter, which keeps
// the rows in a temporary file once they pass a few megabytes. The sheet
// is complete only after its last row, so the file is zipped to w at
// Close.
func newXLSX(w io.Writer, o Options) (*xlsxWriter, error) {
	x := &xlsxWriter{o: o, out: w, f: excelize.NewFile(), limit: maxSheetRows}
	// excelize zips a workbook into a bytes.Buffer, then copies that to w:
	// a million rows would be a hundred megabytes in memory. Its zip writer
	// writes to w itself instead, as it goes; the buffer stays empty.
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := x.nextSheet(); err != nil {
		x.f.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) nextSheet() error {
	if x.sw != nil {
		if err := x.sw.Flush(); err != nil {
			return err
		}
	}
	x.sheet++
	name := "Лиды"
	if x.sheet == 1 {
		if err := x.f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else {
		name = fmt.Sprintf("Лиды %d", x.sheet)
		if _, err := x.f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	x.sw, x.row = sw, 0
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return x.setRow(Header)
}

func (x *xlsxWriter) setRow(vals []string) error {
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	row := make([]any, len(vals))
	for i, v := range vals {
		row[i] = v
	}
	return x.sw.SetRow(cell, row)
}

func (x *xlsxWriter) Write(l *lead.Lead) error {
	if x.row == x.limit {
		if err := x.nextSheet(); err != nil {
			return err
		}
	}
	vals := x.o.row(l)
	row := make([]any, len(vals))
	for i, v := range vals {
		row[i] = clip(v)
	}
	// The id and the amount are numbers to a spreadsheet.
	row[0] = l.ID
	if l.Cost != nil {
		row[8] = *l.Cost
	}
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, row)
}

// maxCell is the most characters an XLSX cell holds.
const maxCell = 32767

// clip shortens a value to what a cell holds; only extra fields sent by a
// form can be that long.
func clip(v string) string {
	if len(v) <= maxCell {
		return v
	}
	r := []rune(v)
	if len(r) <= maxCell {
		return v
	}
	return string(r[:maxCell-1]) + "…"
}

func (x *xlsxWriter) abort() { x.f.Close() }

func (x *xlsxWriter) Close() error {
	err := x.sw.Flush()
	if err == nil {
		_, err = x.f.WriteTo(x.out)
	}
	return errors.Join(err, x.f.Close())
}

// Export writes a whole export to w: each calls yield for every lead, in
// order, and stops at its first error. On an error the file is left
// unfinished — an XLSX file is then not written at all.
func Export(w io.Writer, o Options, each func(yield func(lead.Lead) error) error) error {
	ew, err := NewWriter(w, o)
	if err != nil {
		return err
	}
	started := o.Started == nil
	if err := each(func(l lead.Lead) error {
		if err := ew.Write(&l); err != nil || started {
			return err
		}
		started = true
		o.Started()
		return nil
	}); err != nil {
		ew.abort()
		return err
	}
	return ew.Close()
}

// NamesOf indexes an account's reference data for an export.
func NamesOf(sources []lead.Source, stages []lead.Stage, users []lead.User) Names {
	n := Names{Sources: map[int64]string{}, Stages: map[int64]string{}, Users: map[int64]string{}}
	for _, x := range sources {
		n.Sources[x.ID] = x.Name
	}
	for _, x := range stages {
		n.Stages[x.ID] = x.Name
	}
	for _, x := range users {
		n.Users[x.ID] = x.Name
	}
	return n
}
