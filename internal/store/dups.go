package store

import (
	"context"
	"fmt"

	"leadbox/internal/lead"
)

// ContactDuplicates is what a new lead with these contacts would be told
// about its duplicates now: the lead pipeline's firstId (the account's
// earliest lead with the phone or the email key) and otherCount, and the
// earliest few of those leads, for a manager to see before creating one.
type ContactDuplicates struct {
	FirstID *int64
	Count   int64
	Leads   []lead.Lead // oldest first, at most the limit asked for
}

// FindDuplicates looks a contact up as the pipeline does (pipeline.go):
// phone is a normalised phone (intake's NormalizePhone), email an address
// (compared by its key); either may be nil.
func (s *Store) FindDuplicates(ctx context.Context, accountID int64, phone, email *string, limit int) (ContactDuplicates, error) {
	var d ContactDuplicates
	key := emailKeyOf(email)
	if phone == nil && key == nil {
		return d, nil
	}
	where := "account_id = $1 AND deleted_at IS NULL AND (phone = $2 OR email_key = $3)"
	if err := s.read.QueryRowContext(ctx, "SELECT min(id), count(*) FROM leads WHERE "+where, accountID, phone, key).
		Scan(&d.FirstID, &d.Count); err != nil {
		return d, s.wrap(fmt.Errorf("find duplicates: %w", err))
	}
	if d.Count == 0 || limit <= 0 {
		return d, nil
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+leadColumns+" FROM leads WHERE "+where+" ORDER BY id LIMIT $4", accountID, phone, key, limit)
	if err != nil {
		return d, s.wrap(fmt.Errorf("find duplicates: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return d, s.wrap(fmt.Errorf("find duplicates: %w", err))
		}
		d.Leads = append(d.Leads, l)
	}
	return d, s.wrap(rows.Err())
}
