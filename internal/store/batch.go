package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"leadbox/internal/lead"
)

// Group commit. One writer goroutine per Store takes every lead request
// waiting for it, writes them in one transaction, commits once, and only then
// answers them all; one bad request fails alone. Both engines write a group
// the same way (group.go): look everything up, decide each request, give out
// ids in arrival order, then write the group's delivery rows and leads with a
// few statements for the whole group — multi-row INSERTs on SQLite (here),
// INSERT … SELECT FROM unnest(arrays) in two pipelines on PostgreSQL
// (batch_pg.go). The group pays one commit (SQLite: one fsync) instead of one
// per lead. On SQLite the one writer keeps the duplicate check exact; on
// PostgreSQL two writers run groups side by side, and the contact locks keep
// it exact between them as between processes.

const (
	maxBatch     = 256
	batchTimeout = 15 * time.Second
	// pgWriters is how many groups a process has in flight on PostgreSQL:
	// while one group's rows are written and committed, the next group's
	// lookups run on another connection (A/B of six rounds against one
	// writer: +12% median; three writers were no better than two). Groups
	// that share a contact queue on its advisory lock, as two processes'
	// do. SQLite has one writer: the engine takes one at a time.
	pgWriters = 2
)

var errClosed = errors.New("store closed")

type job struct {
	ctx  context.Context
	in   Intake
	out  Outcome
	err  error
	ok   bool
	done chan struct{}
}

type batcher struct {
	s    *Store
	jobs chan *job // unbuffered: whoever waits in submit is in the next group
	quit chan struct{}
	done chan struct{}

	collect sync.Mutex     // held by the writer collecting the next group
	running sync.WaitGroup // the writers

	run     func(group []*job) // commits a group and answers it: runSQLite or runPostgres
	pause   chan chan struct{} // tests: the writer waits until the channel sent is closed
	waiting atomic.Int64       // requests waiting to be taken, for tests
	groups  atomic.Int64       // groups run, for tests

	stmts      map[string]*sql.Stmt // owned by the writer goroutine
	unprepared map[string]struct{}
	refs       map[refKey]bool // reference ids checked in the SQLite group under way
	revs       map[int64]int64 // sources' revisions read in the SQLite group under way

	notesMu sync.Mutex
	notes   []string      // NOTIFY payloads waiting for the next PostgreSQL transaction
	poke    chan struct{} // wakes an idle writer to send notes
}

func startBatcher(s *Store) *batcher {
	b := &batcher{s: s, jobs: make(chan *job), quit: make(chan struct{}), done: make(chan struct{}),
		pause: make(chan chan struct{}), poke: make(chan struct{}, 1),
		stmts: make(map[string]*sql.Stmt), unprepared: make(map[string]struct{}), refs: make(map[refKey]bool),
		revs: make(map[int64]int64)}
	writers := 1
	b.run = b.runSQLite
	if s.dialect.name == "postgres" {
		b.run, writers = b.runPostgres, pgWriters
	}
	b.running.Add(writers)
	for range writers {
		go b.loop()
	}
	go func() {
		b.running.Wait()
		b.closeStmts()
		close(b.done)
	}()
	return b
}

// stop ends the writer after its current group.
func (b *batcher) stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
}

// submit hands a request to the writer and waits for its group to commit.
// Once handed over, it waits even if ctx ends: the request may be committed,
// and the caller must learn that.
func (b *batcher) submit(ctx context.Context, in Intake) (Outcome, error) {
	j := &job{ctx: ctx, in: in, done: make(chan struct{})}
	b.waiting.Add(1)
	select {
	case b.jobs <- j:
	case <-ctx.Done():
		b.waiting.Add(-1)
		return Outcome{}, ctx.Err()
	case <-b.quit:
		b.waiting.Add(-1)
		return Outcome{}, unavailable(errClosed)
	}
	b.waiting.Add(-1)
	<-j.done
	return j.out, j.err
}

// loop is one writer. Writers take turns collecting a group — whoever
// waits in submit then is in it — and run their groups side by side.
func (b *batcher) loop() {
	defer b.running.Done()
	buf := make([]*job, 0, maxBatch)
	for {
		b.collect.Lock()
		group, ok := b.next(buf[:0])
		b.collect.Unlock()
		if !ok {
			return
		}
		b.groups.Add(1)
		b.run(group)
	}
}

// next waits for the next group's first request and takes every request
// waiting behind it. It returns false when the store closes.
func (b *batcher) next(group []*job) ([]*job, bool) {
	for {
		select {
		case j := <-b.jobs:
			group = append(group, j)
		case <-b.poke:
			// notes and no lead: an empty group sends them
		case release := <-b.pause:
			<-release
			continue
		case <-b.quit:
			return group, false
		}
		break
	}
	for len(group) < maxBatch {
		select {
		case j := <-b.jobs:
			group = append(group, j)
		default:
			return group, true
		}
	}
	return group, true
}

// runSQLite commits one group and answers each of its requests: first as a
// whole (sqliteGroup), and when a statement of that fails, one request at a
// time, each in a savepoint of one transaction, so that the failure stays
// with the request that caused it.
func (b *batcher) runSQLite(group []*job) {
	if len(group) == 0 {
		return
	}
	// No deadline: with a context that can end, database/sql and the driver
	// start a goroutine per statement to watch it (~10% of the CPU of a
	// lead). SQLite waits for nothing but the disk and, for at most its
	// busy_timeout, a CLI command's write lock.
	ctx := context.Background()
	live := make([]*job, 0, len(group))
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.err = err // the sender has gone; nothing was started
			continue
		}
		live = append(live, j)
	}
	clear(b.refs)
	clear(b.revs)
	err := b.s.tryTx(ctx, func(tx *sql.Tx) error { return b.sqliteGroup(ctx, stmtTx{tx, b}, live) })
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
		close(j.done)
	}
	if len(b.unprepared) > 0 {
		b.prepare(ctx)
	}
}

// sqliteGroup writes a group as batch_pg.go does, with SQLite's statements:
// a lookup per Idempotency-Key, per source and reference id (once each) and
// per new lead's contacts, then every delivery row and every lead with one
// multi-row INSERT each (in chunks of sqliteChunks), with ids taken here.
// It answers the requests, for the caller to commit.
func (b *batcher) sqliteGroup(ctx context.Context, tx stmtTx, jobs []*job) error {
	now := b.s.now()
	items := newItems(jobs, now)
	type srcKey struct {
		source int64
		key    string
	}
	seen := map[srcKey]bool{}
	refs := b.memoRefs(ctx, tx)
	for i := range items {
		it := &items[i]
		src := it.j.in.Source
		// The source's revision, read once per group into b.revs.
		if err := sourceCurrent(ctx, tx, src); err != nil && !errors.Is(err, ErrSourceChanged) {
			return err
		}
		if idem := it.j.in.Idem; idem != nil {
			replay, err := b.s.findIdem(ctx, tx, src.ID, *idem, now)
			switch {
			case lead.ErrorCode(err) == lead.EInvalid:
				it.refused = err // the key came with another body
				continue
			case err != nil:
				return err
			case replay != nil:
				it.replay = replay
				it.d.Status, it.d.Replayed = replay.Status, true
			case seen[srcKey{src.ID, idem.Key}]:
				it.refused = errIdemRace // twice in one group: the second replays the first after COMMIT
			}
			seen[srcKey{src.ID, idem.Key}] = true
		}
	}
	for _, k := range groupRefs(items) {
		if _, err := refs(k.field, k.account, k.id); err != nil {
			return err
		}
	}
	decide(items, func(src lead.Source) bool { return b.revs[src.ID] == src.Rev }, refs)

	var nd, nl int64
	var fresh []*groupItem
	for i := range items {
		it := &items[i]
		if it.writes() {
			nd++
		}
		if it.newLead() {
			nl++
			fresh = append(fresh, it)
		}
	}
	if err := sqliteDuplicates(ctx, tx, fresh); err != nil {
		return err
	}
	dIDs, err := sqliteIDs(ctx, tx, "deliveries", nd)
	if err != nil {
		return err
	}
	lIDs, err := sqliteIDs(ctx, tx, "leads", nl)
	if err != nil {
		return err
	}
	w, err := assign(items, dIDs, lIDs)
	if err != nil {
		return err
	}
	if err := insertRows(ctx, tx, "deliveries", "id, "+deliveryColumns, w.deliveries); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	if err := insertRows(ctx, tx, "leads", "id, "+leadInsertColumns, w.leads); err != nil {
		return fmt.Errorf("insert leads: %w", err)
	}
	for _, k := range w.keys {
		if err := b.s.saveIdem(ctx, tx, k.source, *k.idem, 201, k.body, now); err != nil {
			return err
		}
	}
	answerItems(items)
	return nil
}

// sqliteDuplicates is duplicates() for the new leads of a group, a chunk of
// them (sqliteChunks) per statement: per lead, the earliest lead of its
// account with its phone or email key and how many there are, each side of
// the UNION one index lookup.
func sqliteDuplicates(ctx context.Context, tx stmtTx, items []*groupItem) error {
	for len(items) > 0 {
		n := chunk(len(items))
		args := make([]any, 0, 3*n)
		for _, it := range items[:n] {
			args = append(args, it.l.AccountID, it.l.Phone, it.emailKey)
		}
		rows, err := tx.QueryContext(ctx, sqliteDupSQL(n), args...)
		if err != nil {
			return fmt.Errorf("find duplicates: %w", err)
		}
		for rows.Next() {
			var k int
			var first int64
			var count int64
			if err := rows.Scan(&k, &first, &count); err != nil {
				rows.Close()
				return fmt.Errorf("find duplicates: %w", err)
			}
			items[k-1].dupFirst, items[k-1].dupCount = &first, count
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("find duplicates: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find duplicates: %w", err)
		}
		items = items[n:]
	}
	return nil
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

// one runs a request inside a savepoint; a request that fails is rolled back
// alone. Only an error of the transaction itself is returned.
func (b *batcher) one(ctx context.Context, tx stmtTx, j *job) error {
	if err := j.ctx.Err(); err != nil {
		j.err = err // the sender has gone; nothing was started
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT lead"); err != nil {
		return err
	}
	j.out, j.err = b.s.createLead(ctx, tx, j.in)
	j.ok = j.err == nil
	if !j.ok {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT lead"); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT lead")
	return err
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

// sourceCurrent is checkSourceRev, once per source in a SQLite group: nothing
// in a group changes a source, and no other writer runs meanwhile.
func sourceCurrent(ctx context.Context, tx dbtx, src lead.Source) error {
	st, ok := tx.(stmtTx)
	if !ok {
		return checkSourceRev(ctx, tx, src)
	}
	rev, seen := st.b.revs[src.ID]
	if !seen {
		var err error
		if rev, err = sourceRev(ctx, st, src.ID); err != nil {
			return err
		}
		st.b.revs[src.ID] = rev
	}
	if rev != src.Rev {
		return ErrSourceChanged
	}
	return nil
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
