package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"leadbox/internal/lead"
)

// Group commit. One writer goroutine per Store takes every lead request
// waiting for it, runs them in one transaction, commits once, and only then
// answers them all; one bad request fails alone. On SQLite (run here) each
// request runs in its own savepoint, and the group pays one fsync instead of
// one per lead. On PostgreSQL (batch_pg.go) the group's statements go to the
// server as a few pipelines. A single writer also keeps the duplicate check
// exact inside a process; across processes the contact locks do.

const (
	maxBatch     = 256
	batchTimeout = 15 * time.Second
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
	b.run = b.runSQLite
	if s.dialect.name == "postgres" {
		b.run = b.runPostgres
	}
	go b.loop()
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

func (b *batcher) loop() {
	defer close(b.done)
	defer b.closeStmts()
	group := make([]*job, 0, maxBatch)
	for {
		group = group[:0]
		select {
		case j := <-b.jobs:
			group = append(group, j)
		case <-b.poke:
			// notes and no lead: an empty group sends them
		case release := <-b.pause:
			<-release
			continue
		case <-b.quit:
			return
		}
	more:
		for len(group) < maxBatch {
			select {
			case j := <-b.jobs:
				group = append(group, j)
			default:
				break more
			}
		}
		b.groups.Add(1)
		b.run(group)
	}
}

// runSQLite commits one group and answers each of its requests.
func (b *batcher) runSQLite(group []*job) {
	if len(group) == 0 {
		return
	}
	// No deadline: with a context that can end, database/sql and the driver
	// start a goroutine per statement to watch it (~10% of the CPU of a
	// lead). SQLite waits for nothing but the disk and, for at most its
	// busy_timeout, a CLI command's write lock.
	ctx := context.Background()
	clear(b.refs)
	clear(b.revs)
	err := b.s.tryTx(ctx, func(tx *sql.Tx) error {
		for _, j := range group {
			if err := b.one(ctx, stmtTx{tx, b}, j); err != nil {
				return err
			}
		}
		return nil
	})
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
		if err := st.QueryRowContext(ctx, sourceRevSQL, src.ID).Scan(&rev); errors.Is(err, sql.ErrNoRows) {
			rev = -1
		} else if err != nil {
			return fmt.Errorf("check source: %w", err)
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
