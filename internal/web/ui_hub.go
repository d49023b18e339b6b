package web

import (
	"context"
	"sync"
	"time"
)

// hub fans new leads out to the open inboxes of their account. On SQLite the
// webhook's own announcement is all there is; on PostgreSQL every process
// announces with NOTIFY and each hears all of them through one LISTEN
// connection, held only while someone in this process is watching.
type hub struct {
	s      *Server
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	stop   context.CancelFunc // ends the LISTEN loop; nil when none runs
	closed bool
}

type subscriber struct {
	account int64
	leads   chan int64
	done    chan struct{} // closed when the hub shuts down
}

func newHub(s *Server) *hub { return &hub{s: s, subs: map[*subscriber]struct{}{}} }

func (h *hub) subscribe(account int64) *subscriber {
	sub := &subscriber{account: account, leads: make(chan int64, 64), done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(sub.done)
		return sub
	}
	h.subs[sub] = struct{}{}
	if h.stop == nil && h.s.store.CanListen() {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop = cancel
		go h.listen(ctx)
	}
	return sub
}

func (h *hub) unsubscribe(sub *subscriber) {
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
func (h *hub) listen(ctx context.Context) {
	for {
		err := h.s.store.ListenLeads(ctx, nil, h.fanout)
		if ctx.Err() != nil {
			return
		}
		h.s.log.Warn("listen for new leads", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// announce is called after a lead is committed. On PostgreSQL the NOTIFY
// comes back to this process too, so it fans out only when NOTIFY fails.
func (h *hub) announce(account, leadID int64) {
	if h.s.store.CanListen() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := h.s.store.NotifyLead(ctx, account, leadID); err == nil {
			return
		}
	}
	h.fanout(account, leadID)
}

// fanout hands a lead to every subscriber of its account; a browser too slow
// to take it misses the event and catches up on its next fetch.
func (h *hub) fanout(account, leadID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		if sub.account != account {
			continue
		}
		select {
		case sub.leads <- leadID:
		default:
		}
	}
}

// CloseStreams ends every live-update stream, so a graceful shutdown need not
// wait for browsers to hang up.
func (s *Server) CloseStreams() {
	h := s.ui.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for sub := range h.subs {
		close(sub.done)
		delete(h.subs, sub)
	}
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
}
