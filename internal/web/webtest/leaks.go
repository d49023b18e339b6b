package webtest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs a package's tests and fails the package when a test leaves a
// server connection, a database pool or a leadbox goroutine running (or one
// whose stack holds any of markers). A package's TestMain calls it.
func Main(m *testing.M, markers ...string) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(5*time.Second, markers); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines waits up to d for server-side goroutines to end and
// returns the stacks of those that do not.
func leakedGoroutines(d time.Duration, more []string) string {
	markers := append([]string{"net/http.(*conn).serve", "database/sql.(*DB).connectionOpener", "leadbox/internal/"}, more...)
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "leakedGoroutines") {
				continue // this one
			}
			for _, m := range markers {
				if strings.Contains(g, m) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
