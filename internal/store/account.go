package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"leadbox/internal/lead"
)

// CreateAccount creates a tenant.
func (s *Store) CreateAccount(ctx context.Context, name string) (lead.Account, error) {
	var a lead.Account
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.insertAccount(ctx, tx, name)
		return err
	})
	return a, err
}

func (s *Store) insertAccount(ctx context.Context, tx *sql.Tx, name string) (lead.Account, error) {
	a := lead.Account{Name: name, Created: s.now().Unix()}
	err := tx.QueryRowContext(ctx, "INSERT INTO accounts (name, created_at) VALUES ($1, $2) RETURNING id",
		a.Name, a.Created).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("insert account: %w", err)
	}
	for _, st := range DefaultStages {
		st.AccountID = a.ID
		if err := insertStage(ctx, tx, &st, a.Created); err != nil {
			return a, fmt.Errorf("insert account: funnel: %w", err)
		}
	}
	return a, nil
}

// GetAccount returns one account.
func (s *Store) GetAccount(ctx context.Context, id int64) (lead.Account, error) {
	var a lead.Account
	err := s.read.QueryRowContext(ctx, "SELECT id, name, created_at FROM accounts WHERE id = $1", id).Scan(&a.ID, &a.Name, &a.Created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("account")
	}
	return a, s.wrap(err)
}

// ListAccounts returns every account, oldest first.
func (s *Store) ListAccounts(ctx context.Context) ([]lead.Account, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT id, name, created_at FROM accounts ORDER BY id")
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list accounts: %w", err))
	}
	defer rows.Close()
	out := []lead.Account{}
	for rows.Next() {
		var a lead.Account
		if err := rows.Scan(&a.ID, &a.Name, &a.Created); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, a)
	}
	return out, s.wrap(rows.Err())
}

// Bootstrap creates the first account and its admin when the database has no
// account yet; created says whether it did. Two processes starting at once
// on an empty database create one account between them.
func (s *Store) Bootstrap(ctx context.Context, accountName string, admin lead.User) (acct lead.Account, user lead.User, created bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		if s.dialect.name == "postgres" {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7406265720140156)"); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM accounts").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		var err error
		if acct, err = s.insertAccount(ctx, tx, accountName); err != nil {
			return err
		}
		admin.AccountID, admin.Role = acct.ID, lead.RoleAdmin
		if user, err = s.insertUser(ctx, tx, admin); err != nil {
			return err
		}
		created = true
		return nil
	})
	return acct, user, created, err
}

// CreateUser adds a user to an account. Emails are unique across the
// installation, since one login form serves every account.
func (s *Store) CreateUser(ctx context.Context, u lead.User) (lead.User, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = s.insertUser(ctx, tx, u)
		return err
	})
	return u, err
}

func (s *Store) insertUser(ctx context.Context, tx *sql.Tx, u lead.User) (lead.User, error) {
	u.Email = strings.TrimSpace(u.Email)
	if u.Role != lead.RoleAdmin && u.Role != lead.RoleManager {
		return u, lead.Errorf(lead.EInvalid, "role", "Роль должна быть admin или manager.")
	}
	if u.Email == "" || !strings.Contains(u.Email, "@") {
		return u, lead.Invalid("email", lead.MsgEmail)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE email_key = $1", strings.ToLower(u.Email)).Scan(&n); err != nil {
		return u, fmt.Errorf("insert user: %w", err)
	}
	if n > 0 {
		return u, lead.Errorf(lead.EInvalid, "email", "Такое значение поля Email уже существует.")
	}
	u.Active, u.Created = true, s.now().Unix()
	err := tx.QueryRowContext(ctx, `INSERT INTO users (account_id, name, email, email_key, role, active, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.AccountID, u.Name, u.Email, strings.ToLower(u.Email), u.Role, u.Active, u.PasswordHash, u.Created).Scan(&u.ID)
	if err != nil {
		return u, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

const userColumns = "id, account_id, name, email, role, active, password_hash, created_at"

func scanUser(row scanner) (lead.User, error) {
	var u lead.User
	err := row.Scan(&u.ID, &u.AccountID, &u.Name, &u.Email, &u.Role, &u.Active, &u.PasswordHash, &u.Created)
	return u, err
}

// ListUsers returns an account's users in the order they were created.
func (s *Store) ListUsers(ctx context.Context, accountID int64) ([]lead.User, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+userColumns+" FROM users WHERE account_id = $1 ORDER BY id", accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list users: %w", err))
	}
	defer rows.Close()
	out := []lead.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, u)
	}
	return out, s.wrap(rows.Err())
}

// UserByEmail returns the user with this email, whatever its case.
func (s *Store) UserByEmail(ctx context.Context, email string) (lead.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE email_key = $1",
		strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user")
	}
	return u, s.wrap(err)
}
