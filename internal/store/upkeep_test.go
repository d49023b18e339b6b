package store_test

import (
	"context"
	"testing"
	"time"

	"leadbox/internal/store"
)

// TestUpkeep fills a table on a real server and lets Upkeep look after it:
// where the server runs autovacuum it leaves the table to it; where not
// (this project's CI machines) it vacuums and analyses it once, and then
// leaves it until it changes again.
func TestUpkeep(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		exec(t, f.s, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
			INSERT INTO leads (account_id, phone, dt_create, dt_update) SELECT $1, '7999300' || i, i, i FROM n`, f.acc.ID)
		if engine == "sqlite" {
			if done, err := f.s.Upkeep(ctx); err != nil || done != nil {
				t.Fatalf("Upkeep on SQLite = %v, %v; want nothing", done, err)
			}
			return
		}
		// Statistics reach other sessions within a second or so.
		deadline := time.Now().Add(10 * time.Second)
		for countRows(t, f.s, "SELECT n_ins_since_vacuum FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'leads'") < 3000 {
			if time.Now().After(deadline) {
				t.Fatal("the server's statistics never counted the 3000 inserted leads")
			}
			time.Sleep(50 * time.Millisecond)
		}
		autovacuum := countRows(t, f.s, "SELECT count(*) FROM pg_settings WHERE name = 'autovacuum' AND setting = 'on'") == 1
		done, err := f.s.Upkeep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		leads := find(done, "leads")
		if autovacuum {
			if leads != nil {
				t.Fatalf("Upkeep did %+v though autovacuum runs", *leads)
			}
			t.Log("autovacuum runs on this server: Upkeep leaves the tables to it")
			return
		}
		if leads == nil || !leads.Vacuum || leads.Added < 3000 {
			t.Fatalf("Upkeep did %+v; want leads vacuumed after 3000 inserts", done)
		}
		if n := countRows(t, f.s, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'leads'::regclass"); n < 3000 {
			t.Fatalf("the planner's row count of leads is %d after Upkeep, want >= 3000", n)
		}
		if n := countRows(t, f.s, `SELECT count(*) FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = 'leads' AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL`); n != 1 {
			t.Fatal("leads has no last_vacuum and last_analyze after Upkeep")
		}
		for time.Now().Before(deadline) {
			if countRows(t, f.s, "SELECT n_ins_since_vacuum FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'leads'") == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		again, err := f.s.Upkeep(ctx)
		if err != nil || find(again, "leads") != nil {
			t.Fatalf("second Upkeep = %+v, %v; want leads left alone", again, err)
		}
	})
}

func find(done []store.TableUpkeep, table string) *store.TableUpkeep {
	for i := range done {
		if done[i].Table == table {
			return &done[i]
		}
	}
	return nil
}
