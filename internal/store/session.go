package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"leadbox/internal/lead"
)

// Session is a signed-in browser: its user and the token its forms carry.
type Session struct {
	User lead.User
	Lang string
	// Zone is the time zone the user sees times in: their own (UserZone)
	// or, when they have none, their account's.
	Zone     string
	UserZone string
	CSRF     string
	Created  int64
	Seen     int64
	Stale    bool // last noted over a minute ago: worth a TouchSession
}

// CreateSession stores a new session for a user under the hash of its id;
// the id itself never reaches the database.
func (s *Store) CreateSession(ctx context.Context, idHash string, userID int64, csrf string) error {
	now := s.now().Unix()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, seen_at)
			VALUES ($1, $2, $3, $4, $4)`, idHash, userID, csrf, now)
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
}

// SessionByHash returns a live session: its user active, idle for less than
// idle and younger than absolute. An expired session is deleted and reported
// as not found.
func (s *Store) SessionByHash(ctx context.Context, idHash string, idle, absolute time.Duration) (Session, error) {
	var ss Session
	u := &ss.User
	err := s.read.QueryRowContext(ctx, `SELECT s.csrf_token, s.created_at, s.seen_at,
		u.id, u.account_id, u.name, u.email, u.role, u.active, u.created_at, u.lang, u.timezone, a.timezone
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id WHERE s.id_hash = $1`, idHash).
		Scan(&ss.CSRF, &ss.Created, &ss.Seen, &u.ID, &u.AccountID, &u.Name, &u.Email, &u.Role, &u.Active, &u.Created, &ss.Lang,
			&ss.UserZone, &ss.Zone)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, notFound("session")
	}
	if err != nil {
		return ss, s.wrap(fmt.Errorf("read session: %w", err))
	}
	now := s.now().Unix()
	if !u.Active || now-ss.Seen >= int64(idle/time.Second) || now-ss.Created >= int64(absolute/time.Second) {
		if err := s.DeleteSession(ctx, idHash); err != nil {
			return ss, err
		}
		return ss, notFound("session")
	}
	if ss.UserZone != "" {
		ss.Zone = ss.UserZone
	}
	ss.Stale = now-ss.Seen >= 60
	return ss, nil
}

// TouchSession records that a session was used now.
func (s *Store) TouchSession(ctx context.Context, idHash string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE sessions SET seen_at = $1 WHERE id_hash = $2", s.now().Unix(), idHash)
		return err
	})
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", idHash)
		return err
	})
}

// DeleteUserSessions ends every session of a user, in every browser.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", userID)
		return err
	})
}

// DeleteExpiredSessions removes sessions past either limit.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idle, absolute time.Duration) error {
	now := s.now().Unix()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE seen_at <= $1 OR created_at <= $2",
			now-int64(idle/time.Second), now-int64(absolute/time.Second))
		return err
	})
}

// SetUserLang saves a user's UI language.
func (s *Store) SetUserLang(ctx context.Context, accountID, userID int64, lang string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET lang = $1 WHERE id = $2 AND account_id = $3", lang, userID, accountID)
		return mustAffect(res, err, "user")
	})
}
