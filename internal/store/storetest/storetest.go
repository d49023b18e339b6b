// Package storetest opens real databases for tests: a SQLite file in a
// temporary directory, and a fresh PostgreSQL schema when
// LEADBOX_TEST_POSTGRES names a server.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"leadbox/internal/store"
)

// RequirePostgres returns the PostgreSQL URL tests use. Without one it skips
// the test, or fails it under CI=true, where every suite must run.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("LEADBOX_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("LEADBOX_TEST_POSTGRES is not set; CI must run the PostgreSQL suite")
		}
		t.Skip("PostgreSQL suite skipped: set LEADBOX_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return base
}

// DSN returns a database for one test on engine: a new SQLite file path, or a
// postgres:// URL whose search_path is a new schema dropped at the end.
func DSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return filepath.Join(t.TempDir(), "leadbox.db")
	}
	base := RequirePostgres(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "lbtest_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	SharedExtensions(t, admin)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema (is PostgreSQL running at %s?): %v", base, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("LEADBOX_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// SharedExtensions creates the extensions the migrations use (pg_trgm) in
// the public schema of the database db is connected to, unless the database
// has them. Left to the migrations, an extension would be created in the
// first test's schema, and dropping that schema would drop it, with the
// indexes of every other test's schema built on it.
func SharedExtensions(t testing.TB, db *sql.DB) {
	t.Helper()
	if _, err := db.Exec("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"); err != nil {
		// Two test processes may create it at once; one of them wins.
		var n int
		if db.QueryRow("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").Scan(&n) != nil || n == 0 {
			t.Fatalf("create extension pg_trgm (PostgreSQL's contrib package): %v", err)
		}
	}
}

// Open returns a migrated store on engine, closed when the test ends.
func Open(t testing.TB, engine string) *store.Store {
	t.Helper()
	s, _ := OpenDSN(t, engine)
	return s
}

// OpenDSN is Open that also returns the database's DSN, for a test that
// opens it again.
func OpenDSN(t testing.TB, engine string) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	dsn := DSN(t, engine)
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return s, dsn
}
