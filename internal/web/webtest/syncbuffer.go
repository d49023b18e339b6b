// Package webtest holds what tests of leadbox's servers and processes
// share, so that no test package keeps a copy: a started server over a store
// (Serve), a browser signed in to the UI (SignIn, BrowserClient), an API
// token (APIToken), an output buffer tests may read while a server writes to
// it (SyncBuffer), and the check that a parser refused with an error a
// handler can answer (WantError). Databases (engines, a store, a held write
// lock) come from storetest. The surfaces' own tests use it from their
// external test packages (package api_test, ui_test), as it imports the
// server.
package webtest

import (
	"bytes"
	"sync"
)

// SyncBuffer is an output stream (a log, a process's stdout) that tests may
// read while the program writes to it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail is the end of the output, for failure messages.
func (b *SyncBuffer) Tail() string {
	s := b.String()
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return s
}
