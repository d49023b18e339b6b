package ui

import (
	"fmt"
	"net/http"
	"time"
)

// handleEvents streams the ids of the account's new leads as Server-Sent
// Events. Every 25 s it sends a comment to keep proxies from closing the
// stream and re-checks the session, so a logout ends the stream too.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // the server's WriteTimeout would cut the stream
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	sub := s.hub.Subscribe(ss.User.AccountID)
	defer s.hub.Unsubscribe(sub)
	fmt.Fprint(w, "retry: 3000\n: hello\n\n")
	rc.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.Done:
			return
		case id := <-sub.Leads:
			fmt.Fprintf(w, "event: lead\ndata: %d\n\n", id)
		case <-ping.C:
			if _, err := s.store.SessionByHash(r.Context(), ss.idHash, s.idle+time.Minute, s.max); err != nil {
				return
			}
			fmt.Fprint(w, ": ping\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
