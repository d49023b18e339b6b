package ui

import (
	"context"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"leadbox/internal/lead"
	"leadbox/internal/leadfile"
	"leadbox/internal/store"
)

// Import from a spreadsheet: upload (POST /import) → the column mapping
// (GET /import/{id}) → a dry run or the import (POST /import/{id}). The
// file waits in the database between the steps, so any process of a
// PostgreSQL deployment can take the next one. Every row is read by the
// webhook's own rules and created through the lead pipeline, so
// duplicates are marked as the webhook's are.
const (
	importMaxBytes  = 5 << 20
	importMaxRows   = 10_000
	importShowRows  = 5   // rows shown under the mapping
	importShowFails = 100 // rows' errors listed
	importTime      = 15 * time.Minute
)

type importData struct {
	ID      int64
	Name    string
	Header  []string
	Mapping []string
	Sample  [][]string
	Rows    int
	Targets []leadfile.Target
	Names   *names
	Source  string // the source, stage and owner every row gets
	Stage   string
	Owner   string
	Result  *importResult
	MaxMB   int
	MaxRows int
}

type importResult struct {
	Dry                bool
	OK, Failed         int
	Created, Duplicate int
	Fails              []importFail // the first importShowFails
}

type importFail struct {
	Row     int // as a spreadsheet numbers it: the header is row 1
	Message string
}

func (s *Server) handleImportForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "import", s.newView(w, r, "inbox", "import.title", importData{MaxMB: importMaxBytes >> 20, MaxRows: importMaxRows}))
}

// limitUpload refuses a body larger than an import file may be before
// anything reads it, with a message a person understands.
func (s *Server) limitUpload(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const limit = importMaxBytes + 64<<10 // the form's other fields and the multipart framing
		if r.ContentLength > limit {
			if ss, err := s.loadSession(r); err == nil { // for the page's menu and language only
				r = r.WithContext(contextWithSession(r, ss))
			}
			s.uiError(w, r, lead.Errorf(lead.ETooLarge, "file", msgImportSize, importMaxBytes>>20))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// handleImportUpload takes the file, checks it reads as a table, keeps it
// and goes on to the mapping.
func (s *Server) handleImportUpload(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		s.formError(w, r, lead.Errorf(lead.EInvalid, "file", msgImportNoFile), "/import")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, importMaxBytes+1))
	if err == nil && len(data) > importMaxBytes {
		err = lead.Errorf(lead.EInvalid, "file", msgImportSize, importMaxBytes>>20)
	}
	if err == nil {
		_, err = leadfile.ReadTable(hdr.Filename, data, importMaxRows)
	}
	if err != nil {
		s.formError(w, r, err, "/import")
		return
	}
	id, err := s.store.SaveImportFile(r.Context(), ss.User.AccountID, ss.User.ID, hdr.Filename, data)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, "/import/"+itoa(id), http.StatusSeeOther)
}

// loadImport reads an uploaded file back for its mapping page.
func (s *Server) loadImport(r *http.Request) (importData, leadfile.Table, error) {
	ss := sessionOf(r)
	d := importData{Targets: leadfile.Targets, MaxMB: importMaxBytes >> 20, MaxRows: importMaxRows}
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return d, leadfile.Table{}, err
	}
	name, data, err := s.store.ImportFile(r.Context(), ss.User.AccountID, ss.User.ID, id)
	if err != nil {
		return d, leadfile.Table{}, err
	}
	t, err := leadfile.ReadTable(name, data, importMaxRows)
	if err != nil {
		return d, t, err
	}
	if d.Names, err = s.loadNames(r.Context(), ss.User.AccountID, false); err != nil {
		return d, t, err
	}
	d.ID, d.Name, d.Header, d.Rows = id, name, t.Header, len(t.Rows)
	d.Sample = t.Rows[:min(importShowRows, len(t.Rows))]
	for _, h := range t.Header {
		d.Mapping = append(d.Mapping, leadfile.Guess(h))
	}
	return d, t, nil
}

func (s *Server) handleImportMapping(w http.ResponseWriter, r *http.Request) {
	d, _, err := s.loadImport(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "import", s.newView(w, r, "inbox", "import.title", d))
}

// handleImportRun checks every row by the mapping the form sends (a dry
// run), or imports the rows that pass.
func (s *Server) handleImportRun(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	d, t, err := s.loadImport(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	for i := range d.Mapping {
		if v, ok := r.PostForm["col"+strconv.Itoa(i)]; ok && len(v) > 0 && validTarget(v[0]) {
			d.Mapping[i] = v[0]
		}
	}
	d.Source, d.Stage, d.Owner = r.PostFormValue("source"), r.PostFormValue("stage"), r.PostFormValue("owner")
	defaults, err := s.importDefaults(d)
	if err != nil {
		s.formError(w, r, err, "/import/"+itoa(d.ID))
		return
	}
	dry := r.PostFormValue("action") != "import"
	// The import goes on if the browser stops waiting: half a file
	// imported, then imported again, would make every lead twice.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), importTime)
	defer cancel()
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(importTime))
	res := &importResult{Dry: dry}
	rows := make([]importRow, len(t.Rows))
	byName := newNameIndex(d.Names)
	for i, row := range t.Rows {
		rows[i].in, rows[i].err = s.importRow(t.Header, row, d.Mapping, defaults, byName)
	}
	if !dry {
		if err := s.importRows(ctx, ss.User.AccountID, ss.User.ID, rows); err != nil {
			s.uiError(w, r, err) // the database failed: what is imported stays, and the file too
			return
		}
	}
	for i, row := range rows {
		if row.err != nil {
			res.Failed++
			if len(res.Fails) < importShowFails {
				res.Fails = append(res.Fails, importFail{Row: i + 2, Message: s.errorText(r, row.err)})
			}
			continue
		}
		res.OK++
		if row.dup {
			res.Duplicate++
		}
	}
	if !dry {
		res.Created = res.OK
		if err := s.store.DeleteImportFile(ctx, ss.User.AccountID, ss.User.ID, d.ID); err != nil {
			s.log.Warn("import file left", "id", d.ID, "err", err)
		}
	}
	d.Result = res
	s.render(w, r, http.StatusOK, "import", s.newView(w, r, "inbox", "import.title", d))
}

// importRow is one row of a file being imported: the lead read from it, or
// why not; once imported, whether it is a duplicate.
type importRow struct {
	in  lead.Input
	err error
	dup bool
}

// importWorkers is how many rows are created at once: the lead pipeline
// writes concurrent requests in one transaction, a commit for a group
// instead of one per row.
const importWorkers = 8

// importRows creates the leads of the rows read without an error, through
// the lead pipeline. Rows of one contact (phone, else email) go to one
// worker, in the file's order, so that the earlier is the first lead and
// the later its duplicate. A row the pipeline refuses keeps its error; a
// failure of the database stops the import and is returned.
func (s *Server) importRows(ctx context.Context, acct, user int64, rows []importRow) error {
	var parts [importWorkers][]int
	for i, row := range rows {
		if row.err != nil {
			continue
		}
		key := strconv.Itoa(i)
		if row.in.Phone != nil {
			key = *row.in.Phone
		} else if row.in.Email != nil {
			key = strings.ToLower(*row.in.Email)
		}
		h := fnv.New32a()
		h.Write([]byte(key))
		parts[h.Sum32()%importWorkers] = append(parts[h.Sum32()%importWorkers], i)
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, part := range parts {
		g.Go(func() error {
			for _, i := range part {
				l, err := s.store.AddLead(ctx, store.NewLead{AccountID: acct, UserID: &user, Input: rows[i].in, Via: "import"})
				if err != nil && !isRowError(err) {
					return err
				}
				rows[i].err, rows[i].dup = err, err == nil && l.FirstID != nil
			}
			return nil
		})
	}
	return g.Wait()
}

// importRow reads one row as a webhook sender's request, finds the source,
// stage and owner its cells name, then gives it the defaults chosen for the
// file where it names none.
func (s *Server) importRow(header, row, mapping []string, defaults lead.Input, byName nameIndex) (lead.Input, error) {
	obj, err := leadfile.Object(header, row, mapping)
	if err != nil {
		return lead.Input{}, err
	}
	in, err := s.decoder.DecodeJSON(obj)
	if err != nil {
		return in, err
	}
	if err := byName.resolve(leadfile.NamedCells(row, mapping), &in); err != nil {
		return in, err
	}
	for _, p := range []struct{ dst, def **int64 }{{&in.SourceID, &defaults.SourceID}, {&in.FunnelStageID, &defaults.FunnelStageID},
		{&in.UserIDOwner, &defaults.UserIDOwner}} {
		if *p.dst == nil {
			*p.dst = *p.def
		}
	}
	return in, nil
}

// importDefaults reads the source, stage and owner chosen for every row.
func (s *Server) importDefaults(d importData) (lead.Input, error) {
	var in lead.Input
	var err error
	for _, p := range []struct {
		v   string
		dst **int64
	}{{d.Source, &in.SourceID}, {d.Stage, &in.FunnelStageID}, {d.Owner, &in.UserIDOwner}} {
		if *p.dst, err = formID(p.v); err != nil {
			return in, err
		}
	}
	return in, nil
}

func validTarget(t string) bool {
	for _, x := range leadfile.Targets {
		if x.Key == t {
			return true
		}
	}
	return false
}

// isRowError reports whether err is about the row, not the database.
func isRowError(err error) bool {
	switch lead.ErrorCode(err) {
	case lead.EInvalid, lead.EMalformed, lead.EConflict, lead.ETooLarge:
		return true
	}
	return false
}

// errorText is an error's messages in the user's language.
func (s *Server) errorText(r *http.Request, err error) string {
	var e *lead.Error
	if le, ok := err.(*lead.Error); ok {
		e = le
	} else {
		e = lead.Errorf(lead.EInvalid, "row", msgImportRow)
	}
	return messages(sessionOf(r).Lang, e)
}

const (
	msgImportSize   = "Файл больше %d МБ: разделите его на части."
	msgImportNoFile = "Выберите файл CSV или XLSX."
	msgImportRow    = "Строку не удалось прочитать."
)
