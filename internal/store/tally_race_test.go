package store_test

import (
	"context"
	"testing"
	"time"

	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// TestMigrate0014WhileAnotherProcessWrites: several leadbox processes share
// one PostgreSQL database, so an older process may still be taking leads
// while a newer one applies migration 0014 (a rolling upgrade). A lead it
// inserts after the migration counted the leads but before the triggers
// exist must still be in lead_tallies and lead_hours; otherwise the inbox's
// «exact» totals are off for ever, and a period's page may miss the lead.
func TestMigrate0014WhileAnotherProcessWrites(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "postgres") // PostgreSQL only: SQLite's migration holds the write lock
	s := openDSN(t, dsn)
	if _, err := store.MigrateUpTo(ctx, s, 13); err != nil {
		t.Fatal(err)
	}
	_, db := store.DBs(s)
	now := time.Now().Unix()
	if _, err := db.ExecContext(ctx, "INSERT INTO accounts (id, name, created_at) VALUES (1, 'Acme', 0)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO leads (account_id, phone, dt_create, dt_update) VALUES (1, '79990000001', $1, $1)", now); err != nil {
		t.Fatal(err)
	}
	// The older process's group: its lead is written, not yet committed,
	// when the migration starts.
	old := openDSN(t, dsn)
	_, odb := store.DBs(old)
	tx, err := odb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO leads (account_id, phone, dt_create, dt_update) VALUES (1, '79990000002', $1, $1)", now+3600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Migrate(ctx); done <- err }()
	// Wait until the migration waits for the older process's transaction.
	for i := 0; ; i++ {
		var waiting int
		if err := odb.QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = to_regclass('leads')").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if i == 100 {
			t.Fatal("the migration never waited for the older process")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var tallied, live, lost int64
	if err := db.QueryRowContext(ctx, "SELECT coalesce(sum(n), 0) FROM lead_tallies").Scan(&tallied); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM leads WHERE deleted_at IS NULL").Scan(&live); err != nil {
		t.Fatal(err)
	}
	if tallied != live {
		t.Errorf("lead_tallies count %d leads, the table holds %d", tallied, live)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM leads l WHERE NOT EXISTS (SELECT 1 FROM lead_hours h
		WHERE h.account_id = l.account_id AND h.hour = l.dt_create / 3600 AND l.id BETWEEN h.min_id AND h.max_id)`).Scan(&lost); err != nil {
		t.Fatal(err)
	}
	if lost > 0 {
		t.Errorf("%d leads lie outside their hour's bounds in lead_hours", lost)
	}
	n, _, err := s.CountLeadsUpTo(ctx, 1, store.LeadFilter{}, 0)
	if err != nil || n != live {
		t.Errorf("the inbox's total = %d, %v; want %d", n, err, live)
	}
	page, err := s.ListLeads(ctx, 1, store.LeadFilter{From: now + 3600, To: now + 7200})
	if err != nil || len(page) != 1 {
		t.Errorf("the period of the older process's lead lists %d leads, %v; want 1", len(page), err)
	}
}
