package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"leadbox/internal/lead"
)

const clientColumns = "id, account_id, name, phone, email, created_at"

func scanClient(row scanner) (lead.Client, error) {
	var c lead.Client
	err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.Phone, &c.Email, &c.Created)
	return c, err
}

func clientExists(ctx context.Context, tx *sql.Tx, accountID, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM clients WHERE id = $1 AND account_id = $2", id, accountID).Scan(&n); err != nil {
		return fmt.Errorf("check client: %w", err)
	}
	if n == 0 {
		return lead.Errorf(lead.EInvalid, "clientId", lead.MsgExists, "ID Клиента")
	}
	return nil
}

// CreateClient adds a client to an account. Phone and email are stored as
// given; callers normalise them.
func (s *Store) CreateClient(ctx context.Context, c lead.Client) (lead.Client, error) {
	var err error
	if c.Name, err = checkName(c.Name); err != nil {
		return c, err
	}
	c.Created = s.now().Unix()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO clients (account_id, name, phone, email, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, c.AccountID, c.Name, c.Phone, c.Email, c.Created).Scan(&c.ID)
	})
	if err != nil {
		return c, fmt.Errorf("create client: %w", err)
	}
	return c, nil
}

// ClientFromLead creates a client from a lead's name and contacts and links
// the lead to it, in one transaction.
func (s *Store) ClientFromLead(ctx context.Context, accountID int64, userID *int64, leadID int64) (lead.Client, lead.Lead, error) {
	var c lead.Client
	l, err := s.editLead(ctx, accountID, userID, leadID, "client", func(tx *sql.Tx, l *lead.Lead, now int64) (map[string][2]any, error) {
		name := "Клиент"
		if l.Name != nil {
			name = *l.Name
		}
		c = lead.Client{AccountID: accountID, Name: name, Phone: l.Phone, Email: l.Email, Created: now}
		if err := tx.QueryRowContext(ctx, `INSERT INTO clients (account_id, name, phone, email, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, c.AccountID, c.Name, c.Phone, c.Email, c.Created).Scan(&c.ID); err != nil {
			return nil, fmt.Errorf("create client: %w", err)
		}
		old := l.ClientID
		l.ClientID = &c.ID
		return map[string][2]any{"clientId": {deref(old), c.ID}}, nil
	})
	return c, l, err
}

// GetClient returns one client of the account.
func (s *Store) GetClient(ctx context.Context, accountID, id int64) (lead.Client, error) {
	c, err := scanClient(s.read.QueryRowContext(ctx, "SELECT "+clientColumns+" FROM clients WHERE id = $1 AND account_id = $2", id, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("client")
	}
	return c, s.wrap(err)
}

// ListClients returns an account's clients, newest first, paged by id; q
// matches a part of the name, phone or email.
func (s *Store) ListClients(ctx context.Context, accountID int64, q string, before int64, limit int) ([]lead.Client, error) {
	if limit <= 0 || limit > MaxPage {
		limit = min(max(limit, 50), MaxPage)
	}
	pattern := "%" + escapeLike(strings.ToLower(strings.TrimSpace(q))) + "%"
	rows, err := s.read.QueryContext(ctx, "SELECT "+clientColumns+` FROM clients WHERE account_id = $1
		AND (CAST($2 AS BIGINT) = 0 OR id < $2)
		AND (lower(name) LIKE $3 ESCAPE '\' OR coalesce(phone, '') LIKE $3 ESCAPE '\' OR lower(coalesce(email, '')) LIKE $3 ESCAPE '\')
		ORDER BY id DESC LIMIT $4`, accountID, before, pattern, limit)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list clients: %w", err))
	}
	defer rows.Close()
	out := []lead.Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

// UpdateClient saves a client's name and contacts.
func (s *Store) UpdateClient(ctx context.Context, c lead.Client) (lead.Client, error) {
	var err error
	if c.Name, err = checkName(c.Name); err != nil {
		return c, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE clients SET name = $1, phone = $2, email = $3 WHERE id = $4 AND account_id = $5",
			c.Name, c.Phone, c.Email, c.ID, c.AccountID)
		return mustAffect(res, err, "client")
	})
	if err != nil {
		return c, err
	}
	return s.GetClient(ctx, c.AccountID, c.ID)
}

// DeleteClient deletes a client; its leads stay, unlinked, each with the
// change in its history and a lead.updated event. userID is who deleted it.
func (s *Store) DeleteClient(ctx context.Context, accountID int64, userID *int64, id int64) error {
	var unlinked int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id FROM leads WHERE client_id = $1 AND account_id = $2 ORDER BY id", id, accountID)
		if err != nil {
			return err
		}
		var leads []int64
		for rows.Next() {
			var l int64
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				return err
			}
			leads = append(leads, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := s.now().Unix()
		if _, err := tx.ExecContext(ctx, `UPDATE leads SET client_id = NULL, user_id_update = $1, dt_update = $2
			WHERE client_id = $3 AND account_id = $4`, userID, now, id, accountID); err != nil {
			return err
		}
		for _, l := range leads {
			if err := s.recordChange(ctx, tx, accountID, l, userID, now, "client", map[string][2]any{"clientId": {id, nil}}); err != nil {
				return err
			}
		}
		unlinked = len(leads)
		res, err := tx.ExecContext(ctx, "DELETE FROM clients WHERE id = $1 AND account_id = $2", id, accountID)
		return mustAffect(res, err, "client")
	})
	if err == nil && unlinked > 0 {
		s.signalJobs()
	}
	return err
}

// mustAffect turns "no row changed" into ENotFound.
func mustAffect(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return notFound(what)
	}
	return nil
}
