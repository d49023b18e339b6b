package storetest

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"testing"
)

// Holding returns where needle is found in the database: on SQLite the
// files' bytes (the database, its WAL and shared memory), on PostgreSQL
// every text, JSON and bytea column of every table of the test's schema.
func Holding(t testing.TB, engine, dsn, needle string) []string {
	t.Helper()
	if engine == "sqlite" {
		var where []string
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(dsn + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(needle)) {
				where = append(where, "leadbox.db"+suffix)
			}
		}
		return where
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'bytea', 'json', 'jsonb')`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ table, name, typ string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	if len(cols) < 20 {
		t.Fatalf("only %d text columns found", len(cols))
	}
	var where []string
	for _, c := range cols {
		expr := fmt.Sprintf("position($1 in %q::text) > 0", c.name)
		if c.typ == "bytea" {
			expr = fmt.Sprintf("position(convert_to($1, 'UTF8') in %q) > 0", c.name)
		}
		var n int
		if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM %q WHERE %s", c.table, expr), needle).Scan(&n); err != nil {
			t.Fatalf("%s.%s: %v", c.table, c.name, err)
		}
		if n > 0 {
			where = append(where, c.table+"."+c.name)
		}
	}
	return where
}
