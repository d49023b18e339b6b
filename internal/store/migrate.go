package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (s *Store) migrations() ([]migration, error) {
	dir := path.Join("migrations", s.dialect.name)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := migrations.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// Migrate applies every embedded migration not yet applied, each in its own
// transaction, and returns the names of those it applied. Several processes
// may start at once: on PostgreSQL an advisory lock lets one migrate while
// the others wait; on SQLite the immediate write lock does the same.
func (s *Store) Migrate(ctx context.Context) ([]string, error) { return s.migrate(ctx, math.MaxInt) }

// migrate applies the migrations up to version upTo.
func (s *Store) migrate(ctx context.Context, upTo int) ([]string, error) {
	ms, err := s.migrations()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	for _, m := range ms {
		if m.version > upTo {
			break
		}
		did := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			did = false
			if s.dialect.name == "postgres" {
				if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7406265720140155)"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if s.dialect.name == "postgres" {
				// Other processes — an older leadbox during a rolling upgrade —
				// may be writing leads. A migration that fills a table from
				// leads and then adds the triggers that keep it (0014's tallies
				// and hours) would miss a lead committed in between: its
				// writes wait until the migration commits. Reads go on.
				if _, err := tx.ExecContext(ctx, `DO $$ BEGIN
					IF to_regclass('leads') IS NOT NULL THEN LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE; END IF;
				END $$`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			did = true
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
				m.version, m.name, s.now().Unix())
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if did {
			applied = append(applied, m.name)
		}
	}
	if len(applied) > 0 && s.dialect.name == "postgres" {
		// Fresh tables have no statistics; without them the planner picks
		// sequential scans that stay cached.
		if _, err := s.write.ExecContext(ctx, "ANALYZE"); err != nil {
			return applied, fmt.Errorf("migrate: analyze: %w", err)
		}
	}
	return applied, nil
}
