package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"leadbox/internal/lead"
)

// MaxPage is the most leads one page returns.
const MaxPage = 500

// LeadFilter selects an account's leads for the inbox and the API. Zero
// values select everything.
type LeadFilter struct {
	SourceID, StageID, OwnerID *int64
	From, To                   int64  // dtCreate ≥ From and < To, unix seconds; 0 leaves a side open
	DuplicatesOnly             bool   // only leads with a firstId
	NoStage                    bool   // only leads at no funnel stage (the kanban's first column)
	Phone                      string // a normalised phone, matched exactly
	Digits                     string // a part of a phone, digits only
	Text                       string // a part of a name or an email, any case
	Before                     int64  // cursor: only ids below this; 0 starts at the newest
	Limit                      int    // at most MaxPage; 0 means 50
}

// ListLeads returns the leads the filter selects, newest first. Paging is by
// id, so a page boundary stays put while new leads arrive.
func (s *Store) ListLeads(ctx context.Context, accountID int64, f LeadFilter) ([]lead.Lead, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	return s.listLeads(ctx, accountID, f, min(f.Limit, MaxPage))
}

// listLeads is ListLeads with a page of any size.
func (s *Store) listLeads(ctx context.Context, accountID int64, f LeadFilter, limit int) ([]lead.Lead, error) {
	q, args := listQuery(s.dialect, accountID, f, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list leads: %w", err))
	}
	defer rows.Close()
	out := []lead.Lead{}
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, s.wrap(fmt.Errorf("list leads: %w", err))
		}
		out = append(out, l)
	}
	return out, s.wrap(rows.Err())
}

// listQuery returns the statement of a page of limit leads the filter
// selects.
func listQuery(d dialect, accountID int64, f LeadFilter, n int) (string, []any) {
	q := leadQuery(d, accountID, f)
	q.period(f.From, f.To)
	limit := q.arg(n)
	return q.sql(leadColumns) + " ORDER BY " + q.key + " DESC LIMIT " + limit, q.args
}

// leadSQL is a query over the leads a filter selects.
type leadSQL struct {
	from  string // leads, or on SQLite the search index's matches joined to leads
	key   string // the lead's id as from orders and pages it
	where []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (q *leadSQL) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// add adds a condition whose ? is the argument v.
func (q *leadSQL) add(cond string, v any) {
	q.where = append(q.where, strings.ReplaceAll(cond, "?", q.arg(v)))
}

// sql returns the query selecting cols.
func (q *leadSQL) sql(cols string) string {
	return "SELECT " + cols + " FROM " + q.from + " WHERE " + strings.Join(q.where, " AND ")
}

// leadQuery returns the query over the leads the filter selects.
func leadQuery(d dialect, accountID int64, f LeadFilter) *leadSQL {
	q := &leadSQL{from: "leads", key: "id", args: []any{accountID}, where: []string{"account_id = $1", "deleted_at IS NULL"}}
	if f.SourceID != nil {
		q.add("source_id = ?", *f.SourceID)
	}
	if f.StageID != nil {
		q.add("funnel_stage_id = ?", *f.StageID)
	}
	if f.NoStage {
		q.where = append(q.where, "funnel_stage_id IS NULL")
	}
	if f.OwnerID != nil {
		q.add("user_id_owner = ?", *f.OwnerID)
	}
	if f.From > 0 {
		q.add("dt_create >= ?", f.From)
	}
	if f.To > 0 {
		q.add("dt_create < ?", f.To)
	}
	if f.DuplicatesOnly {
		q.where = append(q.where, "first_id IS NOT NULL")
	}
	if f.Phone != "" {
		q.add("phone = ?", f.Phone)
	}
	var terms []searchTerm
	if f.Digits != "" {
		terms = append(terms, searchTerm{searchKey(f.Digits), []string{"phone"}})
	}
	if f.Text != "" {
		terms = append(terms, searchTerm{searchKey(f.Text), []string{"name", "email"}})
	}
	q.search(d, terms)
	if f.Before > 0 {
		q.add(q.key+" < ?", f.Before)
	}
	return q
}

// period bounds the ids of a period's leads by the hours it touches
// (lead_hours, migration 0014), so that a page of the period, newest first,
// walks the ids down from the period's largest instead of from the newest
// lead. The dt_create conditions stay: the bounds only narrow where to look.
// No hours, no leads: a NULL bound selects nothing. A count goes without:
// it reads the period's entries of leads_account_period alone.
func (q *leadSQL) period(from, to int64) {
	// An hour's slack each side: dt_create / 3600 rounds towards zero.
	hours := "SELECT %s FROM lead_hours WHERE account_id = $1"
	if from > 0 {
		hours += " AND hour >= " + q.arg(from/3600-1)
	}
	if to > 0 {
		hours += " AND hour <= " + q.arg(to/3600+1)
	}
	if from > 0 {
		q.where = append(q.where, q.key+" >= ("+fmt.Sprintf(hours, "min(min_id)")+")")
	}
	if to > 0 {
		q.where = append(q.where, q.key+" <= ("+fmt.Sprintf(hours, "max(max_id)")+")")
	}
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// RelatedLeads returns the account's other leads with the same phone or
// email as l, newest first.
func (s *Store) RelatedLeads(ctx context.Context, l lead.Lead, limit int) ([]lead.Lead, error) {
	var conds []string
	args := []any{l.AccountID, l.ID}
	if l.Phone != nil {
		args = append(args, *l.Phone)
		conds = append(conds, "phone = $"+strconv.Itoa(len(args)))
	}
	if l.Email != nil {
		args = append(args, *emailKeyOf(l.Email))
		conds = append(conds, "email_key = $"+strconv.Itoa(len(args)))
	}
	out := []lead.Lead{}
	if len(conds) == 0 {
		return out, nil
	}
	args = append(args, limit)
	q := "SELECT " + leadColumns + " FROM leads WHERE account_id = $1 AND id <> $2 AND deleted_at IS NULL AND (" +
		strings.Join(conds, " OR ") + ") ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args))
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("related leads: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanLead(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}
