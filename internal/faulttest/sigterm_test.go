//go:build fault

package faulttest

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leadbox/internal/store/storetest"
)

// TestSIGTERM proves that a graceful stop loses nothing: 200 requests are
// in flight (their bodies half sent) when SIGTERM arrives, beside a steady
// load; every one of them gets a final answer, the process exits 0 within
// 10 s, and every lead answered 201 is stored.
func TestSIGTERM(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		const inflight, steady = 200, 50
		srv := startServer(t, dsn)
		srcID, path := createSource(t, dsn)
		url := srv.url + path
		c := newClient(inflight+steady, 30*time.Second)
		gen := newLeads()

		var mu sync.Mutex
		answered := map[string]int64{}
		record := func(tag string, r reply) {
			if r.status == http.StatusCreated {
				id := created(t, r)
				mu.Lock()
				answered[tag] = id
				mu.Unlock()
			}
		}

		// The steady load: full requests until the server stops taking them.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var termAt atomic.Int64
		var steadyOK, steadyRefused atomic.Int64
		var wg sync.WaitGroup
		for range steady {
			wg.Go(func() {
				for n := 0; n < 10_000 && ctx.Err() == nil; n++ {
					tag, body := gen.next()
					r := send(ctx, c, url, body, tag)
					if r.err != nil {
						if termAt.Load() == 0 {
							t.Errorf("steady request failed before SIGTERM: %v", r.err)
						}
						steadyRefused.Add(1)
						return
					}
					if r.status != http.StatusCreated {
						t.Errorf("steady request answered %s", r)
					}
					record(tag, r)
					steadyOK.Add(1)
				}
			})
		}

		// The in-flight requests: headers and half the body sent, the rest
		// held back until the server is shutting down.
		var halfSent sync.WaitGroup
		release := make(chan struct{})
		replies := make([]reply, inflight)
		for i := range inflight {
			tag, body := gen.next()
			pr, pw := io.Pipe()
			halfSent.Add(1)
			go func() {
				pw.Write(body[:len(body)/2])
				halfSent.Done()
				<-release
				pw.Write(body[len(body)/2:])
				pw.Close()
			}()
			wg.Go(func() {
				replies[i] = sendFrom(ctx, c, url, pr, tag)
				record(tag, replies[i])
			})
		}
		waitGroup(t, &halfSent, 30*time.Second, "the in-flight requests' first halves")
		time.Sleep(300 * time.Millisecond) // the server has read their headers

		exited := make(chan struct{})
		var took time.Duration
		var exitErr error
		termAt.Store(time.Now().UnixNano())
		go func() { took, exitErr = srv.terminate(10 * time.Second); close(exited) }()
		time.Sleep(200 * time.Millisecond) // shutting down now, with 200 bodies unread
		close(release)
		wg.Wait()
		<-exited

		statuses := map[string]int{}
		for i, r := range replies {
			statuses[statusName(r)]++
			if r.err != nil || r.status != http.StatusCreated {
				if statuses[statusName(r)] <= 3 {
					t.Errorf("in-flight request %d: %s, want 201", i, r)
				}
			}
		}
		if exitErr != nil || took > 10*time.Second {
			t.Errorf("exit after SIGTERM: %v after %v, want exit 0 within 10s\n%s", exitErr, took, srv.out.Tail())
		}
		db := openDB(t, engine, dsn)
		stored := checkReadBack(t, db, srcID, answered)
		t.Logf("%s: exit 0 %v after SIGTERM; %d in-flight requests answered %v; steady load %d answered 201 and %d refused after SIGTERM; %d leads answered 201, %d stored",
			engine, took.Round(time.Millisecond), inflight, statuses, steadyOK.Load(), steadyRefused.Load(), len(answered), stored)
	})
}

// statusName is a reply's status, or "error" for a transport error.
func statusName(r reply) string {
	if r.err != nil {
		return "error"
	}
	return http.StatusText(r.status)
}

// waitGroup waits for wg, failing the test after limit.
func waitGroup(t *testing.T, wg *sync.WaitGroup, limit time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("waiting for %s: still not done after %v", what, limit)
	}
}
