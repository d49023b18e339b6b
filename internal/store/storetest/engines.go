package storetest

import (
	"context"
	"database/sql"
	"sync"
	"testing"
)

// runner is *testing.T or *testing.B: a test that runs subtests of its own
// kind.
type runner[T any] interface {
	testing.TB
	Run(name string, fn func(T)) bool
}

// ForEachEngine runs fn as a subtest on each engine: "sqlite" always, and
// "postgres" when LEADBOX_TEST_POSTGRES is set. Without it the PostgreSQL
// subtest says it was skipped, or fails under CI=true (RequirePostgres): a
// suite is never dropped silently.
func ForEachEngine[T runner[T]](t T, fn func(t T, engine string)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t T) {
			if engine == "postgres" {
				RequirePostgres(t)
			}
			fn(t, engine)
		})
	}
}

// HoldWrites blocks every write to the database at dsn until release is
// called (or the test ends): on SQLite it holds the file's write lock from a
// connection of its own, on PostgreSQL an exclusive lock on the delivery
// log, which every webhook request writes to.
func HoldWrites(t testing.TB, engine, dsn string) (release func()) {
	t.Helper()
	ctx := context.Background()
	driver, begin, lock := "pgx", "BEGIN", "LOCK TABLE deliveries IN EXCLUSIVE MODE"
	if engine == "sqlite" {
		driver, dsn, begin, lock = "sqlite", "file:"+dsn+"?_pragma=busy_timeout(5000)", "BEGIN IMMEDIATE", ""
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	for _, q := range []string{begin, lock} {
		if q == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}
