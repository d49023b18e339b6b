package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// The pipeline's SQLite engine. The group runs in the writer's transaction
// (SQLite takes one writer at a time, so nothing else decides meanwhile):
// one lookup per Idempotency-Key, per source and reference id (once each per
// group: b.refs, b.revs) and per chunk of new leads' contacts, ids read from
// the tables' sequences, then every table's rows with multi-row INSERTs (in
// chunks of sqliteChunks). Every statement runs prepared (stmtTx).
type sqliteEngine struct {
	tx stmtTx
}

// runSQLite commits one group and answers each of its requests: first as a
// whole, and when a statement of that fails, one request at a
// time, each in a savepoint of one transaction, so that the failure stays
// with the request that caused it.
func (b *batcher) runSQLite(group []*request) {
	if len(group) == 0 {
		return
	}
	// No deadline: with a context that can end, database/sql and the driver
	// start a goroutine per statement to watch it (~10% of the CPU of a
	// lead). SQLite waits for nothing but the disk and, for at most its
	// busy_timeout, a CLI command's write lock.
	ctx := context.Background()
	live := make([]*request, 0, len(group))
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.err = err // the sender has gone; nothing was started
			continue
		}
		live = append(live, j)
	}
	clear(b.refs)
	clear(b.revs)
	err := b.s.tryTx(ctx, func(tx *sql.Tx) error { return runPlan(ctx, sqliteEngine{stmtTx{tx, b}}, live, b.s.now(), b.s.adopt) })
	if err != nil && len(live) > 1 && !b.s.dialect.unavailable(err) {
		for _, j := range live {
			j.out, j.err = Outcome{}, nil
		}
		clear(b.refs)
		clear(b.revs)
		err = b.s.tryTx(ctx, func(tx *sql.Tx) error {
			for _, j := range live {
				if err := b.one(ctx, stmtTx{tx, b}, j); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, j := range group {
		if err != nil && (j.ok || j.err == nil) {
			j.out, j.err = Outcome{}, err
		}
	}
	b.s.handOver(group)
	for _, j := range group {
		close(j.done)
	}
	if len(b.unprepared) > 0 {
		b.prepare(ctx)
	}
}

// one runs a request inside a savepoint; a request that fails is rolled back
// alone. Only an error of the transaction itself is returned.
func (b *batcher) one(ctx context.Context, tx stmtTx, j *request) error {
	if err := j.ctx.Err(); err != nil {
		j.err = err // the sender has gone; nothing was started
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT lead"); err != nil {
		return err
	}
	if err := runPlan(ctx, sqliteEngine{tx}, []*request{j}, b.s.now(), b.s.adopt); err != nil {
		j.out, j.err = Outcome{}, err
	}
	j.ok = j.err == nil
	if !j.ok {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT lead"); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT lead")
	return err
}

func (e sqliteEngine) lookup(ctx context.Context, q *lookups) (*found, error) {
	tx, b := e.tx, e.tx.b
	f := &found{refs: map[refKey]bool{}, revs: map[int64]int64{}}
	for _, id := range q.sources {
		rev, seen := b.revs[id]
		if !seen {
			var err error
			if rev, err = sourceRev(ctx, tx, id); err != nil {
				return nil, err
			}
			b.revs[id] = rev
		}
		if rev >= 0 {
			f.revs[id] = rev
		}
	}
	expired := q.now.Add(-IdempotencyTTL).Unix()
	for _, k := range q.idems {
		var st storedIdem
		err := tx.QueryRowContext(ctx, findIdemSQL, k.source, k.key, expired).Scan(&st.hash, &st.status, &st.body)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			f.idems = append(f.idems, nil)
		case err != nil:
			return nil, fmt.Errorf("find idempotency key: %w", err)
		default:
			f.idems = append(f.idems, &st)
		}
	}
	refs := b.memoRefs(ctx, tx)
	for _, k := range q.refs {
		ok, err := refs(k.field, k.account, k.id)
		if err != nil {
			return nil, err
		}
		f.refs[k] = ok
	}
	for _, o := range q.origins {
		st, err := originState(ctx, tx, o)
		if err != nil {
			return nil, err
		}
		f.origins = append(f.origins, st)
	}
	f.firstStage = make(map[int64]int64, len(q.accounts))
	for _, a := range q.accounts {
		var id int64
		err := tx.QueryRowContext(ctx, firstStageSQL, a).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("find the first stage: %w", err)
		default:
			f.firstStage[a] = id
		}
	}
	var err error
	if f.dups, err = sqliteDuplicates(ctx, tx, q.dups); err != nil {
		return nil, err
	}
	if f.deliveryIDs, err = sqliteIDs(ctx, tx, "deliveries", int64(q.nDeliveries)); err != nil {
		return nil, err
	}
	if f.leadIDs, err = sqliteIDs(ctx, tx, "leads", int64(q.nLeads)); err != nil {
		return nil, err
	}
	if f.jobIDs, err = sqliteIDs(ctx, tx, "jobs", int64(q.nLeads)); err != nil {
		return nil, err
	}
	return f, nil
}

func (e sqliteEngine) write(ctx context.Context, w *groupRows) error {
	tx := e.tx
	if err := insertRows(ctx, tx, "deliveries", "id, "+deliveryColumns, w.deliveries); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	if err := insertRows(ctx, tx, "leads", "id, "+leadInsertColumns, w.leads); err != nil {
		return fmt.Errorf("insert leads: %w", err)
	}
	if err := insertRows(ctx, tx, "lead_events", eventColumns, w.events); err != nil {
		return fmt.Errorf("insert lead events: %w", err)
	}
	if err := insertRows(ctx, tx, "jobs", "id, "+jobColumns, w.jobs); err != nil {
		return fmt.Errorf("insert jobs: %w", err)
	}
	for _, k := range w.keys {
		if err := saveIdem(ctx, tx, k.source, *k.idem, 201, k.body, w.now); err != nil {
			return err
		}
	}
	for _, st := range w.updates {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// sqliteDuplicates answers the duplicate lookups of a group, a chunk of
// them (sqliteChunks) per statement: per lead, the earliest lead of its
// account with its phone or email key and how many there are, each side of
// the UNION one index lookup.
func sqliteDuplicates(ctx context.Context, tx stmtTx, dups []dupLookup) ([]dupFound, error) {
	out := make([]dupFound, len(dups))
	for done := 0; done < len(dups); {
		n := chunk(len(dups) - done)
		args := make([]any, 0, 3*n)
		for _, d := range dups[done : done+n] {
			args = append(args, d.account, plain(d.phone), plain(d.emailKey))
		}
		rows, err := tx.QueryContext(ctx, sqliteDupSQL(n), args...)
		if err != nil {
			return nil, fmt.Errorf("find duplicates: %w", err)
		}
		for rows.Next() {
			var k int
			var first int64
			var count int64
			if err := rows.Scan(&k, &first, &count); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find duplicates: %w", err)
			}
			out[done+k-1] = dupFound{&first, count}
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("find duplicates: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find duplicates: %w", err)
		}
		done += n
	}
	return out, nil
}

// sqliteDupSQL returns sqliteDuplicates' statement for n leads, which
// answers (k, first, count) for the k-th lead with duplicates.
func sqliteDupSQL(n int) string {
	if q, ok := dupLookups.Load(n); ok {
		return q.(string)
	}
	var q strings.Builder
	q.WriteString("WITH u(k, account, phone, email_key) AS (VALUES ")
	for r := range n {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + strconv.Itoa(r+1) + ", ?, ?, ?)")
	}
	q.WriteString(`), m(k, id) AS (
		SELECT u.k, l.id FROM u JOIN leads l ON l.account_id = u.account AND l.phone = u.phone AND l.deleted_at IS NULL
		UNION SELECT u.k, l.id FROM u JOIN leads l ON l.account_id = u.account AND l.email_key = u.email_key AND l.deleted_at IS NULL)
		SELECT k, min(id), count(*) FROM m GROUP BY k`)
	dupLookups.Store(n, q.String())
	return q.String()
}

// dupLookups caches sqliteDupSQL's statements by their number of leads.
var dupLookups sync.Map

// sqliteIDs returns the next n ids of an AUTOINCREMENT table. The writer
// holds SQLite's write lock: nobody else can take them meanwhile.
func sqliteIDs(ctx context.Context, tx dbtx, table string, n int64) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	var last int64
	err := tx.QueryRowContext(ctx, "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '"+table+
		"'), 0), coalesce((SELECT max(id) FROM "+table+"), 0))").Scan(&last)
	if err != nil {
		return nil, fmt.Errorf("take %s ids: %w", table, err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + 1 + int64(i)
	}
	return ids, nil
}

// valuesInserts caches valuesInsert's statements.
var valuesInserts sync.Map

// valuesInsert returns INSERT INTO table (cols) VALUES with n rows of width
// placeholders. They are plain ?s: the driver looks each $n up by name,
// which cost a quarter of the statement's binding.
func valuesInsert(table, cols string, n, width int) string {
	type key struct {
		table    string
		n, width int
	}
	k := key{table, n, width}
	if q, ok := valuesInserts.Load(k); ok {
		return q.(string)
	}
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	for r := range n {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range width {
			if c > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('?')
		}
		q.WriteByte(')')
	}
	valuesInserts.Store(k, q.String())
	return q.String()
}

// sqliteChunks are the row counts of the multi-row INSERTs insertRows
// runs: a few statement shapes, each prepared once.
var sqliteChunks = []int{64, 16, 4, 1}

// plain turns a pointer argument into its value or nil, which database/sql
// would otherwise do by reflection, value by value.
func plain(v any) any {
	switch p := v.(type) {
	case *string:
		if p == nil {
			return nil
		}
		return *p
	case *int64:
		if p == nil {
			return nil
		}
		return *p
	case *bool:
		if p == nil {
			return nil
		}
		return *p
	}
	return v
}

// chunk returns the largest of sqliteChunks that is at most n.
func chunk(n int) int {
	for _, c := range sqliteChunks {
		if c <= n {
			return c
		}
	}
	return 1
}

// insertRows inserts rows (each a value per column of cols) into table with
// multi-row INSERTs.
func insertRows(ctx context.Context, tx dbtx, table, cols string, rows [][]any) error {
	for len(rows) > 0 {
		n := chunk(len(rows))
		width := len(rows[0])
		args := make([]any, 0, n*width)
		for _, row := range rows[:n] {
			for _, v := range row {
				args = append(args, plain(v))
			}
		}
		q := valuesInsert(table, cols, n, width)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// stmtTx runs the group's statements through statements prepared once on
// the writer. SQLite would otherwise parse every statement of every lead
// again, which costs about as much as running it. A statement not prepared
// yet runs as it is and is noted, to be prepared after the group commits
// (on SQLite the writer's one connection is busy until then).
type stmtTx struct {
	*sql.Tx
	b *batcher
}

func (t stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.b.prepared(query); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.b.prepared(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.b.prepared(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// memoRefs is refExists for the writer's group: each reference id is looked
// up once per group (every lead of a source checks the source itself, say).
// Nothing in a group changes the tables references name, and no other writer
// runs meanwhile.
func (b *batcher) memoRefs(ctx context.Context, tx stmtTx) refLookup {
	return func(field string, accountID, id int64) (bool, error) {
		k := refKey{field, accountID, id}
		if ok, seen := b.refs[k]; seen {
			return ok, nil
		}
		ok, err := refExists(ctx, tx, field, accountID, id)
		if err == nil {
			b.refs[k] = ok
		}
		return ok, err
	}
}

// maxStmts bounds the cache; the write path has a couple of dozen statements.
const maxStmts = 64

// prepared returns the prepared form of query, or nil after noting it.
// Only the writer goroutine calls it.
func (b *batcher) prepared(query string) *sql.Stmt {
	if st, ok := b.stmts[query]; ok {
		return st
	}
	if len(b.stmts)+len(b.unprepared) < maxStmts {
		b.unprepared[query] = struct{}{}
	}
	return nil
}

// prepare prepares the statements noted during the last group.
func (b *batcher) prepare(ctx context.Context) {
	for q := range b.unprepared {
		delete(b.unprepared, q)
		if st, err := b.s.write.PrepareContext(ctx, q); err == nil {
			b.stmts[q] = st
		}
	}
}

func (b *batcher) closeStmts() {
	for q, st := range b.stmts {
		st.Close()
		delete(b.stmts, q)
	}
}
