package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"leadbox/internal/lead"
)

// apiTokenPrefix marks API tokens, so a leaked one is recognisable.
const apiTokenPrefix = "lbx_"

// APIToken is an integration's credential, scoped to one account. The secret
// itself is shown once, at creation; only its hash is kept.
type APIToken struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"accountId"`
	Name      string `json:"name"`
	Hint      string `json:"hint"` // the first characters, to tell tokens apart
	CreatedBy *int64 `json:"userIdCreate"`
	Created   int64  `json:"dtCreate"`
	LastUsed  *int64 `json:"dtLastUsed"`
	Revoked   *int64 `json:"dtRevoked"`
}

const apiTokenColumns = "id, account_id, name, hint, created_by, created_at, last_used_at, revoked_at"

func scanAPIToken(row scanner) (APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Hint, &t.CreatedBy, &t.Created, &t.LastUsed, &t.Revoked)
	return t, err
}

// CreateAPIToken makes a new token for the account and returns it with its
// secret, which is not stored and cannot be shown again.
func (s *Store) CreateAPIToken(ctx context.Context, accountID int64, name string, createdBy *int64) (APIToken, string, error) {
	t := APIToken{AccountID: accountID, CreatedBy: createdBy, Created: s.now().Unix()}
	var err error
	if t.Name, err = checkName(name); err != nil {
		return t, "", err
	}
	secret := lead.NewToken(apiTokenPrefix)
	t.Hint = secret[:len(apiTokenPrefix)+6]
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO api_tokens (account_id, name, token_hash, hint, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			accountID, t.Name, lead.HashToken(secret), t.Hint, createdBy, t.Created).Scan(&t.ID)
	})
	if err != nil {
		return t, "", fmt.Errorf("create api token: %w", err)
	}
	return t, secret, nil
}

// ListAPITokens returns an account's tokens, revoked ones included.
func (s *Store) ListAPITokens(ctx context.Context, accountID int64) ([]APIToken, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE account_id = $1 ORDER BY id", accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list api tokens: %w", err))
	}
	defer rows.Close()
	out := []APIToken{}
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, t)
	}
	return out, s.wrap(rows.Err())
}

// RevokeAPIToken stops a token working at once.
func (s *Store) RevokeAPIToken(ctx context.Context, accountID, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
			s.now().Unix(), id, accountID)
		return mustAffect(res, err, "token")
	})
}

// lastUsedEvery is how stale a token's last-used time may get: writing it on
// every request would cost a write per read.
const lastUsedEvery = time.Minute

// APITokenBySecret finds the live token with this secret, by its hash, and
// notes that it was used.
func (s *Store) APITokenBySecret(ctx context.Context, secret string) (APIToken, error) {
	t, err := scanAPIToken(s.read.QueryRowContext(ctx, "SELECT "+apiTokenColumns+
		" FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL", lead.HashToken(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return t, lead.Errorf(lead.EUnauthorized, "token", "Неверный или отозванный токен API.")
	}
	if err != nil {
		return t, s.wrap(fmt.Errorf("api token: %w", err))
	}
	now := s.now().Unix()
	if t.LastUsed == nil || now-*t.LastUsed >= int64(lastUsedEvery/time.Second) {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", now, t.ID)
			return err
		})
		if err != nil {
			return t, err
		}
		t.LastUsed = &now
	}
	return t, nil
}
