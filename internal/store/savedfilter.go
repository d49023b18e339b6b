package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"leadbox/internal/lead"
)

// SavedFilter is a user's named inbox filter: the inbox's query string.
type SavedFilter struct {
	ID        int64
	Name      string
	Query     string
	CreatedAt int64
}

const (
	maxSavedFilters   = 50
	maxFilterName     = 100
	maxFilterQuery    = 2000
	msgFilterNameReq  = "Назовите фильтр."
	msgFilterNameLong = "Название фильтра не длиннее %d символов."
	msgFilterQuery    = "Фильтр слишком длинный."
	msgFiltersMax     = "Сохранить можно не больше %d фильтров: удалите ненужные."
)

// SavedFilters returns the user's saved filters by name.
func (s *Store) SavedFilters(ctx context.Context, accountID, userID int64) ([]SavedFilter, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, query, created_at FROM saved_filters
		WHERE account_id = $1 AND user_id = $2 ORDER BY name, id`, accountID, userID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("saved filters: %w", err))
	}
	defer rows.Close()
	out := []SavedFilter{}
	for rows.Next() {
		var f SavedFilter
		if err := rows.Scan(&f.ID, &f.Name, &f.Query, &f.CreatedAt); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, f)
	}
	return out, s.wrap(rows.Err())
}

// SaveFilter keeps the user's filter under name; a filter of the same name
// is replaced.
func (s *Store) SaveFilter(ctx context.Context, accountID, userID int64, name, query string) (SavedFilter, error) {
	f := SavedFilter{Name: strings.TrimSpace(name), Query: strings.TrimPrefix(strings.TrimSpace(query), "?")}
	switch {
	case f.Name == "":
		return f, lead.Errorf(lead.EInvalid, "name", msgFilterNameReq)
	case utf8.RuneCountInString(f.Name) > maxFilterName:
		return f, lead.Errorf(lead.EInvalid, "name", msgFilterNameLong, maxFilterName)
	case len(f.Query) > maxFilterQuery:
		return f, lead.Errorf(lead.EInvalid, "query", msgFilterQuery)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM saved_filters WHERE user_id = $1 AND name <> $2`,
			userID, f.Name).Scan(&n); err != nil {
			return fmt.Errorf("save filter: %w", err)
		}
		if n >= maxSavedFilters {
			return lead.Errorf(lead.EInvalid, "name", msgFiltersMax, maxSavedFilters)
		}
		f.CreatedAt = s.now().Unix()
		return tx.QueryRowContext(ctx, `INSERT INTO saved_filters (account_id, user_id, name, query, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query
			RETURNING id`, accountID, userID, f.Name, f.Query, f.CreatedAt).Scan(&f.ID)
	})
	return f, err
}

// DeleteSavedFilter removes one of the user's saved filters.
func (s *Store) DeleteSavedFilter(ctx context.Context, accountID, userID, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM saved_filters WHERE id = $1 AND account_id = $2 AND user_id = $3",
			id, accountID, userID)
		return mustAffect(res, err, "filter")
	})
}
