package store

import (
	"context"
	"fmt"
	"strings"

	"leadbox/internal/lead"
)

// CountLeadsUpTo counts the leads the filter selects (its cursor aside), but
// stops at limit: it returns limit and false when there are more. Counting
// stops early so that the inbox can show an exact total when it is cheap;
// a million-lead account's total is counted by CountLeadsUpTo(…, 0), which
// counts every lead, off the page's path. A filter of sources, stages,
// owners and duplicates alone is summed from lead_tallies: exact (true) at
// any size, limit or not.
func (s *Store) CountLeadsUpTo(ctx context.Context, accountID int64, f LeadFilter, limit int64) (n int64, exact bool, err error) {
	f.Before = 0
	if q, args, ok := tallyQuery(accountID, f); ok {
		if err := s.read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return 0, false, s.wrap(fmt.Errorf("count leads: %w", err))
		}
		return n, true, nil
	}
	lq := leadQuery(s.dialect, accountID, f)
	q := lq.sql("1")
	if limit > 0 {
		q += " LIMIT " + lq.arg(limit+1)
	}
	args := lq.args
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM ("+q+") AS matched", args...).Scan(&n); err != nil {
		return 0, false, s.wrap(fmt.Errorf("count leads: %w", err))
	}
	if limit > 0 && n > limit {
		return limit, false, nil
	}
	return n, true, nil
}

// tallyQuery returns the sum over lead_tallies (migration 0014) that counts
// the filter's leads, when it has no period and no search.
func tallyQuery(accountID int64, f LeadFilter) (string, []any, bool) {
	rest := f // whatever else the filter says, a field added later included, is counted from the leads
	rest.SourceID, rest.StageID, rest.OwnerID, rest.NoStage, rest.DuplicatesOnly, rest.Before, rest.Limit = nil, nil, nil, false, false, 0, 0
	if rest != (LeadFilter{}) {
		return "", nil, false
	}
	q := &leadSQL{args: []any{accountID}, where: []string{"account_id = $1"}}
	if f.SourceID != nil {
		q.add("source_id = ?", *f.SourceID)
	}
	if f.StageID != nil {
		q.add("stage_id = ?", *f.StageID)
	}
	if f.NoStage {
		q.where = append(q.where, "stage_id = 0")
	}
	if f.OwnerID != nil {
		q.add("owner_id = ?", *f.OwnerID)
	}
	if f.DuplicatesOnly {
		q.where = append(q.where, "dup")
	}
	return "SELECT coalesce(sum(n), 0) FROM lead_tallies WHERE " + strings.Join(q.where, " AND "), q.args, true
}

// exportPage is how many leads EachLead reads at a time.
const exportPage = 1000

// EachLead calls fn for every lead the filter selects (from its cursor on),
// newest first. It reads a page at a time by id, each page a query of its
// own: memory stays flat however many leads there are, no read transaction
// stays open for the whole walk (a SQLite checkpoint is never held back),
// and leads that arrive meanwhile, above the first id, are not included.
// An error from fn stops the walk and is returned.
func (s *Store) EachLead(ctx context.Context, accountID int64, f LeadFilter, fn func(lead.Lead) error) error {
	for {
		page, err := s.listLeads(ctx, accountID, f, exportPage)
		if err != nil {
			return err
		}
		for _, l := range page {
			if err := fn(l); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		f.Before = page[len(page)-1].ID
	}
}
