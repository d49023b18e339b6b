package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"leadbox/internal/lead"
)

// tokenPrefix marks webhook tokens, so a leaked one is recognisable.
const tokenPrefix = "wh_"

const sourceColumns = `id, account_id, name, type, enabled, token, created_at,
	default_owner_id, default_stage_id, default_unit_id, default_city_id,
	preset, aliases, allow_get, cors_origins, redirect_url, honeypot, rate_per_min, rev,
	confirm_code, sender_secret, quiet_minutes`

// sourceRow is a sources row on its way into a lead.Source.
type sourceRow struct {
	src           lead.Source
	token         sql.NullString
	aliases, cors string
}

// dest returns the Scan destinations of sourceColumns, then more.
func (r *sourceRow) dest(more ...any) []any {
	s := &r.src
	return append([]any{&s.ID, &s.AccountID, &s.Name, &s.Type, &s.Enabled, &r.token, &s.Created,
		&s.DefaultOwnerID, &s.DefaultStageID, &s.DefaultUnitID, &s.DefaultCityID,
		&s.Preset, &r.aliases, &s.AllowGet, &r.cors, &s.RedirectURL, &s.Honeypot, &s.RatePerMinute, &s.Rev,
		&s.Confirmation, &s.SenderSecret, &s.QuietMinutes}, more...)
}

func (r *sourceRow) source() (lead.Source, error) {
	r.src.Token = r.token.String
	r.src.Aliases = map[string]string{}
	if err := json.Unmarshal([]byte(r.aliases), &r.src.Aliases); err != nil {
		return r.src, fmt.Errorf("source %d aliases: %w", r.src.ID, err)
	}
	if r.cors != "" {
		r.src.CORSOrigins = strings.Fields(r.cors)
	}
	return r.src, nil
}

func scanSource(row scanner) (lead.Source, error) {
	var r sourceRow
	if err := row.Scan(r.dest()...); err != nil {
		return lead.Source{}, err
	}
	return r.source()
}

// CreateSource adds a source to an account; a webhook source gets a fresh
// secret token.
func (s *Store) CreateSource(ctx context.Context, src lead.Source) (lead.Source, error) {
	var err error
	if src.Name, err = checkName(src.Name); err != nil {
		return src, err
	}
	if src.Type == "" {
		src.Type = lead.SourceWebhook
	}
	if !slices.Contains(lead.SourceTypes, src.Type) {
		return src, lead.Errorf(lead.EInvalid, "type", "Тип источника должен быть одним из: %s.", strings.Join(lead.SourceTypes, ", "))
	}
	if err := src.Reading.Check(); err != nil {
		return src, err
	}
	var hash *string
	src.Token = ""
	if src.Type == lead.SourceWebhook {
		src.Token = lead.NewToken(tokenPrefix)
		h := lead.HashToken(src.Token)
		hash = &h
	}
	src.Enabled, src.Created = true, s.now().Unix()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		probe := lead.Lead{AccountID: src.AccountID, UserIDOwner: src.DefaultOwnerID, FunnelStageID: src.DefaultStageID,
			LocationUnitID: src.DefaultUnitID, LocationCityID: src.DefaultCityID}
		if err := checkRefs(ctx, tx, &probe); err != nil {
			return err
		}
		var token *string
		if src.Token != "" {
			token = &src.Token
		}
		aliases, err := json.Marshal(src.Aliases)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO sources (account_id, name, type, enabled, token, token_hash, created_at,
			default_owner_id, default_stage_id, default_unit_id, default_city_id,
			preset, aliases, allow_get, cors_origins, redirect_url, honeypot, rate_per_min,
			confirm_code, sender_secret, quiet_minutes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id`,
			src.AccountID, src.Name, src.Type, src.Enabled, token, hash, src.Created,
			src.DefaultOwnerID, src.DefaultStageID, src.DefaultUnitID, src.DefaultCityID,
			src.Preset, string(aliases), src.AllowGet, strings.Join(src.CORSOrigins, "\n"), src.RedirectURL,
			src.Honeypot, src.RatePerMinute, src.Confirmation, src.SenderSecret, src.QuietMinutes).Scan(&src.ID)
	})
	if err != nil {
		return src, fmt.Errorf("create source: %w", err)
	}
	return src, nil
}

// SourceByToken finds the webhook source a URL's token belongs to, by the
// hash of the token. The source may be a copy kept for up to a second (see
// sourceCache): every write made on its behalf — CreateLead, LogDelivery —
// checks in its own transaction that the row has not changed since, and
// fails with ErrSourceChanged when it has. FreshSourceByToken then reads the
// row again.
func (s *Store) SourceByToken(ctx context.Context, token string) (lead.Source, error) {
	hash := lead.HashToken(token)
	if src, ok := s.sources.get(hash); ok {
		return src, nil
	}
	return s.readSource(ctx, hash)
}

// FreshSourceByToken is SourceByToken from the row itself, never a copy.
func (s *Store) FreshSourceByToken(ctx context.Context, token string) (lead.Source, error) {
	hash := lead.HashToken(token)
	s.sources.drop(hash)
	return s.readSource(ctx, hash)
}

func (s *Store) readSource(ctx context.Context, hash string) (lead.Source, error) {
	gen, at := s.sources.generation(), time.Now()
	row := s.read.QueryRowContext(ctx, "SELECT "+sourceColumns+" FROM sources WHERE token_hash = $1", hash)
	src, err := scanSource(row)
	if errors.Is(err, sql.ErrNoRows) {
		return src, notFound("source")
	}
	if err != nil {
		return src, s.wrap(fmt.Errorf("source by token: %w", err))
	}
	s.sources.put(hash, src, gen, at)
	return src, nil
}

// ErrSourceChanged means that the source a request was handled with has
// changed since it was read — another process rotated its token, disabled
// it or changed how it reads requests — and nothing was written. Read the
// source again (FreshSourceByToken) and handle the request again.
var ErrSourceChanged = errors.New("the source changed since it was read")

const sourceRevSQL = "SELECT rev FROM sources WHERE id = $1"

// checkSourceRev returns ErrSourceChanged unless src is the source's row
// as it is now in tx.
func checkSourceRev(ctx context.Context, tx querier, src lead.Source) error {
	rev, err := sourceRev(ctx, tx, src.ID)
	if err != nil {
		return err
	}
	if rev != src.Rev {
		return ErrSourceChanged
	}
	return nil
}

// sourceRev returns the source's revision in tx, or -1 when it is gone.
func sourceRev(ctx context.Context, tx querier, id int64) (int64, error) {
	var rev int64
	err := tx.QueryRowContext(ctx, sourceRevSQL, id).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("check source: %w", err)
	}
	return rev, nil
}

// GetSource returns one source of the account.
func (s *Store) GetSource(ctx context.Context, accountID, id int64) (lead.Source, error) {
	row := s.read.QueryRowContext(ctx, "SELECT "+sourceColumns+" FROM sources WHERE id = $1 AND account_id = $2", id, accountID)
	src, err := scanSource(row)
	if errors.Is(err, sql.ErrNoRows) {
		return src, notFound("source")
	}
	return src, s.wrap(err)
}

// SourceStats is a source with what its list shows beside it.
type SourceStats struct {
	lead.Source
	Leads    int64  `json:"leadCount"`
	LastLead *int64 `json:"dtLastLead"`
}

// ListSources returns an account's sources with their lead counts and the
// time of each one's newest lead. The deleted leads, counted apart (migration
// 0015), are taken from the count of all; both counts read an index only.
func (s *Store) ListSources(ctx context.Context, accountID int64) ([]SourceStats, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sourceColumns+`,
		(SELECT count(*) FROM leads l WHERE l.source_id = sources.id)
			- (SELECT count(*) FROM leads l WHERE l.source_id = sources.id AND l.deleted_at IS NOT NULL),
		(SELECT l.dt_create FROM leads l WHERE l.source_id = sources.id AND l.deleted_at IS NULL ORDER BY l.id DESC LIMIT 1)
		FROM sources WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list sources: %w", err))
	}
	defer rows.Close()
	out := []SourceStats{}
	for rows.Next() {
		var st SourceStats
		var r sourceRow
		if err := rows.Scan(r.dest(&st.Leads, &st.LastLead)...); err != nil {
			return nil, s.wrap(err)
		}
		var err error
		if st.Source, err = r.source(); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, s.wrap(rows.Err())
}

// RotateSourceToken gives a webhook source a new token; the old URL stops
// working when this returns.
func (s *Store) RotateSourceToken(ctx context.Context, accountID, id int64) (lead.Source, error) {
	src, err := s.GetSource(ctx, accountID, id)
	if err != nil {
		return src, err
	}
	if src.Type != lead.SourceWebhook {
		return src, lead.Errorf(lead.EInvalid, "type", "Только у источника типа webhook есть URL.")
	}
	src.Token = lead.NewToken(tokenPrefix)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE sources SET token = $1, token_hash = $2 WHERE id = $3 AND account_id = $4",
			src.Token, lead.HashToken(src.Token), id, accountID)
		return err
	})
	return src, err
}

// SetSourceEnabled switches a source on or off; a disabled webhook answers 410.
func (s *Store) SetSourceEnabled(ctx context.Context, accountID, id int64, enabled bool) (lead.Source, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE sources SET enabled = $1 WHERE id = $2 AND account_id = $3", enabled, id, accountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("source")
		}
		return nil
	})
	if err != nil {
		return lead.Source{}, err
	}
	return s.GetSource(ctx, accountID, id)
}

// ListDeliveries returns a source's delivery log, newest first: at most limit
// rows with ids below before (0 for the newest), raw bodies included.
func (s *Store) ListDeliveries(ctx context.Context, accountID, sourceID, before int64, limit int) ([]lead.Delivery, error) {
	return s.deliveries(ctx, `d.source_id = $1 AND d.account_id = $2 AND (CAST($3 AS BIGINT) = 0 OR d.id < $3)
		ORDER BY d.id DESC LIMIT $4`, sourceID, accountID, before, limit)
}

// deliveries returns the deliveries a WHERE clause (and ORDER/LIMIT) picks,
// with the lead each made.
func (s *Store) deliveries(ctx context.Context, where string, args ...any) ([]lead.Delivery, error) {
	q := `SELECT d.id, d.account_id, d.source_id, d.received_at, d.method, d.content_type, d.remote_addr, d.status,
		d.errors, d.idempotency_key, d.replayed, d.body, d.body_truncated, d.query, d.mapped, d.mark, d.notes,
		d.reprocessed_at, (SELECT min(l.id) FROM leads l WHERE l.delivery_id = d.id), d.erased_at
		FROM deliveries d WHERE ` + where
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list deliveries: %w", err))
	}
	defer rows.Close()
	out := []lead.Delivery{}
	for rows.Next() {
		var d lead.Delivery
		var errs, mapped sql.NullString
		if err := rows.Scan(&d.ID, &d.AccountID, &d.SourceID, &d.Received, &d.Method, &d.ContentType, &d.RemoteAddr,
			&d.Status, &errs, &d.IdempotencyKey, &d.Replayed, &d.Body, &d.BodyTruncated, &d.Query, &mapped, &d.Mark,
			&d.Notes, &d.Reprocessed, &d.LeadID, &d.Erased); err != nil {
			return nil, s.wrap(err)
		}
		if errs.Valid {
			d.Errors = []byte(errs.String)
		}
		if mapped.Valid {
			d.Mapped = []byte(mapped.String)
		}
		out = append(out, d)
	}
	return out, s.wrap(rows.Err())
}
