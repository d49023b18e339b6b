// Package webtest holds what tests of leadbox's servers and processes
// share, so that no test package keeps a copy:
//
//   - env.go: Env, a started server over a real store with two accounts
//     (an admin, a manager, sources, reference rows, and a rival account
//     whose rows the first must never reach), and the checks of the
//     webhook's answers; Serve starts a server over any store;
//   - api.go: APIEnv, an Env with API tokens, whose calls are checked
//     against the OpenAPI document;
//   - browser.go, session.go: a browser signed in to the UI (Login, SignIn);
//   - leaks.go: Main, a TestMain that fails on leaked goroutines;
//   - SyncBuffer, an output a test reads while a server writes it, and
//     WantError, the check that a parser refused with an answerable error.
//
// Databases (engines, a store, a held write lock) come from storetest.
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
