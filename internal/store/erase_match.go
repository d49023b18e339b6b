package store

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/url"
	"strings"

	"leadbox/internal/lead"
)

// matcher finds a subject's data in text that was not normalised: raw
// request bodies, query strings, history entries.
type matcher struct {
	phone string   // international digits, "" for none
	tail  string   // its last ten digits: what every way of writing it ends with
	texts []string // lower-cased values found as they are: the email, names, other contacts
}

func newMatcher(phone, email string) *matcher {
	m := &matcher{phone: phone, tail: phone}
	if len(phone) > 10 {
		m.tail = phone[len(phone)-10:]
	}
	if email != "" {
		m.texts = append(m.texts, strings.ToLower(email))
	}
	return m
}

// minLearned is the shortest value learn adds: a two-letter name would
// match half the history.
const minLearned = 4

// learn adds the names and contacts the leads and clients hold now: their
// history may hold them too (a name typed before the phone was).
func (m *matcher) learn(ctx context.Context, tx *sql.Tx, d dialect, accountID int64, leads, clients []int64) error {
	for _, q := range []struct {
		sql string
		ids []int64
	}{
		{"SELECT coalesce(name, ''), coalesce(phone, ''), coalesce(email, '') FROM leads WHERE account_id = $1 AND ", leads},
		{"SELECT name, coalesce(phone, ''), coalesce(email, '') FROM clients WHERE account_id = $1 AND ", clients},
	} {
		rows, err := tx.QueryContext(ctx, q.sql+d.inIDs(2), accountID, d.idsArg(q.ids))
		if err != nil {
			return err
		}
		for rows.Next() {
			var vs [3]string
			if err := rows.Scan(&vs[0], &vs[1], &vs[2]); err != nil {
				rows.Close()
				return err
			}
			for _, v := range vs {
				v = strings.ToLower(strings.TrimSpace(v))
				if len([]rune(v)) >= minLearned && v != strings.ToLower(lead.ErasedText) && !contains(m.texts, v) {
					m.texts = append(m.texts, v)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// contacts returns the matcher without the names learn added: the phone,
// the email and the contacts learned.
func (m *matcher) contacts() *matcher {
	c := &matcher{phone: m.phone, tail: m.tail}
	for _, t := range m.texts {
		if strings.IndexByte(t, '@') >= 0 || strings.Trim(t, "0123456789") == "" {
			c.texts = append(c.texts, t)
		}
	}
	return c
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// holds reports whether b holds the subject's phone, written any way
// (+7 (999) 123-45-67, 8 999 1234567, 9991234567, URL-encoded), or any of
// the texts, in any case.
func (m *matcher) holds(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if m.holdsText(b) {
		return true
	}
	if bytes.IndexByte(b, '%') >= 0 || bytes.IndexByte(b, '+') >= 0 {
		if u, err := url.QueryUnescape(string(b)); err == nil && m.holdsText([]byte(u)) {
			return true
		}
	}
	return false
}

func (m *matcher) holdsText(b []byte) bool {
	if m.phone != "" && m.holdsPhone(b) {
		return true
	}
	if len(m.texts) == 0 {
		return false
	}
	low := bytes.ToLower(b)
	for _, t := range m.texts {
		if containsWhole(low, []byte(t)) {
			return true
		}
	}
	return false
}

// containsWhole reports whether low holds t as a whole value: an email or
// a number is not found inside a longer one (ivan@mail.ru is not in
// petrivan@mail.ru nor in ivan@mail.ru.com; 9161234 is not in 79161234567).
// Other texts (names) are found anywhere.
func containsWhole(low, t []byte) bool {
	email := bytes.IndexByte(t, '@') >= 0
	digits := len(t) > 0 && strings.Trim(string(t), "0123456789") == ""
	if !email && !digits {
		return bytes.Contains(low, t)
	}
	for from := 0; ; {
		i := bytes.Index(low[from:], t)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(t)
		from = start + 1
		if digits {
			if (start == 0 || !isDigit(low[start-1])) && (end == len(low) || !isDigit(low[end])) {
				return true
			}
			continue
		}
		// An email's local part goes on to the left in these characters, its
		// domain to the right in letters, digits, '-' and '.' before a label.
		before := start > 0 && (isAlnum(low[start-1]) || strings.IndexByte("._%+-!#$&'*/=?^`{|}~", low[start-1]) >= 0)
		after := end < len(low) && (isAlnum(low[end]) || low[end] == '-' || low[end] == '_' ||
			low[end] == '.' && end+1 < len(low) && (isAlnum(low[end+1]) || low[end+1] == '-'))
		if !before && !after {
			return true
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// holdsPhone looks at every run of digits in b, separators a number is
// written with ( ()-.+) left out: a run is the phone when it is the phone,
// or its last ten digits after nothing or after what goes before them when
// it is dialled: its country code, 00 and the code, 810 and the code, a
// trunk prefix (8 for +7, 0 elsewhere). Another country's number ending in
// the same ten digits, or a longer number holding them, is not the phone.
// In free text a number may follow another after a separator («заявка 2
// +7 916 …»): a run's part from a separator on is the phone when it is
// written in full (with its code or trunk prefix), not its bare ten digits,
// which end another country's number as well (+1 916 123-4567).
func (m *matcher) holdsPhone(b []byte) bool {
	run := make([]byte, 0, 20)
	var starts []int // where the run's digits went on after a separator
	check := func() bool {
		ok := m.isPhone(string(run), true)
		for _, i := range starts {
			ok = ok || m.isPhone(string(run[i:]), false)
		}
		run, starts = run[:0], starts[:0]
		return ok
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if i > 0 && len(run) > 0 && (b[i-1] < '0' || b[i-1] > '9') {
				starts = append(starts, len(run))
			}
			run = append(run, c)
		case len(run) > 0 && strings.IndexByte(" ()-.+", c) >= 0 && i+1 < len(b) && strings.IndexByte("0123456789 ()-.+", b[i+1]) >= 0:
			// a separator inside a number
		default:
			if len(run) > 0 && check() {
				return true
			}
		}
	}
	return len(run) > 0 && check()
}

// isPhone reports whether a run of digits is the subject's phone; bare
// lets it be the last ten digits alone.
func (m *matcher) isPhone(run string, bare bool) bool {
	if run == m.phone || run == "00"+m.phone {
		return true
	}
	prefix, ok := strings.CutSuffix(run, m.tail)
	if !ok || len(m.phone) <= len(m.tail) {
		return false
	}
	cc := m.phone[:len(m.phone)-len(m.tail)]
	trunk := "0"
	if cc == "7" {
		trunk = "8"
	}
	switch prefix {
	case "":
		return bare
	case cc, "00" + cc, "810" + cc, trunk:
		return true
	}
	return false
}

// maxFilePart bounds what holdsFile reads of one part of a spreadsheet.
const maxFilePart = 64 << 20

// holdsFile reports whether an uploaded spreadsheet holds the subject: a
// CSV as it is, an XLSX (a zip of XML parts) part by part, uncompressed.
func (m *matcher) holdsFile(data []byte) bool {
	if m.holds(data) {
		return true
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			continue
		}
		part, err := io.ReadAll(io.LimitReader(rc, maxFilePart))
		rc.Close()
		if err == nil && m.holds(part) {
			return true
		}
	}
	return false
}

// redactChanges replaces the personal values of a history entry (a JSON
// object of field → [old, new]) with lead.ErasedText — with onlyHolding, the
// values that hold the subject; ok is false when it holds none.
func (m *matcher) redactChanges(raw []byte, onlyHolding bool) ([]byte, bool) {
	var changes map[string]json.RawMessage
	if err := json.Unmarshal(raw, &changes); err != nil {
		if m.holds(raw) {
			return []byte("{}"), true // not an object: nothing worth keeping
		}
		return nil, false
	}
	changed := false
	for k, v := range changes {
		personal := (personalFields[k] || strings.HasPrefix(k, "extra")) && !onlyHolding
		if !personal && !m.holds(v) {
			continue
		}
		var pair []json.RawMessage
		if err := json.Unmarshal(v, &pair); err != nil {
			pair = []json.RawMessage{v}
		}
		erased, _ := json.Marshal(lead.ErasedText)
		for i, p := range pair {
			if string(p) != "null" && (personal || m.holds(p)) {
				pair[i] = erased
			}
		}
		out, _ := json.Marshal(pair)
		if !bytes.Equal(out, v) {
			changes[k], changed = out, true
		}
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(changes)
	return out, err == nil
}

// redactPayload redacts the changes a queued event carries (job.go's
// leadEventPayload).
func (m *matcher) redactPayload(raw []byte, onlyHolding bool) ([]byte, bool) {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, false
	}
	c, ok := p["changes"]
	if !ok {
		return nil, false
	}
	out, ok := m.redactChanges(c, onlyHolding)
	if !ok {
		return nil, false
	}
	p["changes"] = out
	b, err := json.Marshal(p)
	return b, err == nil
}
