package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// The writer: group commit. One writer goroutine per Store takes every lead
// creation waiting for it, writes them in one transaction, commits once, and
// only then answers them all; one bad request fails alone. Both engines run a
// group through the same plan (pipeline.go), and write its rows with a few
// statements for the whole group — multi-row INSERTs on SQLite
// (pipeline_sqlite.go), INSERT … SELECT FROM unnest(arrays) in two pipelines
// on PostgreSQL (pipeline_pg.go). The group pays one commit (SQLite: one fsync) instead of one
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

// request is one creation waiting for the writer, and then its outcome.
type request struct {
	ctx    context.Context
	c      creation
	out    Outcome
	err    error
	ok     bool      // committed in a savepoint of its own (SQLite's one-at-a-time rerun)
	born   []bornJob // jobs leased to this process's runner, handed over if it commits
	unborn bool      // it wrote a job leased to no runner
	done   chan struct{}
}

type batcher struct {
	s    *Store
	reqs chan *request // unbuffered: whoever waits in submit is in the next group
	quit chan struct{}
	done chan struct{}

	collect sync.Mutex     // held by the writer collecting the next group
	running sync.WaitGroup // the writers

	run     func(group []*request) // commits a group and answers it: runSQLite or runPostgres
	pause   chan chan struct{}     // tests: the writer waits until the channel sent is closed
	waiting atomic.Int64           // requests waiting to be taken, for tests
	groups  atomic.Int64           // groups run, for tests

	stmts      map[string]*sql.Stmt // owned by the writer goroutine
	unprepared map[string]struct{}
	refs       map[refKey]bool // reference ids checked in the SQLite group under way
	revs       map[int64]int64 // sources' revisions read in the SQLite group under way

}

func startBatcher(s *Store) *batcher {
	b := &batcher{s: s, reqs: make(chan *request), quit: make(chan struct{}), done: make(chan struct{}),
		pause: make(chan chan struct{}),
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
func (b *batcher) submit(ctx context.Context, c creation) (Outcome, error) {
	j := &request{ctx: ctx, c: c, done: make(chan struct{})}
	b.waiting.Add(1)
	select {
	case b.reqs <- j:
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
	buf := make([]*request, 0, maxBatch)
	for {
		b.collect.Lock()
		group, ok := b.next(buf[:0])
		b.collect.Unlock()
		if !ok {
			return
		}
		b.groups.Add(1)
		if fn := b.s.groupSizes.Load(); fn != nil {
			(*fn)(len(group))
		}
		b.run(group)
	}
}

// next waits for the next group's first request and takes every request
// waiting behind it. It returns false when the store closes.
func (b *batcher) next(group []*request) ([]*request, bool) {
	for {
		select {
		case j := <-b.reqs:
			group = append(group, j)
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
		case j := <-b.reqs:
			group = append(group, j)
		default:
			return group, true
		}
	}
	return group, true
}
