package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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

// DefaultStages is the funnel a new account starts with (migration
// 0008_funnel_timezone.sql gives the same to accounts that had none).
var DefaultStages = []lead.Stage{
	{Name: "Новая", Color: "#3b82f6", Outcome: lead.OutcomeOpen},
	{Name: "В работе", Color: "#f59e0b", Outcome: lead.OutcomeOpen},
	{Name: "Встреча назначена", Color: "#8b5cf6", Outcome: lead.OutcomeOpen},
	{Name: "Успешно", Color: "#16a34a", Outcome: lead.OutcomeWon},
	{Name: "Отказ", Color: "#dc2626", Outcome: lead.OutcomeLost},
}

// checkOutcome validates a stage's outcome; "" is OutcomeOpen.
func checkOutcome(outcome string) (string, error) {
	outcome = strings.TrimSpace(outcome)
	if outcome == "" {
		return lead.OutcomeOpen, nil
	}
	if !slices.Contains(lead.Outcomes, outcome) {
		return outcome, lead.Errorf(lead.EInvalid, "outcome", msgOutcome)
	}
	return outcome, nil
}

const msgOutcome = "Итог этапа: open (в работе), won (успешно) или lost (отказ)."

// CreateStage appends an open stage to the end of an account's funnel.
func (s *Store) CreateStage(ctx context.Context, accountID int64, name, color string) (lead.Stage, error) {
	return s.CreateStageWith(ctx, lead.Stage{AccountID: accountID, Name: name, Color: color})
}

// CreateStageWith appends st (its name, colour and outcome) to the end of
// its account's funnel.
func (s *Store) CreateStageWith(ctx context.Context, st lead.Stage) (lead.Stage, error) {
	st.Color = strings.TrimSpace(st.Color)
	var err error
	if st.Name, err = checkName(st.Name); err != nil {
		return st, err
	}
	if st.Outcome, err = checkOutcome(st.Outcome); err != nil {
		return st, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error { return insertStage(ctx, tx, &st, s.now().Unix()) })
	if err != nil {
		return st, fmt.Errorf("create funnel stage: %w", err)
	}
	return st, nil
}

// insertStage appends st to its account's funnel, setting its id and
// position.
func insertStage(ctx context.Context, tx *sql.Tx, st *lead.Stage, now int64) error {
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(position), 0) + 1 FROM funnel_stages WHERE account_id = $1",
		st.AccountID).Scan(&st.Position); err != nil {
		return err
	}
	return tx.QueryRowContext(ctx, `INSERT INTO funnel_stages (account_id, name, position, color, outcome, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, st.AccountID, st.Name, st.Position, st.Color, st.Outcome, now).Scan(&st.ID)
}

// ListStages returns an account's funnel in order.
func (s *Store) ListStages(ctx context.Context, accountID int64) ([]lead.Stage, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT id, account_id, name, position, color, outcome FROM funnel_stages WHERE account_id = $1 ORDER BY position, id", accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list funnel stages: %w", err))
	}
	defer rows.Close()
	out := []lead.Stage{}
	for rows.Next() {
		var st lead.Stage
		if err := rows.Scan(&st.ID, &st.AccountID, &st.Name, &st.Position, &st.Color, &st.Outcome); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, st)
	}
	return out, s.wrap(rows.Err())
}
