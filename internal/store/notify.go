package store

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"time"
)

// Live updates across processes. NotifyLead's announcements go to every
// leadbox process on the same PostgreSQL database (and schema) by NOTIFY,
// which ListenLeads hears. They are the live inbox's, a courtesy: an inbox
// that misses one catches up at its next fetch. So they travel apart from
// the leads' writes: a goroutine of their own gathers them for notifyLinger
// and sends them with one statement, in a transaction that does not wait
// for the WAL's flush.

// pgNotifySQL announces leads to every process listening (see ListenLeads).
const pgNotifySQL = "SELECT pg_notify('leadbox_leads_' || current_schema(), p) FROM unnest($1::text[]) AS p"

const (
	// notifyLinger is how long announcements are gathered: under a burst,
	// a transaction every 50 ms instead of one per lead.
	notifyLinger = 50 * time.Millisecond
	// maxNotes bounds the announcements waiting.
	maxNotes = 10000
)

type notifier struct {
	mu    sync.Mutex
	notes []string
	poke  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func startNotifier(s *Store) *notifier {
	n := &notifier{poke: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go n.run(s)
	return n
}

// NotifyLead announces a committed lead to every leadbox process serving the
// same PostgreSQL database (and schema). On SQLite there is only one process
// and it does nothing.
func (s *Store) NotifyLead(ctx context.Context, accountID, leadID int64) error {
	if s.notes == nil {
		return nil
	}
	n := s.notes
	n.mu.Lock()
	if len(n.notes) < maxNotes {
		n.notes = append(n.notes, strconv.FormatInt(accountID, 10)+":"+strconv.FormatInt(leadID, 10))
	}
	n.mu.Unlock()
	select {
	case n.poke <- struct{}{}:
	default:
	}
	return nil
}

func (n *notifier) run(s *Store) {
	defer close(n.done)
	for {
		select {
		case <-n.quit:
			n.send(s)
			return
		case <-n.poke:
		}
		select {
		case <-n.quit:
		case <-time.After(notifyLinger):
		}
		n.send(s)
	}
}

func (n *notifier) send(s *Store) {
	n.mu.Lock()
	notes := n.notes
	n.notes = nil
	n.mu.Unlock()
	if len(notes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Without waiting for the WAL's flush: an announcement lost in a crash
	// is a courtesy missed, and a flush a few dozen times a second is one
	// the leads' commits queue behind.
	_ = s.retryTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.dialect.lazyCommit); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, pgNotifySQL, notes)
		return err
	})
}

// stop sends what is waiting and ends the goroutine; Close may be called
// more than once.
func (n *notifier) stop() {
	n.once.Do(func() { close(n.quit) })
	<-n.done
}
