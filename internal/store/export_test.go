package store

import "database/sql"

// DBs exposes a store's connection pools to the external tests, which check
// the per-connection settings (SQLite pragmas) and reach rows no store method
// changes yet (deactivating a user).
func DBs(s *Store) (read, write *sql.DB) { return s.read, s.write }
