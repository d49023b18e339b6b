//go:build fault

package faulttest

import (
	"context"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"leadbox/internal/store/storetest"
)

// soakDuration is how long TestSustainedLoad runs each configuration:
// LEADBOX_FAULT_SOAK (a Go duration such as 5m), 40 s by default so that CI
// stays short.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("LEADBOX_FAULT_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second {
			t.Fatalf("LEADBOX_FAULT_SOAK=%q: want a duration of at least 10s", v)
		}
		return d
	}
	return 40 * time.Second
}

// TestSustainedLoad proves intake holds up over time: many concurrent
// senders post for LEADBOX_FAULT_SOAK on SQLite, on PostgreSQL, and on two
// processes sharing PostgreSQL; every tenth request is invalid on purpose.
// Only 201 and 422 are answered, every 201 reads back, and each process's
// resident memory in the last third of the run stays within 15% + 16 MB of
// the first third's (after a 20% warm-up).
func TestSustainedLoad(t *testing.T) {
	d := soakDuration(t)
	for _, cfg := range []struct {
		engine string
		procs  int
	}{{"sqlite", 1}, {"postgres", 1}, {"postgres", 2}} {
		name := cfg.engine
		if cfg.procs > 1 {
			name += "_two_processes"
		}
		t.Run(name, func(t *testing.T) {
			const senders = 64
			dsn := storetest.DSN(t, cfg.engine)
			var srvs []*server
			for range cfg.procs {
				srvs = append(srvs, startServer(t, dsn))
			}
			srcID, path := createSource(t, dsn)
			c := newClient(senders, 30*time.Second)
			gen := newLeads()

			var mu sync.Mutex
			answered := map[string]int64{}
			counts := map[string]int{}
			var lat []time.Duration
			deadline := time.Now().Add(d)
			var wg sync.WaitGroup
			for i := range senders {
				url := srvs[i%len(srvs)].url + path
				wg.Go(func() {
					for n := 0; n < 10_000_000 && time.Now().Before(deadline); n++ {
						bad := n%10 == 9
						tag, body := gen.next()
						if bad {
							body = gen.invalid()
						}
						r := send(context.Background(), c, url, body, "")
						mu.Lock()
						counts[statusName(r)]++
						switch {
						case r.err == nil && !bad && r.status == http.StatusCreated:
							answered[tag] = created(t, r)
							lat = append(lat, r.latency)
						case r.err == nil && bad && r.status == http.StatusUnprocessableEntity:
						default:
							if counts[statusName(r)] <= 5 {
								t.Errorf("sender %d (invalid=%v): %s", i, bad, r)
							}
						}
						mu.Unlock()
					}
				})
			}
			// Resident memory of each process, twice a second.
			rss := make([][]int64, len(srvs))
			stop := make(chan struct{})
			var sampler sync.WaitGroup
			sampler.Go(func() {
				tick := time.NewTicker(500 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						for i, s := range srvs {
							if m, err := memory(s.pid()); err == nil {
								rss[i] = append(rss[i], m)
							}
						}
					}
				}
			})
			wg.Wait()
			close(stop)
			sampler.Wait()
			for _, s := range srvs {
				s.stop()
			}

			stored := checkReadBack(t, openDB(t, cfg.engine, dsn), srcID, answered)
			if stored != len(answered) {
				t.Errorf("%d leads stored, %d answered 201", stored, len(answered))
			}
			for i, samples := range rss {
				first, last, ok := thirds(samples)
				if !ok {
					t.Errorf("process %d: only %d memory samples", i+1, len(samples))
					continue
				}
				if float64(last) > 1.15*float64(first)+16<<20 {
					t.Errorf("process %d: resident memory grew from %d MB (median of the first third) to %d MB (last third)", i+1, first>>20, last>>20)
				}
				t.Logf("process %d RSS: median first third %d MB, last third %d MB, peak %d MB (%d samples)",
					i+1, first>>20, last>>20, slices.Max(samples)>>20, len(samples))
			}
			secs := d.Seconds()
			t.Logf("%s, %d process(es), %d senders, %v: %v; %.0f leads/s; 201 latency p50 %s p99 %s max %s; %d answered 201, %d stored",
				cfg.engine, cfg.procs, senders, d, counts, float64(len(answered))/secs,
				ms(percentile(lat, 50)), ms(percentile(lat, 99)), ms(percentile(lat, 100)), len(answered), stored)
		})
	}
}

// thirds returns the median of the first and of the last third of samples,
// after dropping the first fifth as warm-up.
func thirds(samples []int64) (first, last int64, ok bool) {
	s := samples[len(samples)/5:]
	n := len(s) / 3
	if n < 3 {
		return 0, 0, false
	}
	median := func(xs []int64) int64 {
		c := slices.Sorted(slices.Values(xs))
		return c[len(c)/2]
	}
	return median(s[:n]), median(s[len(s)-n:]), true
}
