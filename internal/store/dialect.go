package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything that differs between the engines. The SQL itself is
// shared: both take $1 placeholders, RETURNING and ON CONFLICT.
type dialect struct {
	name string
	// skipLocked ends the job queue's claim subquery: PostgreSQL's claimers
	// in many processes pass over each other's rows; SQLite has one writer.
	skipLocked string
	// lazyCommit starts the job queue's bookkeeping transactions (CycleJobs).
	lazyCommit string
	// lockTallies, when set, locks an account's lead_tallies rows ($1) in
	// their key order: a transaction that edits many leads takes it first,
	// so that it and the pipeline's groups (whose trigger takes the rows in
	// the same order) never wait for each other in a circle. SQLite has one
	// writer.
	lockTallies string
	// inIDs is "id IN the list of ids in $n" for one statement of any
	// length, with the argument idsArg makes of the ids.
	inIDs  func(n int) string
	idsArg func(ids []int64) any
	// searchMatch, when set, reads search terms (of three characters or
	// more) from a trigram index of the engine's own: it returns what to
	// select leads from instead of the table, the column of the lead's id
	// there, and the argument of the placeholder $n (leadSQL.search).
	searchMatch func(n int, terms []searchTerm) (from, key string, arg any)
	retryable   func(error) bool // a transient conflict: run the transaction again
	unavailable func(error) bool // the database cannot be reached or cannot write
	unique      func(error) bool // a unique constraint was violated
	foreignKey  func(error) bool // a row is still referenced
}

var sqliteDialect = dialect{
	name:  "sqlite",
	inIDs: func(n int) string { return "id IN (SELECT value FROM json_each($" + strconv.Itoa(n) + "))" },
	idsArg: func(ids []int64) any {
		b := make([]byte, 0, 8*len(ids)+2)
		b = append(b, '[')
		for i, id := range ids {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		return string(append(b, ']'))
	},
	searchMatch: sqliteSearchMatch,
	retryable: func(err error) bool {
		c := sqliteCode(err)
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	},
	unavailable: func(err error) bool {
		switch sqliteCode(err) {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL:
			return true
		}
		return errors.Is(err, sql.ErrConnDone)
	},
	unique: func(err error) bool {
		return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT && strings.Contains(err.Error(), "UNIQUE")
	},
	foreignKey: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	},
}

// sqliteSearchMatch reads from leads_search, newest first, the leads that
// may hold the terms: those with every third trigram of a term, and its
// last, in one of its columns (FTS5's trigram tokenizer makes a quoted
// string of three characters one token). The term's LIKE then decides
// (leadSQL.search). The FTS table drives the join, so a page of a common
// name stops after fifty (0.5 ms at a million leads, where "id IN
// (matches)" read all 40,000 first: 25 ms); and a third of the trigrams,
// unordered, is cheaper to walk newest first than the whole phrase (one
// lead's email of 19 characters: 15 ms against 68), while leaving few
// candidates to check. The key m.sid lets a cursor start the walk.
func sqliteSearchMatch(n int, terms []searchTerm) (from, key string, arg any) {
	match := make([]string, len(terms))
	for i, t := range terms {
		match[i] = "{" + strings.Join(t.cols, " ") + "} : (" + strings.Join(spacedTrigrams(t.text), " AND ") + ")"
	}
	return "(SELECT rowid AS sid FROM leads_search WHERE leads_search MATCH $" + strconv.Itoa(n) +
		") AS m JOIN leads ON leads.id = m.sid", "m.sid", strings.Join(match, " AND ")
}

// spacedTrigrams returns every third trigram of s (three characters or
// more) and its last, each quoted for an FTS5 query.
func spacedTrigrams(s string) []string {
	r := []rune(s)
	quote := func(t []rune) string { return `"` + strings.ReplaceAll(string(t), `"`, `""`) + `"` }
	var out []string
	for i := 0; i+3 <= len(r); i += 3 {
		out = append(out, quote(r[i:i+3]))
	}
	if len(r)%3 != 0 {
		out = append(out, quote(r[len(r)-3:]))
	}
	return out
}

// sqliteCode returns the primary result code of a SQLite error, or -1.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return -1
}

// SQLite's built-in lower() folds ASCII letters only: lower('Иван') stays
// 'Иван', and a case-insensitive search for a Cyrillic name finds nothing.
// Every SQLite connection this process opens gets Go's Unicode lower()
// instead, as PostgreSQL's does it and as the Go side lower-cases queries.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("lower", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		}
		return args[0], nil
	})
}

var postgresDialect = dialect{
	name:       "postgres",
	skipLocked: " FOR UPDATE SKIP LOCKED",
	lockTallies: `SELECT 1 FROM lead_tallies WHERE account_id = $1
		ORDER BY source_id, stage_id, owner_id, dup FOR UPDATE`,
	lazyCommit: "SET LOCAL synchronous_commit = off",
	inIDs:      func(n int) string { return "id = ANY($" + strconv.Itoa(n) + "::bigint[])" },
	idsArg:     func(ids []int64) any { return ids },
	retryable: func(err error) bool {
		c := pgCode(err)
		return c == "40001" || c == "40P01"
	},
	unavailable: func(err error) bool {
		if c := pgCode(err); c != "" {
			// connection exceptions, insufficient resources, operator intervention
			return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") || strings.HasPrefix(c, "57")
		}
		var ne net.Error
		var ce *pgconn.ConnectError
		// A connection dropped mid-query surfaces as a bare (unexpected) EOF.
		return errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, driver.ErrBadConn) ||
			errors.Is(err, sql.ErrConnDone) || pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") ||
			errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
	},
	unique:     func(err error) bool { return pgCode(err) == "23505" },
	foreignKey: func(err error) bool { return pgCode(err) == "23503" },
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
