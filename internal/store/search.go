package store

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"leadbox/internal/lead"
)

// The one reading of a lead list's filter, for the API's GET /api/v1/leads
// and the managers' inbox: the query parameters, and what the search box
// means.

// FilterParams names a lead list's query parameters, which the API and the
// inbox spell differently, and the zone of its YYYY-MM-DD dates.
type FilterParams struct {
	Source, Stage, Owner, Duplicates string
	Limit, Cursor                    string // no Limit: the page size is not the request's to choose
	Zone                             *time.Location
}

// ParseLeadFilter reads a lead list's filter from a query string: ids, a
// period (unix seconds, or YYYY-MM-DD or DD.MM.YYYY days in p.Zone, the end
// day whole), duplicates only, the search box q, and the page (QueryPage).
// normalize reads a phone
// (intake.Decoder.NormalizePhone). Every wrong parameter is a message of one
// EInvalid error.
func ParseLeadFilter(q url.Values, p FilterParams, normalize func(string) (string, bool)) (LeadFilter, error) {
	bad := &lead.Error{Code: lead.EInvalid}
	var f LeadFilter
	f.SourceID = QueryID(q, p.Source, bad)
	f.StageID = QueryID(q, p.Stage, bad)
	f.OwnerID = QueryID(q, p.Owner, bad)
	f.From = queryTime(q, "from", "Начало периода", false, p.Zone, bad)
	f.To = queryTime(q, "to", "Конец периода", true, p.Zone, bad)
	switch v := q.Get(p.Duplicates); v {
	case "", "false", "0":
	case "true", "1":
		f.DuplicatesOnly = true
	default:
		bad.Addf(p.Duplicates, lead.MsgBoolean, p.Duplicates)
	}
	f.Search(q.Get("q"), normalize)
	f.Limit, f.Before = QueryPage(q, p.Limit, p.Cursor, bad)
	if len(bad.Fields) > 0 {
		return f, bad
	}
	return f, nil
}

// Search sets the filter to what the search box's text means: a phone in
// any format (digits, spaces and + ( ) - . only) that reads as a number is
// that phone exactly ("8 (999) 888-88-88" finds 79998888888); three or more
// digits of one are a part of a phone ("888-88" finds any phone holding
// 88888); anything else is a part of a name or an email ("ivan").
func (f *LeadFilter) Search(text string, normalize func(string) (string, bool)) {
	text = strings.TrimSpace(text)
	f.Phone, f.Digits, f.Text = "", "", ""
	if text == "" {
		return
	}
	if strings.Trim(text, "0123456789+()-. ") == "" {
		if phone, ok := normalize(text); ok {
			f.Phone = phone
			return
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, text)
		if len(digits) >= 3 {
			f.Digits = digits
			return
		}
	}
	f.Text = text
}

// searchKey is the form in which the search compares text: lower case, and
// «ё» written «е», so that «Семён Ёлкин» and «семен елкин» find each other
// both ways. The search indexes (migration 0011) hold searchColumns, the
// same form of each lead's name_key and email_key (lower-cased by Go, as
// here); phones are digits, which it leaves as they are.
func searchKey(s string) string { return strings.ReplaceAll(strings.ToLower(s), "ё", "е") }

// searchColumns are the search form of the columns the search box reads,
// by the names of leads_search's columns, written exactly as PostgreSQL's
// leads_search index has them (or the planner would not use it).
var searchColumns = map[string]string{
	"name":  "replace(name_key, 'ё', 'е')",
	"email": "replace(email_key, 'ё', 'е')",
	"phone": "phone",
}

// minTrigram is the shortest text the trigram indexes can look up.
const minTrigram = 3

// searchTerm is "one of cols (keys of searchColumns) holds text", text a
// searchKey.
type searchTerm struct {
	text string
	cols []string
}

// search adds the terms' conditions to q: each term's LIKE on the search
// columns, which decides, exactly. On PostgreSQL the pg_trgm index answers
// the LIKE of three characters or more (or, when many leads match, the
// planner walks the newest until fifty do). On SQLite the query then reads
// the candidates of leads_search newest first (dialect.searchMatch), and
// the LIKE checks each. Shorter text, which no trigram holds, is matched row
// by row, newest first, as it was before the index.
func (q *leadSQL) search(d dialect, terms []searchTerm) {
	var indexed []searchTerm
	for _, t := range terms {
		if d.searchMatch != nil && utf8.RuneCountInString(t.text) >= minTrigram {
			indexed = append(indexed, t)
		}
		p := q.arg("%" + escapeLike(t.text) + "%")
		like := make([]string, len(t.cols))
		for i, c := range t.cols {
			like[i] = searchColumns[c] + " LIKE " + p + ` ESCAPE '\'`
		}
		q.where = append(q.where, "("+strings.Join(like, " OR ")+")")
	}
	if len(indexed) > 0 {
		from, key, arg := d.searchMatch(len(q.args)+1, indexed)
		q.arg(arg)
		q.from, q.key = from, key
	}
}

// QueryID reads an optional row id from a query parameter: a positive
// integer, or nothing.
func QueryID(q url.Values, key string, bad *lead.Error) *int64 {
	v := strings.TrimSpace(q.Get(key))
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		bad.AddField(key, lead.MsgInteger)
		return nil
	}
	return &n
}

// queryTime reads unix seconds or a YYYY-MM-DD date in zone; a date as the
// end of a period includes that whole day.
func queryTime(q url.Values, key, label string, end bool, zone *time.Location, bad *lead.Error) int64 {
	v := strings.TrimSpace(q.Get(key))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return n
	}
	d, err := time.ParseInLocation(time.DateOnly, v, zone)
	if err != nil {
		d, err = time.ParseInLocation("2.1.2006", v, zone) // as Russian users write dates: 05.12.2026 or 5.12.2026
	}
	if err != nil {
		bad.Addf(key, lead.MsgFormat, label)
		return 0
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.Unix()
}

// defaultPage is how many items a list answers when the request says not.
const defaultPage = 50

// QueryPage reads a list's page: its size from the parameter named limit
// (1 to MaxPage; 50 when absent, or when limit is "") and the cursor, the id
// the page starts below.
func QueryPage(q url.Values, limitKey, cursor string, bad *lead.Error) (limit int, before int64) {
	limit = defaultPage
	if v := q.Get(limitKey); limitKey != "" && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > MaxPage {
			bad.Addf(limitKey, lead.MsgRange, limitKey, 1, MaxPage)
		} else {
			limit = n
		}
	}
	if v := q.Get(cursor); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			bad.Addf(cursor, lead.MsgFormat, cursor)
		} else {
			before = n
		}
	}
	return limit, before
}
