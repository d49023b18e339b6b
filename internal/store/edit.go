package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"leadbox/internal/lead"
)

// The account's reference data, changed: users, offices, cities, funnel
// stages and sources.

// inUse is the error for deleting a row that leads or sources still name.
func inUse() error {
	return lead.Errorf(lead.EConflict, "id", "Запись используется (лидами или источниками), её нельзя удалить.")
}

// rowName is what a not-found error calls a row of table.
func rowName(table string) string {
	switch table {
	case "cities":
		return "city"
	case "funnel_stages":
		return "funnel stage"
	}
	return strings.TrimSuffix(table, "s")
}

// deleteRow deletes one row of the account's table, refusing when other rows
// still reference it.
func (s *Store) deleteRow(ctx context.Context, table string, accountID, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE id = $1 AND account_id = $2", id, accountID)
		return mustAffect(res, err, rowName(table))
	})
	if err != nil && s.dialect.foreignKey(err) {
		return inUse()
	}
	return err
}

// GetUser returns one user of the account.
func (s *Store) GetUser(ctx context.Context, accountID, id int64) (lead.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1 AND account_id = $2", id, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user")
	}
	return u, s.wrap(err)
}

// UserPatch changes some of a user's fields; nil leaves one alone.
type UserPatch struct {
	Name         *string
	Email        *string
	Role         *string
	Active       *bool
	PasswordHash *string
}

// UpdateUser changes a user. Changing the password or deactivating the user
// ends all of the user's sessions.
func (s *Store) UpdateUser(ctx context.Context, accountID, id int64, p UserPatch) (lead.User, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1 AND account_id = $2", id, accountID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user")
		}
		if err != nil {
			return err
		}
		if p.Name != nil {
			u.Name = strings.TrimSpace(*p.Name)
		}
		if p.Role != nil {
			if *p.Role != lead.RoleAdmin && *p.Role != lead.RoleManager {
				return lead.Errorf(lead.EInvalid, "role", "Роль должна быть admin или manager.")
			}
			u.Role = *p.Role
		}
		if p.Email != nil {
			email := strings.TrimSpace(*p.Email)
			if !strings.Contains(email, "@") {
				return lead.Invalid("email", lead.MsgEmail)
			}
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE email_key = $1 AND id <> $2",
				strings.ToLower(email), id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return lead.Errorf(lead.EInvalid, "email", "Такое значение поля Email уже существует.")
			}
			u.Email = email
		}
		if p.Active != nil {
			u.Active = *p.Active
		}
		if p.PasswordHash != nil {
			u.PasswordHash = *p.PasswordHash
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = $1, email = $2, email_key = $3, role = $4, active = $5,
			password_hash = $6 WHERE id = $7`, u.Name, u.Email, strings.ToLower(u.Email), u.Role, u.Active, u.PasswordHash, id); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if p.PasswordHash != nil || (p.Active != nil && !*p.Active) {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id); err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return lead.User{}, err
	}
	return s.GetUser(ctx, accountID, id)
}

// GetRef returns one office or city of the account.
func (s *Store) GetRef(ctx context.Context, kind RefKind, accountID, id int64) (lead.Ref, error) {
	var r lead.Ref
	err := s.read.QueryRowContext(ctx, "SELECT id, account_id, name FROM "+string(kind)+" WHERE id = $1 AND account_id = $2",
		id, accountID).Scan(&r.ID, &r.AccountID, &r.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(rowName(string(kind)))
	}
	return r, s.wrap(err)
}

// RenameRef renames an office or a city.
func (s *Store) RenameRef(ctx context.Context, kind RefKind, accountID, id int64, name string) (lead.Ref, error) {
	name, err := checkName(name)
	if err != nil {
		return lead.Ref{}, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE "+string(kind)+" SET name = $1 WHERE id = $2 AND account_id = $3", name, id, accountID)
		return mustAffect(res, err, rowName(string(kind)))
	})
	if err != nil {
		return lead.Ref{}, err
	}
	return s.GetRef(ctx, kind, accountID, id)
}

// DeleteRef deletes an office or a city no lead or source names.
func (s *Store) DeleteRef(ctx context.Context, kind RefKind, accountID, id int64) error {
	return s.deleteRow(ctx, string(kind), accountID, id)
}

// GetStage returns one funnel stage of the account.
func (s *Store) GetStage(ctx context.Context, accountID, id int64) (lead.Stage, error) {
	var st lead.Stage
	err := s.read.QueryRowContext(ctx, "SELECT id, account_id, name, position, color, outcome FROM funnel_stages WHERE id = $1 AND account_id = $2",
		id, accountID).Scan(&st.ID, &st.AccountID, &st.Name, &st.Position, &st.Color, &st.Outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return st, notFound("funnel stage")
	}
	return st, s.wrap(err)
}

// UpdateStage renames and recolours a stage and sets its outcome ("" is
// open).
func (s *Store) UpdateStage(ctx context.Context, accountID, id int64, name, color, outcome string) (lead.Stage, error) {
	name, err := checkName(name)
	if err != nil {
		return lead.Stage{}, err
	}
	if outcome, err = checkOutcome(outcome); err != nil {
		return lead.Stage{}, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE funnel_stages SET name = $1, color = $2, outcome = $3 WHERE id = $4 AND account_id = $5",
			name, strings.TrimSpace(color), outcome, id, accountID)
		return mustAffect(res, err, "funnel stage")
	})
	if err != nil {
		return lead.Stage{}, err
	}
	return s.GetStage(ctx, accountID, id)
}

// MoveStage puts a stage at position (1 is first), shifting the others.
func (s *Store) MoveStage(ctx context.Context, accountID, id int64, position int) ([]lead.Stage, error) {
	stages, err := s.ListStages(ctx, accountID)
	if err != nil {
		return nil, err
	}
	from := -1
	for i, st := range stages {
		if st.ID == id {
			from = i
		}
	}
	if from < 0 {
		return nil, notFound("funnel stage")
	}
	moved := stages[from]
	stages = append(stages[:from], stages[from+1:]...)
	to := min(max(position, 1), len(stages)+1) - 1
	stages = append(stages[:to], append([]lead.Stage{moved}, stages[to:]...)...)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for i, st := range stages {
			if _, err := tx.ExecContext(ctx, "UPDATE funnel_stages SET position = $1 WHERE id = $2 AND account_id = $3",
				i+1, st.ID, accountID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ListStages(ctx, accountID)
}

// DeleteStage deletes a stage no lead or source names.
func (s *Store) DeleteStage(ctx context.Context, accountID, id int64) error {
	return s.deleteRow(ctx, "funnel_stages", accountID, id)
}

// UpdateSource renames a source and sets its defaults.
func (s *Store) UpdateSource(ctx context.Context, src lead.Source) (lead.Source, error) {
	name, err := checkName(src.Name)
	if err != nil {
		return src, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		probe := lead.Lead{AccountID: src.AccountID, UserIDOwner: src.DefaultOwnerID, FunnelStageID: src.DefaultStageID,
			LocationUnitID: src.DefaultUnitID, LocationCityID: src.DefaultCityID}
		if err := checkRefs(ctx, tx, &probe); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sources SET name = $1, default_owner_id = $2, default_stage_id = $3,
			default_unit_id = $4, default_city_id = $5 WHERE id = $6 AND account_id = $7`,
			name, src.DefaultOwnerID, src.DefaultStageID, src.DefaultUnitID, src.DefaultCityID, src.ID, src.AccountID)
		return mustAffect(res, err, "source")
	})
	if err != nil {
		return src, err
	}
	return s.GetSource(ctx, src.AccountID, src.ID)
}

// DeleteSource deletes a source that has no leads and no delivery log;
// others can only be disabled.
func (s *Store) DeleteSource(ctx context.Context, accountID, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE source_id = $1
			AND source_id IN (SELECT id FROM sources WHERE account_id = $2)`, id, accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM source_quiet WHERE source_id = $1 AND account_id = $2", id, accountID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM sources WHERE id = $1 AND account_id = $2", id, accountID)
		return mustAffect(res, err, "source")
	})
	if err != nil && s.dialect.foreignKey(err) {
		return inUse()
	}
	return err
}
