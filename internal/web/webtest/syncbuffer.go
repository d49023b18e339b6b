// Package webtest holds what tests of leadbox's servers and processes
// share, so that no test package keeps a copy: an output buffer tests may
// read while a server writes to it, and the check that a parser refused
// with an error a handler can answer. Databases (engines, a store, a held
// write lock) come from storetest. It imports no server package, so the
// surfaces' own tests can use it.
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
