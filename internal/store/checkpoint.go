package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// SQLite in WAL mode appends every commit to the -wal file and, by default,
// copies the file back into the database (a checkpoint) in the commit that
// takes it past 1,000 pages. Under intake load that is a checkpoint every
// few hundred leads, run by the one writer while every sender waits: it
// copies each page the commits touched and fsyncs the database file. The
// writer's connection has autocheckpoint off instead, and the checkpointer
// runs PASSIVE checkpoints on a connection of its own, beside the writer and
// the readers, which it never blocks. A page rewritten by many groups in
// between — the right edge of every id index — is copied once.

// checkpointEvery is how often the checkpointer runs. At ~6,000 leads/s a
// quarter of a second is ~5,000 pages (~20 MB) of WAL.
const checkpointEvery = 250 * time.Millisecond

type checkpointer struct {
	db       *sql.DB
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	err      error
}

func startCheckpointer(path string, q url.Values) (*checkpointer, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.run()
		case <-c.quit:
			return
		}
	}
}

// run checkpoints what it can: PASSIVE copies the frames no reader still
// needs and waits for nobody. A failure (the disk full, say) is left for the
// next tick; the writer's own commits report such trouble to senders.
func (c *checkpointer) run() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var busy, log, done int
	_ = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
}

// stop ends the checkpointer after a last checkpoint, so that a process
// that stops leaves a short WAL behind.
func (c *checkpointer) stop() error {
	c.stopOnce.Do(func() {
		close(c.quit)
		<-c.done
		c.run()
		c.err = c.db.Close()
	})
	return c.err
}
