package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"leadbox/internal/lead"
)

// IdempotencyTTL is how long a sender's Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Idem is a request's Idempotency-Key and the hash of the body it came with.
type Idem struct {
	Key      string
	BodyHash string
}

// Intake is one accepted request to a webhook URL on its way to becoming a
// lead.
type Intake struct {
	Source   lead.Source
	Input    lead.Input
	Delivery lead.Delivery // what the delivery log keeps; Status is set here
	Idem     *Idem
	// Render encodes the answer for the new lead. It runs inside the
	// transaction so that the answer an Idempotency-Key replays is stored
	// with the lead, atomically.
	Render func(*lead.Lead) ([]byte, error)
}

// Outcome is what became of an Intake: a new lead, or the answer an earlier
// request with the same Idempotency-Key got.
type Outcome struct {
	Lead     lead.Lead
	Status   int
	Body     []byte
	Replayed bool
}

// errIdemRace means another process stored the same Idempotency-Key first.
var errIdemRace = errors.New("idempotency key taken concurrently")

// CreateLead stores a new lead from a webhook request together with its
// delivery-log row and Idempotency-Key, in one transaction: when it returns
// nil, the lead is durably committed. A field that names another account's
// row fails with EInvalid and nothing is written (the caller logs the
// rejection with LogDelivery).
func (s *Store) CreateLead(ctx context.Context, in Intake) (Outcome, error) {
	src := in.Source
	d := in.Delivery
	return s.create(ctx, creation{account: src.AccountID, source: &src, input: in.Input,
		delivery: &d, idem: in.Idem, via: "webhook", render: in.Render})
}

// create runs a creation through the lead pipeline (pipeline.go): the
// store's writer commits it in a group with whatever else is waiting
// (batch.go) — a commit, SQLite's fsync or PostgreSQL's round trips and WAL
// flush, is paid once for the whole group.
func (s *Store) create(ctx context.Context, c creation) (Outcome, error) {
	for attempt := 0; ; attempt++ {
		out, err := s.writer.submit(ctx, c)
		// SQLite's "busy" is not retried here: busy_timeout has waited already,
		// and another wait would take the sender past its own deadline.
		retry := errors.Is(err, errIdemRace) || (s.dialect.retryable(err) && s.dialect.name == "postgres")
		if retry && attempt < 4 && ctx.Err() == nil {
			continue // e.g. the key's winner has committed: the next attempt replays its answer
		}
		return out, s.wrap(err)
	}
}

// LogDelivery records a request that did not create a lead; like CreateLead,
// it fails with ErrSourceChanged when src is not the source's row as it is
// now. When the request
// carried an Idempotency-Key and its answer is final (not a 409, 429 or 503,
// which a retry may get past), the answer is stored for replay too.
func (s *Store) LogDelivery(ctx context.Context, src lead.Source, d lead.Delivery, idem *Idem, body []byte) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkSourceRev(ctx, tx, src); err != nil {
			return err
		}
		now := s.now()
		d.Received = now.UnixMilli()
		if _, err := insertDelivery(ctx, tx, &d, src, idem); err != nil {
			return err
		}
		if idem == nil || !cacheable(d.Status) {
			return nil
		}
		err := saveIdem(ctx, tx, src.ID, *idem, d.Status, body, now)
		if errors.Is(err, errIdemRace) {
			return nil // a concurrent request with this key answered first; keep its answer
		}
		return err
	})
}

func cacheable(status int) bool { return status == 400 || status == 422 }

func insertDelivery(ctx context.Context, tx dbtx, d *lead.Delivery, src lead.Source, idem *Idem) (*int64, error) {
	q, args := deliveryInsert(d, src, idem)
	var id int64
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&id); err != nil {
		return nil, fmt.Errorf("insert delivery: %w", err)
	}
	d.ID = id
	return &id, nil
}

// deliveryColumns are the columns of a delivery-log row that deliveryArgs
// gives values for. Deliveries' columns are written from here only.
const deliveryColumns = `account_id, source_id, received_at, method, content_type,
	remote_addr, status, errors, idempotency_key, replayed, body, body_truncated, query, mapped, mark, notes`

// deliveryInsert is the statement that writes a delivery-log row and returns
// its id; insertDelivery runs it. The lead pipeline writes a group's rows at
// once from deliveryArgs.
func deliveryInsert(d *lead.Delivery, src lead.Source, idem *Idem) (string, []any) {
	return `INSERT INTO deliveries (` + deliveryColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		deliveryArgs(d, src, idem)
}

// deliveryArgs returns the values of deliveryColumns for d.
func deliveryArgs(d *lead.Delivery, src lead.Source, idem *Idem) []any {
	key := d.IdempotencyKey
	if idem != nil {
		key = &idem.Key
	}
	var errs *string
	if len(d.Errors) > 0 {
		e := string(d.Errors)
		errs = &e
	}
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	var mapped *string
	if len(d.Mapped) > 0 {
		m := string(d.Mapped)
		mapped = &m
	}
	return []any{src.AccountID, src.ID, d.Received, d.Method, d.ContentType, d.RemoteAddr, d.Status, errs, key,
		d.Replayed, body, d.BodyTruncated, d.Query, mapped, d.Mark, d.Notes}
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// dbtx is what the write path runs statements on: a *sql.Tx, or a
// stmtTx that reuses prepared statements.
type dbtx interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// FindIdempotent returns the stored answer for an Idempotency-Key of the
// source: nil when the key is new or expired, EInvalid when it was used with
// another body.
func (s *Store) FindIdempotent(ctx context.Context, sourceID int64, idem Idem) (*Outcome, error) {
	out, err := s.findIdem(ctx, s.read, sourceID, idem, s.now())
	return out, s.wrap(err)
}

// findIdem returns the stored answer for the key, nil when there is none, or
// EInvalid when the key was used with another body.
func (s *Store) findIdem(ctx context.Context, tx querier, sourceID int64, idem Idem, now time.Time) (*Outcome, error) {
	var hash string
	var status int
	var body []byte
	err := tx.QueryRowContext(ctx, findIdemSQL, sourceID, idem.Key, now.Add(-IdempotencyTTL).Unix()).Scan(&hash, &status, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find idempotency key: %w", err)
	}
	return idemAnswer(idem, hash, status, body)
}

const findIdemSQL = `SELECT body_hash, status, response FROM idempotency_keys
	WHERE source_id = $1 AND key = $2 AND created_at > $3`

// idemAnswer is the answer a stored Idempotency-Key gives a request.
func idemAnswer(idem Idem, hash string, status int, body []byte) (*Outcome, error) {
	if hash != idem.BodyHash {
		return nil, lead.Errorf(lead.EInvalid, "Idempotency-Key",
			"Этот Idempotency-Key уже использован с другим телом запроса.")
	}
	return &Outcome{Status: status, Body: body, Replayed: true}, nil
}

const (
	expireIdemSQL = "DELETE FROM idempotency_keys WHERE source_id = $1 AND key = $2 AND created_at <= $3"
	insertIdemSQL = `INSERT INTO idempotency_keys (source_id, key, body_hash, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`
)

func saveIdem(ctx context.Context, tx dbtx, sourceID int64, idem Idem, status int, body []byte, now time.Time) error {
	// An expired row with the same key would block the insert.
	if _, err := tx.ExecContext(ctx, expireIdemSQL, sourceID, idem.Key, now.Add(-IdempotencyTTL).Unix()); err != nil {
		return fmt.Errorf("expire idempotency key: %w", err)
	}
	// ON CONFLICT rather than a failing insert: on PostgreSQL a unique
	// violation would abort the whole transaction. The insert still waits for
	// a concurrent transaction holding the same key to finish.
	res, err := tx.ExecContext(ctx, insertIdemSQL+" ON CONFLICT (source_id, key) DO NOTHING",
		sourceID, idem.Key, idem.BodyHash, status, body, now.Unix())
	if err != nil {
		return fmt.Errorf("save idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errIdemRace
	}
	return nil
}

// ExpireIdempotencyKeys deletes keys older than the TTL and returns how many.
func (s *Store) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	res, err := s.write.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE created_at <= $1",
		s.now().Add(-IdempotencyTTL).Unix())
	if err != nil {
		return 0, s.wrap(fmt.Errorf("expire idempotency keys: %w", err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}
