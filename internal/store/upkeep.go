package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PostgreSQL plans leadbox's queries from table statistics that ANALYZE
// gathers, and keeps its indexes quick by VACUUM (the visibility map that
// index-only scans read; the pending list of the search's GIN index, which
// every search otherwise reads through). Autovacuum does both. Where a
// server runs without it (autovacuum = off, seen on test and CI machines),
// the statistics stay those of the empty tables the migrations analysed:
// measured on 300,000 leads posted through the webhook, the first inbox
// page took 160–200 ms and a search 150–400 ms instead of 1–30 ms. Upkeep
// does for leadbox's schema what autovacuum would, by autovacuum's own
// default thresholds, and nothing where autovacuum runs.

// TableUpkeep is what Upkeep did to one table, and why.
type TableUpkeep struct {
	Table   string  `json:"table"`
	Vacuum  bool    `json:"vacuum"` // VACUUM (ANALYZE); else ANALYZE alone
	Rows    float64 `json:"rows"`   // the planner's estimate before
	Changed int64   `json:"changed"`
	Dead    int64   `json:"dead"`
	Added   int64   `json:"added"`
}

// tableStats is one table's row of pg_stat_user_tables.
type tableStats struct {
	name                 string
	rows                 float64 // pg_class.reltuples; -1 (never vacuumed) is read as 0
	changed, dead, added int64   // n_mod_since_analyze, n_dead_tup, n_ins_since_vacuum
	autovacuum           bool    // autovacuum runs for this table
}

// Autovacuum's default thresholds (PostgreSQL 13 and later): analyze after
// 50 + 10% changed rows, vacuum after 50 + 20% dead rows or 1000 + 20%
// inserted ones.
func (t tableStats) upkeep() (TableUpkeep, bool) {
	rows := max(t.rows, 0)
	u := TableUpkeep{Table: t.name, Rows: rows, Changed: t.changed, Dead: t.dead, Added: t.added}
	if t.autovacuum {
		return u, false
	}
	u.Vacuum = float64(t.dead) > 50+0.2*rows || float64(t.added) > 1000+0.2*rows
	analyze := float64(t.changed) > 50+0.1*rows
	return u, u.Vacuum || analyze
}

// Upkeep analyses, and where rows have piled up vacuums, the tables of
// leadbox's PostgreSQL schema that autovacuum does not look after, and
// returns what it did. On SQLite, and where autovacuum runs, it does
// nothing. The server runs it as a periodic chore.
func (s *Store) Upkeep(ctx context.Context) ([]TableUpkeep, error) {
	if s.dialect.name != "postgres" {
		return nil, nil
	}
	stats, err := s.tableStats(ctx)
	if err != nil {
		return nil, fmt.Errorf("upkeep: %w", err)
	}
	var done []TableUpkeep
	for _, t := range stats {
		u, due := t.upkeep()
		if !due {
			continue
		}
		stmt := "ANALYZE "
		if u.Vacuum {
			stmt = "VACUUM (ANALYZE) "
		}
		// VACUUM cannot run in a transaction: on the pool, by itself.
		if _, err := s.write.ExecContext(ctx, stmt+pgx.Identifier{t.name}.Sanitize()); err != nil {
			return done, fmt.Errorf("upkeep: %s%s: %w", stmt, t.name, err)
		}
		done = append(done, u)
	}
	return done, nil
}

func (s *Store) tableStats(ctx context.Context) ([]tableStats, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT st.relname, c.reltuples, st.n_mod_since_analyze, st.n_dead_tup, st.n_ins_since_vacuum,
			current_setting('autovacuum') = 'on'
				AND NOT coalesce(c.reloptions @> ARRAY['autovacuum_enabled=false'], false)
		FROM pg_stat_user_tables st JOIN pg_class c ON c.oid = st.relid
		WHERE st.schemaname = current_schema()
		ORDER BY st.relname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tableStats
	for rows.Next() {
		var t tableStats
		if err := rows.Scan(&t.name, &t.rows, &t.changed, &t.dead, &t.added, &t.autovacuum); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
