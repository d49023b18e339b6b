package store

import (
	"context"
	"database/sql"
	"errors"

	"leadbox/internal/lead"
)

// MaxBulk is the most leads one bulk change takes.
const MaxBulk = 500

// bulkChunk is how many leads one transaction of a bulk change edits, so
// that the single writer is never held for long.
const bulkChunk = 100

const msgBulkMax = "За один раз можно изменить не больше %d лидов."

// EditLeads applies one patch to many leads of the account, each lead as
// UpdateLead would (its own history entry and lead.updated event, in the
// transaction that changes it). Leads gone meanwhile are skipped; it
// returns how many leads changed.
func (s *Store) EditLeads(ctx context.Context, accountID int64, userID *int64, ids []int64, p LeadPatch) (int, error) {
	return s.eachLeadTx(ctx, accountID, ids, func(tx *sql.Tx, id int64) (bool, error) {
		_, changed, err := s.updateLeadTx(ctx, tx, accountID, userID, id, p)
		return changed, err
	})
}

// DeleteLeads deletes many leads of the account, each as DeleteLead would.
// Leads gone meanwhile are skipped; it returns how many were deleted.
func (s *Store) DeleteLeads(ctx context.Context, accountID int64, userID *int64, ids []int64) (int, error) {
	return s.eachLeadTx(ctx, accountID, ids, func(tx *sql.Tx, id int64) (bool, error) {
		return true, s.deleteLeadTx(ctx, tx, accountID, userID, id)
	})
}

// eachLeadTx runs one edit per lead of the account, bulkChunk leads a
// transaction, and counts the leads it changed; a lead not found is
// skipped. Each transaction first takes the account's tallies in key order
// (dialect.lockTallies): edited one by one, the leads would take them in
// their own order, and two bulk edits, or one and the pipeline, deadlocked.
func (s *Store) eachLeadTx(ctx context.Context, accountID int64, ids []int64, edit func(tx *sql.Tx, id int64) (bool, error)) (int, error) {
	if len(ids) > MaxBulk {
		return 0, lead.Errorf(lead.EInvalid, "ids", msgBulkMax, MaxBulk)
	}
	total := 0
	for start := 0; start < len(ids); start += bulkChunk {
		chunk := ids[start:min(start+bulkChunk, len(ids))]
		n := 0
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			n = 0
			if s.dialect.lockTallies != "" {
				if _, err := tx.ExecContext(ctx, s.dialect.lockTallies, accountID); err != nil {
					return err
				}
			}
			for _, id := range chunk {
				changed, err := edit(tx, id)
				var le *lead.Error
				if errors.As(err, &le) && le.Code == lead.ENotFound {
					continue
				}
				if err != nil {
					return err
				}
				if changed {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		s.signalJobs()
	}
	return total, nil
}
