package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"leadbox/internal/lead"
)

// SetSourceReading changes how a source reads senders' requests: its preset,
// aliases, GET, CORS, thank-you page, honeypot and rate limit. It takes
// effect with the next request.
func (s *Store) SetSourceReading(ctx context.Context, accountID, id int64, r lead.Reading) (lead.Source, error) {
	if err := r.Check(); err != nil {
		return lead.Source{}, err
	}
	aliases, err := json.Marshal(r.Aliases)
	if err != nil {
		return lead.Source{}, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sources SET preset = $1, aliases = $2, allow_get = $3, cors_origins = $4,
			redirect_url = $5, honeypot = $6, rate_per_min = $7, confirm_code = $10, sender_secret = $11, quiet_minutes = $12
			WHERE id = $8 AND account_id = $9`,
			r.Preset, string(aliases), r.AllowGet, strings.Join(r.CORSOrigins, "\n"), r.RedirectURL, r.Honeypot,
			r.RatePerMinute, id, accountID, r.Confirmation, r.SenderSecret, r.QuietMinutes)
		return mustAffect(res, err, "source")
	})
	if err != nil {
		return lead.Source{}, err
	}
	return s.GetSource(ctx, accountID, id)
}

// GetDelivery returns one request of a source's delivery log.
func (s *Store) GetDelivery(ctx context.Context, accountID, sourceID, id int64) (lead.Delivery, error) {
	list, err := s.deliveries(ctx, "d.id = $1 AND d.source_id = $2 AND d.account_id = $3", id, sourceID, accountID)
	if err != nil {
		return lead.Delivery{}, err
	}
	if len(list) == 0 {
		return lead.Delivery{}, notFound("delivery")
	}
	return list[0], nil
}

// quarantinedWhere picks the deliveries lead.Delivery.Quarantined accepts.
var quarantinedWhere = func() string {
	statuses := make([]string, len(lead.QuarantineStatuses))
	for i, st := range lead.QuarantineStatuses {
		statuses[i] = strconv.Itoa(st)
	}
	return `d.body_truncated = $4 AND d.replayed = $4 AND d.reprocessed_at IS NULL AND d.erased_at IS NULL
	AND (d.status IN (` + strings.Join(statuses, ", ") + `) OR d.mark = '` + lead.MarkSpam + `')
	AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.delivery_id = d.id)`
}()

// QuarantinedDeliveries returns up to limit of a source's rejected requests
// that can still be re-processed into leads, oldest first, with ids above
// after.
func (s *Store) QuarantinedDeliveries(ctx context.Context, accountID, sourceID, after int64, limit int) ([]lead.Delivery, error) {
	return s.deliveries(ctx, `d.source_id = $1 AND d.account_id = $2 AND d.id > $3 AND `+quarantinedWhere+`
		ORDER BY d.id LIMIT $5`, sourceID, accountID, after, false, limit)
}

// Reprocessed is a quarantined request read again by its source's current
// settings.
type Reprocessed struct {
	Input  lead.Input
	Mapped json.RawMessage // the fields as read, for the delivery log
	// Render encodes the answer the sender would have got, so that a retry
	// with the request's Idempotency-Key gets the new lead.
	Render func(*lead.Lead) ([]byte, error)
}

// ReprocessDelivery turns a quarantined request into a lead: read reads the
// request again (by the source's settings now) and the lead is stored
// pointing at the original delivery, which is marked re-processed. userID is
// the admin who asked, for the lead's history. A request that still fails
// stays quarantined and its error is returned.
//
// The lead goes through the pipeline like any other, serialised with the
// webhook's duplicate decisions; the pipeline claims the delivery, so two
// admins re-processing one request make one lead.
func (s *Store) ReprocessDelivery(ctx context.Context, accountID, sourceID, deliveryID int64, userID *int64,
	read func(lead.Source, lead.Delivery) (Reprocessed, error)) (lead.Lead, error) {
	for attempt := 0; ; attempt++ {
		d, err := s.GetDelivery(ctx, accountID, sourceID, deliveryID)
		if err != nil {
			return lead.Lead{}, err
		}
		if !d.Quarantined() {
			return lead.Lead{}, lead.Errorf(lead.EConflict, "delivery", msgNotQuarantined)
		}
		src, err := s.GetSource(ctx, accountID, sourceID)
		if err != nil {
			return lead.Lead{}, err
		}
		rp, err := read(src, d)
		if err != nil {
			return lead.Lead{}, err
		}
		out, err := s.create(ctx, creation{account: accountID, source: &src, input: rp.Input,
			from: &d, mapped: rp.Mapped, actor: userID, action: "reprocess", via: "reprocess", render: rp.Render})
		if errors.Is(err, ErrSourceChanged) {
			if attempt < 2 {
				continue // read by settings changed meanwhile: read it again by the new ones
			}
			return lead.Lead{}, lead.Errorf(lead.EConflict, "source", msgSourceChanging)
		}
		return out.Lead, err
	}
}

// originSQL reads the state of a delivery being re-processed ($1, of account
// $2) and of its Idempotency-Key ($4, of source $3), for scanOrigin. An
// erased request counts as done: read before its erasure, it must not bring
// the subject's data back as a lead.
const originSQL = `SELECT d.reprocessed_at IS NOT NULL OR d.erased_at IS NOT NULL OR EXISTS (SELECT 1 FROM leads l WHERE l.delivery_id = d.id),
	coalesce((SELECT k.status FROM idempotency_keys k WHERE k.source_id = $3 AND k.key = $4), 0)
	FROM deliveries d WHERE d.id = $1 AND d.account_id = $2`

func scanOrigin(row scanner) (origin, error) {
	o := origin{exists: true}
	err := row.Scan(&o.reprocessed, &o.keyStatus)
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return origin{}, nil
	}
	if err != nil {
		return origin{}, fmt.Errorf("read delivery: %w", err)
	}
	return o, nil
}

func originState(ctx context.Context, tx querier, o originLookup) (origin, error) {
	return scanOrigin(tx.QueryRowContext(ctx, originSQL, o.delivery, o.account, o.source, plain(o.key)))
}

const (
	msgSourceChanging = "Настройки источника меняются прямо сейчас, повторите позже."
	msgNotQuarantined = "Этот запрос уже стал лидом или не может быть обработан повторно."
	msgRetried        = "Отправитель уже повторил этот запрос, и лид по нему создан."
)
