package store

import (
	"context"
	"database/sql"
	"time"
)

// DBs exposes a store's connection pools to the external tests, which check
// the per-connection settings (SQLite pragmas) and reach rows no store method
// changes yet (deactivating a user).
func DBs(s *Store) (read, write *sql.DB) { return s.read, s.write }

// HoldWriter stops s's writer between groups, so that a test can line up
// requests for one group. Call the func it returns once n requests have been
// sent: it waits until all n wait for the writer, lets the writer go, and
// returns how many groups the writer had started before (0 means every one
// of the n requests goes into the next group).
func HoldWriter(s *Store) (release func(n int) (groupsBefore int64)) {
	gate := make(chan struct{})
	s.writer.pause <- gate
	before := s.writer.groups.Load()
	return func(n int) int64 {
		for s.writer.waiting.Load() < int64(n) {
			time.Sleep(time.Millisecond)
		}
		ran := s.writer.groups.Load() - before
		close(gate)
		return ran
	}
}

// WriterGroups returns how many groups s's writer has run.
func WriterGroups(s *Store) int64 { return s.writer.groups.Load() }

// PGCachedPlansFrom is the id from which PostgreSQL groups write with cached
// plans.
const PGCachedPlansFrom = pgCachedPlansFrom

// MigrateUpTo applies the migrations up to version, as an older leadbox did.
func MigrateUpTo(ctx context.Context, s *Store, version int) ([]string, error) {
	return s.migrate(ctx, version)
}
