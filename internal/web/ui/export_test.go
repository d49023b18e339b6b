package ui

import (
	"net/url"
	"time"

	"leadbox/internal/intake"
	"leadbox/internal/store"
)

// What the tests in package ui_test reach inside the package.

// NewParser returns a Server that can only parse requests.
func NewParser(d *intake.Decoder) *Server { return &Server{decoder: d} }

// InboxQuery is the inbox's filter form as the user filled it in.
type InboxQuery = inboxQuery

func (s *Server) ParseInbox(v url.Values) (InboxQuery, store.LeadFilter, error) {
	return s.parseInbox(v, time.UTC)
}

func (q inboxQuery) Encode() string { return q.encode() }

var LocalPath = localPath
