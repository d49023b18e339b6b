package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// importFileTTL is how long an uploaded spreadsheet waits for its import.
const importFileTTL = 24 * 60 * 60

// SaveImportFile keeps a spreadsheet a user uploaded for import until the
// import is done (DeleteImportFile) or a day has passed, and returns its id.
// Files older than a day are removed here.
func (s *Store) SaveImportFile(ctx context.Context, accountID, userID int64, name string, data []byte) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().Unix()
		if _, err := tx.ExecContext(ctx, "DELETE FROM import_files WHERE created_at < $1", now-importFileTTL); err != nil {
			return fmt.Errorf("import files: %w", err)
		}
		return tx.QueryRowContext(ctx, `INSERT INTO import_files (account_id, user_id, name, data, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, accountID, userID, name, data, now).Scan(&id)
	})
	return id, err
}

// ImportFile returns the name and contents of a spreadsheet the user uploaded.
func (s *Store) ImportFile(ctx context.Context, accountID, userID, id int64) (string, []byte, error) {
	var name string
	var data []byte
	err := s.read.QueryRowContext(ctx, `SELECT name, data FROM import_files WHERE id = $1 AND account_id = $2 AND user_id = $3
		AND created_at >= $4`, id, accountID, userID, s.now().Unix()-importFileTTL).Scan(&name, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, notFound("import")
	}
	if err != nil {
		return "", nil, s.wrap(fmt.Errorf("import file: %w", err))
	}
	return name, data, nil
}

// DeleteImportFile removes an uploaded spreadsheet once it is imported.
func (s *Store) DeleteImportFile(ctx context.Context, accountID, userID, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM import_files WHERE id = $1 AND account_id = $2 AND user_id = $3", id, accountID, userID)
		return err
	})
}
