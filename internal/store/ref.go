package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"leadbox/internal/lead"
)

// RefKind names a reference list that is just named rows of an account.
type RefKind string

const (
	Offices RefKind = "offices"
	Cities  RefKind = "cities"
)

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return name, lead.Errorf(lead.EInvalid, "name", lead.MsgRequired, "Название")
	}
	if len([]rune(name)) > lead.MaxString {
		return name, lead.Errorf(lead.EInvalid, "name", lead.MsgMax, "Название", lead.MaxString)
	}
	return name, nil
}

// CreateRef adds an office or a city to an account.
func (s *Store) CreateRef(ctx context.Context, kind RefKind, accountID int64, name string) (lead.Ref, error) {
	r := lead.Ref{AccountID: accountID}
	var err error
	if r.Name, err = checkName(name); err != nil {
		return r, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "INSERT INTO "+string(kind)+" (account_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
			accountID, r.Name, s.now().Unix()).Scan(&r.ID)
	})
	if err != nil {
		return r, fmt.Errorf("create %s: %w", kind, err)
	}
	return r, nil
}

// ListRefs returns an account's offices or cities.
func (s *Store) ListRefs(ctx context.Context, kind RefKind, accountID int64) ([]lead.Ref, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT id, account_id, name FROM "+string(kind)+" WHERE account_id = $1 ORDER BY id", accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list %s: %w", kind, err))
	}
	defer rows.Close()
	out := []lead.Ref{}
	for rows.Next() {
		var r lead.Ref
		if err := rows.Scan(&r.ID, &r.AccountID, &r.Name); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}

// CreateStage appends a stage to the end of an account's funnel.
func (s *Store) CreateStage(ctx context.Context, accountID int64, name, color string) (lead.Stage, error) {
	st := lead.Stage{AccountID: accountID, Color: strings.TrimSpace(color)}
	var err error
	if st.Name, err = checkName(name); err != nil {
		return st, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(position), 0) + 1 FROM funnel_stages WHERE account_id = $1",
			accountID).Scan(&st.Position); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO funnel_stages (account_id, name, position, color, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, accountID, st.Name, st.Position, st.Color, s.now().Unix()).Scan(&st.ID)
	})
	if err != nil {
		return st, fmt.Errorf("create funnel stage: %w", err)
	}
	return st, nil
}

// ListStages returns an account's funnel in order.
func (s *Store) ListStages(ctx context.Context, accountID int64) ([]lead.Stage, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT id, account_id, name, position, color FROM funnel_stages WHERE account_id = $1 ORDER BY position, id", accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list funnel stages: %w", err))
	}
	defer rows.Close()
	out := []lead.Stage{}
	for rows.Next() {
		var st lead.Stage
		if err := rows.Scan(&st.ID, &st.AccountID, &st.Name, &st.Position, &st.Color); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, st)
	}
	return out, s.wrap(rows.Err())
}
