package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The pipeline's PostgreSQL engine. The writer runs a group in one
// transaction on one connection, in two pipelines (pgx batches). Whatever the
// group's size, the backend plans and runs the same dozen statements, each of
// which handles the whole group: the rows travel as arrays and are written
// with INSERT … SELECT FROM unnest(…).
//
//  1. (lookup) BEGIN; the advisory locks of the group (pipeline.go
//     lockKey), sorted: every contact, Idempotency-Key and re-processed
//     delivery — two processes lock in the same order and never deadlock; a
//     lead with the same phone in another process waits for this commit, so
//     firstId and otherCount stay exact; the group's Idempotency-Keys; the
//     reference ids its leads name or default to; the state of re-processed
//     deliveries; the revisions of its sources (see sourceCache); the
//     duplicate lookup of every request's contacts (pgDupSQL); ids for its
//     delivery rows and leads, one of each per request, from the tables'
//     sequences. The ids are given out in arrival order to the requests that
//     write; a request that is replayed or refused leaves a gap, as a
//     rolled-back transaction does.
//  2. (write) the new leads' Idempotency-Keys with their rendered answers;
//     the delivery rows, the leads and their history entries (with cached
//     plans once the tables are large enough: pgWritePlans), their jobs;
//     re-processing's updates; COMMIT.
//
// A request refused by its fields (a reference id of another account, a key
// used with another body) or made with a source that has changed since is
// answered after pipeline 1 and never written. When a statement of
// pipeline 2 fails — a value the database refuses, a key another process
// stored meanwhile — the group is rolled back and its requests run again one
// at a time, each in its own transaction, so the failure stays with the
// request that caused it.

// pgLockSQL takes the advisory locks of the keys in array order.
const pgLockSQL = "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k"

// pgDupSQL is duplicates() for a whole group: per request, in order, the
// earliest lead of its account with its phone or email key and how many
// there are. Each side of the UNION is one index lookup.
const pgDupSQL = `SELECT d.first, d.n
	FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS u(account, phone, email_key, ord)
	CROSS JOIN LATERAL (SELECT min(id) AS first, count(*) AS n FROM (
		SELECT id FROM leads WHERE account_id = u.account AND phone = u.phone AND deleted_at IS NULL
		UNION SELECT id FROM leads WHERE account_id = u.account AND email_key = u.email_key AND deleted_at IS NULL) x) d
	ORDER BY u.ord`

// pgWritePlans lets the group's INSERTs, and the foreign-key checks they
// fire, use the backend's cached plans for the rest of the transaction. The
// session plans every execution afresh (openPostgres); for these statements
// that is most of the backend's work: an INSERT … SELECT FROM unnest reads no
// table, and a foreign-key check is a primary-key lookup, yet each was
// planned again for every group and every row (A/B, three rounds of 15,000
// leads at c=64: 250–263 → 148–151 µs of backend CPU per lead, +33–40%
// req/s, p99 32–36 → 22–25 ms).
//
// But a cached plan is made once, with the table's size at the time, and
// kept until the table is next analyzed. The check of a lead's delivery_id
// and first_id, planned while deliveries and leads were nearly empty, is a
// sequential scan, and stays one while a burst fills them faster than
// autovacuum analyzes them (measured on a new database: 986 µs per lead and
// growing). So the writer uses cached plans only once both tables hold
// pgCachedPlansFrom rows (by their ids: neither loses rows), when every plan
// made reads one row down the primary key.
const (
	pgWritePlans      = "SET LOCAL plan_cache_mode = auto"
	pgCachedPlansFrom = 10000
)

// pgIDsSQL takes $1 delivery ids, $2 lead ids and $3 job ids from the
// tables' sequences, in one statement (each statement of pipeline 1 is
// planned afresh). Each sequence is looked up once, in a subquery (an
// InitPlan): as an argument of nextval, pg_get_serial_sequence ran for every
// id, a catalog search each time (3% of the backend's CPU under load).
const pgIDsSQL = `SELECT
	(SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('deliveries', 'id')::regclass))), '{}') FROM generate_series(1, $1)),
	(SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('leads', 'id')::regclass))), '{}') FROM generate_series(1, $2)),
	(SELECT coalesce(array_agg(nextval((SELECT pg_get_serial_sequence('jobs', 'id')::regclass))), '{}') FROM generate_series(1, $3))`

const pgExpireIdemSQL = `DELETE FROM idempotency_keys k USING unnest($1::bigint[], $2::text[]) AS u(source_id, key)
	WHERE k.source_id = u.source_id AND k.key = u.key AND k.created_at <= $3`

// runPostgres commits one group and answers each of its requests.
func (b *batcher) runPostgres(group []*request) {
	// The group ends by the earliest deadline of its requests: when the
	// database is stuck (a lock, an outage), each sender gets its 503 in
	// time rather than after batchTimeout.
	deadline := time.Now().Add(batchTimeout)
	live := make([]*request, 0, len(group))
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.err = err // the sender has gone; nothing was started
			continue
		}
		if d, ok := j.ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		live = append(live, j)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if len(live) == 0 {
		for _, j := range group {
			close(j.done)
		}
		return
	}
	err := b.pgGroup(ctx, live)
	switch {
	case err == nil:
	case len(live) == 1 || b.s.dialect.unavailable(err) || ctx.Err() != nil:
		for _, j := range live {
			j.out, j.err = Outcome{}, err
		}
	default:
		// One request broke a statement of the group; run each alone.
		for i, j := range live {
			if err := b.pgGroup(ctx, live[i:i+1]); err != nil {
				j.out, j.err = Outcome{}, err
			}
		}
	}
	b.s.handOver(group)
	for _, j := range group {
		close(j.done)
	}
}

// pgGroup runs the group on a connection of the pool. It returns nil when
// the group committed and every request has its answer.
func (b *batcher) pgGroup(ctx context.Context, reqs []*request) error {
	conn, err := b.s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	rawErr := conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		err = runPlan(ctx, &pgEngine{pc: pc}, reqs, b.s.now(), b.s.adopt)
		if err == nil {
			return nil
		}
		if pc.IsClosed() {
			return driver.ErrBadConn
		}
		if pc.PgConn().TxStatus() != 'I' {
			if _, rerr := pc.Exec(ctx, "ROLLBACK"); rerr != nil {
				return driver.ErrBadConn // the connection's state is unknown: never reuse it
			}
		}
		return nil
	})
	if err == nil && rawErr != nil {
		return rawErr
	}
	if err != nil && len(reqs) == 1 && b.s.dialect.unique(err) {
		// Another process stored the request's Idempotency-Key meanwhile:
		// the caller tries again and replays its answer.
		return errIdemRace
	}
	return err
}

// pgEngine is the pipeline's PostgreSQL engine: the group's lookups are
// pipeline 1 (which begins the transaction), its writes pipeline 2 (which
// commits it).
type pgEngine struct {
	pc         *pgx.Conn
	dIDs, lIDs []int64 // the ids pipeline 1 took
}

// write runs pipeline 2: the new leads' keys, the rows, the updates,
// COMMIT.
func (e *pgEngine) write(ctx context.Context, w *groupRows) error {
	var bt pgx.Batch
	if len(w.keys) > 0 {
		sources := make([]int64, len(w.keys))
		keys := make([]string, len(w.keys))
		hashes := make([]string, len(w.keys))
		bodies := make([][]byte, len(w.keys))
		statuses := make([]int64, len(w.keys))
		created := make([]int64, len(w.keys))
		for i, k := range w.keys {
			sources[i], keys[i], hashes[i], bodies[i] = k.source, k.idem.Key, k.idem.BodyHash, k.body
			statuses[i], created[i] = 201, w.now.Unix()
		}
		bt.Queue(pgExpireIdemSQL, sources, keys, w.now.Add(-IdempotencyTTL).Unix())
		// No ON CONFLICT: a key another process stored meanwhile fails the
		// group, and its request, run alone, retries and replays that answer.
		bt.Queue(`INSERT INTO idempotency_keys (source_id, key, body_hash, status, response, created_at)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::bigint[])`,
			sources, keys, hashes, statuses, bodies, created)
	}
	if cachedPlans(e.dIDs, e.lIDs) {
		// The statements before, whose plans depend on the tables' sizes,
		// keep the session's custom plans.
		bt.Queue(pgWritePlans)
	}
	for _, t := range []struct {
		table, cols string
		rows        [][]any
	}{{"deliveries", "id, " + deliveryColumns, w.deliveries}, {"leads", "id, " + leadInsertColumns, w.leads},
		{"lead_events", eventColumns, w.events}, {"jobs", "id, " + jobColumns, w.jobs}} {
		if len(t.rows) == 0 {
			continue
		}
		q, args, err := unnestInsert(t.table, t.cols, t.rows)
		if err != nil {
			return err
		}
		bt.Queue(q, args...)
	}
	for _, st := range w.updates {
		bt.Queue(st.sql, st.args...)
	}
	bt.Queue("COMMIT")
	br := e.pc.SendBatch(ctx, &bt)
	for range bt.Len() {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// cachedPlans reports whether a group whose delivery rows and leads take
// the ids dIDs and lIDs writes them with cached plans (pgWritePlans).
func cachedPlans(dIDs, lIDs []int64) bool {
	return len(dIDs) > 0 && len(lIDs) > 0 && dIDs[0] >= pgCachedPlansFrom && lIDs[0] >= pgCachedPlansFrom
}

// unnestInsert returns the statement that inserts rows (one value per
// column of cols in each, with the same Go type down a column) into table
// from one array per column, and those arrays.
func unnestInsert(table, cols string, rows [][]any) (string, []any, error) {
	n := len(rows[0])
	args := make([]any, n)
	casts := make([]string, n)
	for c := range n {
		var typ string
		switch rows[0][c].(type) {
		case int:
			a := make([]int64, len(rows))
			for r, row := range rows {
				a[r] = int64(row[c].(int))
			}
			args[c], typ = a, "bigint"
		case int64:
			args[c], typ = column[int64](rows, c), "bigint"
		case *int64:
			args[c], typ = column[*int64](rows, c), "bigint"
		case string:
			args[c], typ = column[string](rows, c), "text"
		case *string:
			args[c], typ = column[*string](rows, c), "text"
		case bool:
			args[c], typ = column[bool](rows, c), "boolean"
		case *bool:
			args[c], typ = column[*bool](rows, c), "boolean"
		case []byte:
			args[c], typ = column[[]byte](rows, c), "bytea"
		default:
			return "", nil, fmt.Errorf("insert %s: column %d: no array for %T", table, c, rows[0][c])
		}
		casts[c] = "$" + strconv.Itoa(c+1) + "::" + typ + "[]"
	}
	q := "INSERT INTO " + table + " (" + cols + ") SELECT * FROM unnest(" + strings.Join(casts, ", ") + ")"
	return q, args, nil
}

// column returns column c of rows, whose values are all Ts.
func column[T any](rows [][]any, c int) []T {
	a := make([]T, len(rows))
	for r, row := range rows {
		a[r] = row[c].(T)
	}
	return a
}

// pgFirstStagesSQL answers (account, its first stage) for the accounts that
// have stages.
const pgFirstStagesSQL = `SELECT a, f.id FROM unnest($1::bigint[]) a
	CROSS JOIN LATERAL (SELECT id FROM funnel_stages WHERE account_id = a ORDER BY position, id LIMIT 1) f`

func scanFirstStages(br pgx.BatchResults) (map[int64]int64, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("find the first stages: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var a, id int64
		if err := rows.Scan(&a, &id); err != nil {
			return nil, fmt.Errorf("find the first stages: %w", err)
		}
		out[a] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find the first stages: %w", err)
	}
	return out, nil
}

// lookup runs pipeline 1: BEGIN, the locks, then every lookup of the
// group, each one statement for the whole group where it can be.
func (e *pgEngine) lookup(ctx context.Context, q *lookups) (*found, error) {
	accounts := make([]int64, len(q.dups))
	phones := make([]*string, len(q.dups))
	emails := make([]*string, len(q.dups))
	for i, d := range q.dups {
		accounts[i], phones[i], emails[i] = d.account, d.phone, d.emailKey
	}
	var bt pgx.Batch
	bt.Queue("BEGIN")
	if len(q.locks) > 0 {
		bt.Queue(pgLockSQL, q.locks)
	}
	expired := q.now.Add(-IdempotencyTTL).Unix()
	for _, k := range q.idems {
		bt.Queue(findIdemSQL, k.source, k.key, expired)
	}
	for _, k := range q.refs {
		sql, args := refQuery(k.field, k.account, k.id)
		bt.Queue(sql, args...)
	}
	for _, o := range q.origins {
		bt.Queue(originSQL, o.delivery, o.account, o.source, o.key)
	}
	bt.Queue("SELECT id, rev FROM sources WHERE id = ANY($1::bigint[])", q.sources)
	bt.Queue(pgFirstStagesSQL, q.accounts)
	bt.Queue(pgDupSQL, accounts, phones, emails)
	bt.Queue(pgIDsSQL, q.nDeliveries, q.nLeads, q.nLeads)
	br := e.pc.SendBatch(ctx, &bt)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if len(q.locks) > 0 {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("lock contacts: %w", err)
		}
	}
	f := &found{refs: map[refKey]bool{}, revs: map[int64]int64{}}
	for range q.idems {
		var st storedIdem
		err := br.QueryRow().Scan(&st.hash, &st.status, &st.body)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			f.idems = append(f.idems, nil)
		case err != nil:
			return nil, fmt.Errorf("find idempotency key: %w", err)
		default:
			f.idems = append(f.idems, &st)
		}
	}
	for _, k := range q.refs {
		var n int
		if err := br.QueryRow().Scan(&n); err != nil {
			return nil, fmt.Errorf("check %s: %w", k.field, err)
		}
		f.refs[k] = n > 0
	}
	for range q.origins {
		o, err := scanOrigin(br.QueryRow())
		if err != nil {
			return nil, err
		}
		f.origins = append(f.origins, o)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("check sources: %w", err)
	}
	for rows.Next() {
		var id, rev int64
		if err := rows.Scan(&id, &rev); err != nil {
			rows.Close()
			return nil, fmt.Errorf("check sources: %w", err)
		}
		f.revs[id] = rev
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check sources: %w", err)
	}
	if f.firstStage, err = scanFirstStages(br); err != nil {
		return nil, err
	}
	rows, err = br.Query()
	if err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	f.dups = make([]dupFound, len(q.dups))
	i := 0
	for rows.Next() {
		if i == len(q.dups) {
			break
		}
		if err := rows.Scan(&f.dups[i].first, &f.dups[i].count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find duplicates: %w", err)
		}
		i++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	if i != len(q.dups) {
		return nil, fmt.Errorf("find duplicates: %d answers for %d requests", i, len(q.dups))
	}
	if err := br.QueryRow().Scan(&f.deliveryIDs, &f.leadIDs, &f.jobIDs); err != nil {
		return nil, fmt.Errorf("take ids: %w", err)
	}
	for _, t := range []struct {
		ids []int64
		n   int
	}{{f.deliveryIDs, q.nDeliveries}, {f.leadIDs, q.nLeads}, {f.jobIDs, q.nLeads}} {
		if len(t.ids) != t.n {
			return nil, fmt.Errorf("take ids: %d for %d requests", len(t.ids), t.n)
		}
		slices.Sort(t.ids)
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	e.dIDs, e.lIDs = f.deliveryIDs, f.leadIDs
	return f, nil
}
