//go:build fault

package faulttest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leadbox/internal/store/storetest"
)

// TestSlowClients proves that slow clients cannot crowd out real senders:
// 1,000 connections that trickle their headers a byte at a time are cut by
// the server's ReadHeaderTimeout (5 s), and meanwhile a normal load keeps its
// latency (p99 within 5× of the same load without them, plus 250 ms).
func TestSlowClients(t *testing.T) {
	const (
		slow          = 1000
		senders       = 10
		window        = 8 * time.Second
		headerTimeout = 5 * time.Second // serve.go's ReadHeaderTimeout
		cutBy         = headerTimeout + 3*time.Second
	)
	dsn := storetest.DSN(t, "sqlite")
	srv := startServer(t, dsn)
	srcID, path := createSource(t, dsn)
	url := srv.url + path
	gen := newLeads()
	var mu sync.Mutex
	answered := map[string]int64{}

	// normal posts leads from senders for d and returns their latencies.
	normal := func(d time.Duration) ([]time.Duration, map[string]int) {
		c := newClient(senders, 30*time.Second)
		var lat []time.Duration
		counts := map[string]int{}
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				for n := 0; n < 100_000 && time.Now().Before(deadline); n++ {
					tag, body := gen.next()
					r := send(context.Background(), c, url, body, tag)
					mu.Lock()
					counts[statusName(r)]++
					if r.err == nil && r.status == http.StatusCreated {
						answered[tag] = created(t, r)
						lat = append(lat, r.latency)
					} else {
						t.Errorf("normal load: %s", r)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return lat, counts
	}

	base, baseCounts := normal(window)

	// The slow clients: each connects, sends a request line and then one
	// byte of a header every 250 ms, and connects again once cut, until the
	// window ends.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		cuts, notCut, dialErrs atomic.Int64
		connected              sync.WaitGroup
		slowest                atomic.Int64
		wg                     sync.WaitGroup
	)
	connected.Add(slow)
	for i := range slow {
		wg.Go(func() {
			first := true
			for n := 0; n < 100 && ctx.Err() == nil; n++ {
				conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
				if first {
					connected.Done()
					first = false
				}
				if err != nil {
					dialErrs.Add(1)
					time.Sleep(100 * time.Millisecond)
					continue
				}
				t0 := time.Now()
				cut := make(chan struct{})
				go func() {
					buf := make([]byte, 512)
					conn.SetReadDeadline(time.Now().Add(30 * time.Second))
					for {
						if _, err := conn.Read(buf); err != nil {
							break
						}
					}
					close(cut)
				}()
				fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nX-Slow-%d: ", path, srv.addr, i)
				tick := time.NewTicker(250 * time.Millisecond)
			trickle:
				for {
					select {
					case <-cut:
						took := time.Since(t0)
						cuts.Add(1)
						for s := slowest.Load(); took > time.Duration(s) && !slowest.CompareAndSwap(s, int64(took)); s = slowest.Load() {
						}
						break trickle
					case <-ctx.Done():
						break trickle
					case <-tick.C:
						if time.Since(t0) > cutBy {
							notCut.Add(1)
							break trickle
						}
						conn.Write([]byte("a"))
					}
				}
				tick.Stop()
				conn.Close()
				<-cut
			}
		})
	}
	waitGroup(t, &connected, 60*time.Second, "the slow clients to connect")
	open := countConns(srv.pid())
	loaded, loadedCounts := normal(window)
	cancel() // the window outlasts the timeout: every slow client has been cut once

	wg.Wait()

	if n := notCut.Load(); n > 0 {
		t.Errorf("%d slow connections still open %v after connecting, want cut by the %v ReadHeaderTimeout", n, cutBy, headerTimeout)
	}
	if cuts.Load() < slow {
		t.Errorf("%d slow connections cut, want at least %d", cuts.Load(), slow)
	}
	if dialErrs.Load() > 0 {
		t.Errorf("%d slow clients could not connect", dialErrs.Load())
	}
	p99base, p99 := percentile(base, 99), percentile(loaded, 99)
	if p99 > 5*p99base+250*time.Millisecond {
		t.Errorf("normal load p99 %v with %d slow clients, %v without; want within 5× + 250ms", p99, slow, p99base)
	}
	srv.stop()
	stored := checkReadBack(t, openDB(t, "sqlite", dsn), srcID, answered)
	t.Logf("%d slow clients (%d server connections open): %d cut, the slowest after %v, %d not cut; normal load of %d senders without: %v p50 %s p99 %s; with: %v p50 %s p99 %s; %d stored",
		slow, open, cuts.Load(), time.Duration(slowest.Load()).Round(time.Millisecond), notCut.Load(), senders,
		baseCounts, ms(percentile(base, 50)), ms(p99base), loadedCounts, ms(percentile(loaded, 50)), ms(p99), stored)
}

// countConns counts a process's open sockets, for the log.
func countConns(pid int) int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}
