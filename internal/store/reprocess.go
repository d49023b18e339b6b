package store

import (
	"context"
	"errors"

	"leadbox/internal/lead"
)

// MaxReprocess is how many quarantined requests one call of
// ReprocessQuarantined is asked to re-process, from the API or the UI.
const MaxReprocess = 1000

// ReprocessFailure is a quarantined request that re-processing could not
// make a lead of, and why.
type ReprocessFailure struct {
	DeliveryID int64       `json:"deliveryId"`
	Errors     *lead.Error `json:"errors"`
}

// ReprocessQuarantined re-processes a source's quarantined requests with
// ReprocessDelivery, oldest first, at most limit of them, calling made for
// each lead made; it returns how many became leads and the errors of those
// that did not. It stops at the first failure of storage.
func (s *Store) ReprocessQuarantined(ctx context.Context, accountID, sourceID int64, userID *int64, limit int,
	read func(lead.Source, lead.Delivery) (Reprocessed, error), made func(lead.Lead)) (done int, failed []ReprocessFailure, err error) {
	var after int64
	for done+len(failed) < limit {
		list, err := s.QuarantinedDeliveries(ctx, accountID, sourceID, after, min(100, limit-done-len(failed)))
		if err != nil || len(list) == 0 {
			return done, failed, err
		}
		for _, d := range list {
			after = d.ID
			l, err := s.ReprocessDelivery(ctx, accountID, sourceID, d.ID, userID, read)
			var e *lead.Error
			switch c := lead.ErrorCode(err); {
			case err == nil:
				made(l)
				done++
			case c == lead.EUnavailable || c == lead.EInternal || !errors.As(err, &e):
				return done, failed, err
			default:
				failed = append(failed, ReprocessFailure{DeliveryID: d.ID, Errors: e})
			}
		}
	}
	return done, failed, nil
}
