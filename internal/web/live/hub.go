// Package live tells open inboxes about new leads: in this process, and on
// PostgreSQL across every process through LISTEN/NOTIFY. The webhook, the
// API and re-processing announce a lead once it is committed; the UI's
// event stream subscribes.
package live

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Hub fans new leads out to the open inboxes of their account. On SQLite the
// webhook's own announcement is all there is; on PostgreSQL every process
// announces with NOTIFY and each hears all of them through one LISTEN
// connection, held only while someone in this process is watching.
type Hub struct {
	store  *store.Store
	log    *slog.Logger
	mu     sync.Mutex
	subs   map[*Subscriber]struct{}
	stop   context.CancelFunc // ends the LISTEN loop; nil when none runs
	closed bool
}

// Subscriber is one open inbox's stream of new lead ids.
type Subscriber struct {
	account int64
	Leads   chan int64
	Done    chan struct{} // closed when the hub shuts down
}

// New returns a hub over st; log takes the failures of the LISTEN loop.
func New(st *store.Store, log *slog.Logger) *Hub {
	return &Hub{store: st, log: log, subs: map[*Subscriber]struct{}{}}
}

// Subscribe starts a stream of the new leads of account.
func (h *Hub) Subscribe(account int64) *Subscriber {
	sub := &Subscriber{account: account, Leads: make(chan int64, 64), Done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(sub.Done)
		return sub
	}
	h.subs[sub] = struct{}{}
	if h.stop == nil && h.store.CanListen() {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop = cancel
		go h.listen(ctx)
	}
	return sub
}

// Unsubscribe ends a stream.
func (h *Hub) Unsubscribe(sub *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
	if len(h.subs) == 0 && h.stop != nil {
		h.stop()
		h.stop = nil
	}
}

// listen hears every process's announcements until ctx ends, reconnecting
// after a failure.
func (h *Hub) listen(ctx context.Context) {
	for {
		err := h.store.ListenLeads(ctx, nil, h.fanout)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("listen for new leads", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// LeadCreated tells open inboxes about a new lead. The webhook, the API and
// re-processing call it after the lead is committed.
func (h *Hub) LeadCreated(l lead.Lead) { h.announce(l.AccountID, l.ID) }

// announce is called after a lead is committed. On PostgreSQL the NOTIFY
// comes back to this process too, so it fans out only when NOTIFY fails.
func (h *Hub) announce(account, leadID int64) {
	if h.store.CanListen() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := h.store.NotifyLead(ctx, account, leadID); err == nil {
			return
		}
	}
	h.fanout(account, leadID)
}

// fanout hands a lead to every subscriber of its account; a browser too slow
// to take it misses the event and catches up on its next fetch.
func (h *Hub) fanout(account, leadID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		if sub.account != account {
			continue
		}
		select {
		case sub.Leads <- leadID:
		default:
		}
	}
}

// Close ends every live-update stream, so a graceful shutdown need not wait
// for browsers to hang up.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for sub := range h.subs {
		close(sub.Done)
		delete(h.subs, sub)
	}
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
}
