package main

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// openDB opens a leadbox database for the harness's own reads and writes.
func openDB(kind, dsn string) (*sql.DB, error) {
	if kind == "postgres" {
		return sql.Open("pgx", dsn)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?"+q.Encode())
	if err == nil {
		db.SetMaxOpenConns(1)
	}
	return db, err
}

// pgAdmin is the server the PostgreSQL runs use; it creates and drops the
// harness's databases.
type pgAdmin struct {
	db      *sql.DB
	base    *url.URL
	version string
	created []string
}

// connectPG connects to the -pg URL; an error means PostgreSQL is skipped.
func connectPG(ctx context.Context, raw string) (*pgAdmin, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("-pg %q is not a postgres:// URL", raw)
	}
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var version string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&version); err != nil {
		db.Close()
		return nil, err
	}
	return &pgAdmin{db: db, base: u, version: version}, nil
}

// createDB creates an empty database named leadbox_bench_<random><suffix> and
// returns its URL.
func (a *pgAdmin) createDB(ctx context.Context, suffix string) (string, error) {
	var b [6]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", err
	}
	name := "leadbox_bench_" + hex.EncodeToString(b[:]) + suffix
	if _, err := a.db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	a.created = append(a.created, name)
	u := *a.base
	u.Path = "/" + name
	return u.String(), nil
}

// dropAll drops every database createDB made; it runs on the way out, so it
// has its own time limit.
func (a *pgAdmin) dropAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range a.created {
		if _, err := a.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Printf("leadbox-bench: could not drop database %s: %v\n", name, err)
		}
	}
	a.created = nil
	a.db.Close()
}

// preloadColumns are the lead columns the preload fills.
var preloadColumns = []string{"account_id", "source_id", "name", "name_key", "phone", "email", "email_key",
	"other_count", "dt_create", "dt_update", "utm_source", "utm_medium", "utm_campaign", "referrer", "ip"}

var preloadNames = []string{"Иван Петров", "Мария Смирнова", "Алексей Кузнецов", "Ольга Иванова", "Дмитрий Соколов"}

// preloadRow returns lead i of n: 80% new contacts, 20% repeating an earlier
// one (phones 78xxxxxxxxx never collide with the load generator's 79…),
// created over the last n×30 seconds (a year for a million).
func preloadRow(i, n int, account, source int64, now int64, row []any) {
	k := i
	if i%5 == 4 {
		k = (i * 7919) % i // an earlier contact, spread over the history
	}
	name := preloadNames[k%len(preloadNames)]
	email := "p" + strconv.Itoa(k) + "@example.org"
	dt := now - int64(n-i)*30
	row[0], row[1], row[2], row[3] = account, source, name, strings.ToLower(name)
	row[4], row[5], row[6] = fmt.Sprintf("78%09d", k), email, email
	row[7], row[8], row[9] = 0, dt, dt
	row[10], row[11], row[12] = []string{"yandex", "google", "vk"}[i%3], "cpc", "brand"
	row[13], row[14] = "https://example.ru/", "198.51.100."+strconv.Itoa(i%254+1)
}

// preload inserts n leads of account/source straight into the database and
// runs ANALYZE: multi-row INSERTs in transactions of 100,000 rows on SQLite,
// COPY on PostgreSQL.
func preload(ctx context.Context, kind, dsn string, n int, account, source int64) error {
	now := time.Now().Unix()
	if kind == "postgres" {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		const chunk = 100_000
		for start := 0; start < n; start += chunk {
			end := min(start+chunk, n)
			row := make([]any, len(preloadColumns))
			i := start
			src := pgx.CopyFromFunc(func() ([]any, error) {
				if i >= end {
					return nil, nil
				}
				preloadRow(i, n, account, source, now, row)
				i++
				return row, nil
			})
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"leads"}, preloadColumns, src); err != nil {
				return fmt.Errorf("copy leads: %w", err)
			}
		}
		_, err = conn.Exec(ctx, "ANALYZE")
		return err
	}

	db, err := openDB(kind, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	const perStmt, perTx = 500, 100_000
	ph := make([]string, 0, perStmt)
	for r := range perStmt {
		p := make([]string, len(preloadColumns))
		for c := range p {
			p[c] = "?" + strconv.Itoa(r*len(preloadColumns)+c+1)
		}
		ph = append(ph, "("+strings.Join(p, ",")+")")
	}
	insert := func(rows int) string {
		return "INSERT INTO leads (" + strings.Join(preloadColumns, ",") + ") VALUES " + strings.Join(ph[:rows], ",")
	}
	args := make([]any, perStmt*len(preloadColumns))
	for start := 0; start < n; start += perTx {
		end := min(start+perTx, n)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := start; i < end; i += perStmt {
			rows := min(perStmt, end-i)
			for r := range rows {
				preloadRow(i+r, n, account, source, now, args[r*len(preloadColumns):(r+1)*len(preloadColumns)])
			}
			if _, err := tx.ExecContext(ctx, insert(rows), args[:rows*len(preloadColumns)]...); err != nil {
				tx.Rollback()
				return fmt.Errorf("insert leads: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err = db.ExecContext(ctx, "ANALYZE")
	return err
}

// maxLeadID is the largest lead id, 0 for none.
func maxLeadID(ctx context.Context, db *sql.DB) (int64, error) {
	var id sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT max(id) FROM leads").Scan(&id)
	return id.Int64, err
}

// leadIDsAbove returns the set of lead ids above floor (the preloaded ones).
func leadIDsAbove(ctx context.Context, db *sql.DB, floor int64) (map[int64]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM leads WHERE id > $1", floor)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// Queries whose plans the report shows; store/lead.go's duplicates and
// store/leadlist.go's first inbox page.
const (
	dupQuery   = `SELECT min(id), count(*) FROM (SELECT id FROM leads WHERE account_id = $1 AND phone = $2 AND deleted_at IS NULL UNION SELECT id FROM leads WHERE account_id = $1 AND email_key = $3 AND deleted_at IS NULL) dup`
	inboxQuery = `SELECT * FROM leads WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 50`
)

// plan is one query's plan as the report shows it.
type plan struct {
	title, query, text string
}

// explain returns the plans of the duplicate lookup and the inbox page, for
// the newest lead's account, phone and email.
func explain(ctx context.Context, kind string, db *sql.DB) ([]plan, error) {
	var account int64
	var phone, emailKey sql.NullString
	err := db.QueryRowContext(ctx, "SELECT account_id, phone, email_key FROM leads ORDER BY id DESC LIMIT 1").Scan(&account, &phone, &emailKey)
	if err != nil {
		return nil, fmt.Errorf("newest lead: %w", err)
	}
	args := []any{account, phone.String, emailKey.String}
	if kind == "sqlite" {
		var out []plan
		for _, q := range []struct {
			title, q string
			args     []any
		}{{"duplicate lookup", dupQuery, args}, {"inbox, first page", inboxQuery, args[:1]}} {
			text, err := sqlitePlan(ctx, db, q.q, q.args...)
			if err != nil {
				return nil, err
			}
			out = append(out, plan{q.title + " — EXPLAIN QUERY PLAN", q.q, text})
		}
		return out, nil
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	lines := func(q string, args ...any) (string, error) {
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return "", err
			}
			b.WriteString(s + "\n")
		}
		return strings.TrimRight(b.String(), "\n"), rows.Err()
	}
	var out []plan
	dup, err := lines("EXPLAIN (ANALYZE, BUFFERS) "+dupQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	out = append(out, plan{"duplicate lookup — EXPLAIN (ANALYZE, BUFFERS) with the newest lead's values", dupQuery, dup})
	// A prepared statement may switch to the generic plan after five runs;
	// show that one too.
	if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "PREPARE bench_dup(bigint, text, text) AS "+dupQuery); err != nil {
		return nil, err
	}
	gen, err := lines(fmt.Sprintf("EXPLAIN EXECUTE bench_dup(%d, %s, %s)", account, quote(phone.String), quote(emailKey.String)))
	if err != nil {
		return nil, fmt.Errorf("explain generic: %w", err)
	}
	out = append(out, plan{"duplicate lookup — generic plan (plan_cache_mode = force_generic_plan)", dupQuery, gen})
	if _, err := conn.ExecContext(ctx, "RESET plan_cache_mode"); err != nil {
		return nil, err
	}
	inbox, err := lines("EXPLAIN (ANALYZE, BUFFERS) "+inboxQuery, account)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	out = append(out, plan{"inbox, first page — EXPLAIN (ANALYZE, BUFFERS)", inboxQuery, inbox})
	return out, nil
}

// sqlitePlan renders EXPLAIN QUERY PLAN as an indented tree.
func sqlitePlan(ctx context.Context, db *sql.DB, q string, args ...any) (string, error) {
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	depth := map[int64]int{0: -1}
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int64
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		d := depth[parent] + 1
		depth[id] = d
		b.WriteString(strings.Repeat("  ", d) + detail + "\n")
	}
	return strings.TrimRight(b.String(), "\n"), rows.Err()
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
