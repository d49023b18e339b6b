package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	_ "time/tzdata" // zone names work where the system has no zoneinfo (Windows, scratch images)

	"leadbox/internal/lead"
)

// DefaultTimezone is a new account's time zone.
const DefaultTimezone = "Europe/Moscow"

const msgTimezone = "Неизвестный часовой пояс %q: укажите имя из базы IANA, например Europe/Moscow."

// checkTimezone validates an IANA zone name; "" passes only when empty is
// allowed (a user who follows the account's zone).
func checkTimezone(name string, emptyOK bool) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" && emptyOK {
		return "", nil
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return name, lead.Errorf(lead.EInvalid, "timezone", msgTimezone, name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return name, lead.Errorf(lead.EInvalid, "timezone", msgTimezone, name)
	}
	return name, nil
}

// AccountTimezone returns the time zone an account's times are shown in.
func (s *Store) AccountTimezone(ctx context.Context, accountID int64) (string, error) {
	var tz string
	err := s.read.QueryRowContext(ctx, "SELECT timezone FROM accounts WHERE id = $1", accountID).Scan(&tz)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("account")
	}
	return tz, s.wrap(err)
}

// SetAccountTimezone sets the time zone an account's times are shown in.
func (s *Store) SetAccountTimezone(ctx context.Context, accountID int64, tz string) error {
	tz, err := checkTimezone(tz, false)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE accounts SET timezone = $1 WHERE id = $2", tz, accountID)
		return mustAffect(res, err, "account")
	})
}

// SetUserTimezone sets the zone a user sees times in; "" follows the
// account's.
func (s *Store) SetUserTimezone(ctx context.Context, accountID, userID int64, tz string) error {
	tz, err := checkTimezone(tz, true)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET timezone = $1 WHERE id = $2 AND account_id = $3", tz, userID, accountID)
		return mustAffect(res, err, "user")
	})
}
