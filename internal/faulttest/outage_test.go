//go:build fault

package faulttest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestPostgresOutage proves that leadbox rides out a 30-second PostgreSQL
// outage under steady load: backends are terminated and the server stopped;
// leadbox answers only 201 or 503 with Retry-After, /readyz turns 503 within
// 5 s, no request outlives the webhook's 10-second timeout, and within 5 s of
// the database's return leadbox is ready and saving leads again by itself.
func TestPostgresOutage(t *testing.T) {
	const (
		senders      = 20
		outage       = 30 * time.Second
		before       = 5 * time.Second
		after        = 10 * time.Second
		promptly     = 5 * time.Second
		requestLimit = 11 * time.Second // the webhook's 10 s storage timeout, and a second to answer
	)
	pg := startPrivatePG(t)
	dsn := pg.DSN()
	srv := startServer(t, dsn)
	srcID, path := createSource(t, dsn)
	url := srv.url + path
	c := newClient(senders, 30*time.Second)
	gen := newLeads()

	type result struct {
		start time.Time
		r     reply
	}
	var (
		mu       sync.Mutex
		results  []result
		readyz   []result
		answered = map[string]int64{}
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for n := 0; n < 100_000 && ctx.Err() == nil; n++ {
				tag, body := gen.next()
				t0 := time.Now()
				r := send(context.Background(), c, url, body, tag)
				mu.Lock()
				results = append(results, result{t0, r})
				if r.status == http.StatusCreated {
					answered[tag] = created(t, r)
				}
				mu.Unlock()
				if r.err != nil || r.status != http.StatusCreated {
					time.Sleep(100 * time.Millisecond) // a sender backing off, not a spin
				}
			}
		})
	}
	probe := newClient(1, 10*time.Second)
	wg.Go(func() {
		for n := 0; n < 10_000 && ctx.Err() == nil; n++ {
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodGet, srv.url+"/readyz", nil)
			r := reply{}
			if resp, err := probe.Do(req); err != nil {
				r.err = err
			} else {
				r.status = resp.StatusCode
				resp.Body.Close()
			}
			r.latency = time.Since(t0)
			mu.Lock()
			readyz = append(readyz, result{t0, r})
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	})

	time.Sleep(before)
	downAt := time.Now()
	pg.stop()
	stoppedIn := time.Since(downAt)
	time.Sleep(outage - stoppedIn)
	pg.start()
	upAt := time.Now()
	time.Sleep(after)
	cancel()
	wg.Wait()
	srv.stop()

	// Every answer: 201, or 503 with Retry-After; none late.
	counts := map[string]int{}
	var slowest time.Duration
	var firstReady, firstNotReady, firstSaved time.Duration = -1, -1, -1
	var failedLate int
	for _, res := range results {
		r := res.r
		slowest = max(slowest, r.latency)
		switch {
		case r.err != nil:
			counts["error"]++
			t.Errorf("request at %v: %v", res.start.Sub(downAt).Round(time.Millisecond), r.err)
		case r.status == http.StatusCreated:
			counts["201"]++
			if res.start.After(upAt) && firstSaved < 0 {
				firstSaved = res.start.Add(r.latency).Sub(upAt)
			}
		case r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") != "":
			counts["503"]++
			if res.start.After(upAt.Add(promptly)) {
				failedLate++
			}
		default:
			counts["other"]++
			t.Errorf("request at %v answered %s", res.start.Sub(downAt).Round(time.Millisecond), r)
		}
		if r.latency > requestLimit {
			t.Errorf("request at %v took %v, over %v", res.start.Sub(downAt).Round(time.Millisecond), r.latency, requestLimit)
		}
	}
	for _, res := range readyz {
		done := res.start.Add(res.r.latency)
		if firstNotReady < 0 && res.start.After(downAt) && res.r.status == http.StatusServiceUnavailable {
			firstNotReady = done.Sub(downAt)
		}
		if firstReady < 0 && res.start.After(upAt) && res.r.status == http.StatusOK {
			firstReady = done.Sub(upAt)
		}
		if res.r.err != nil {
			t.Errorf("/readyz at %v: %v", res.start.Sub(downAt).Round(time.Millisecond), res.r.err)
		}
	}
	if counts["503"] == 0 {
		t.Errorf("no 503 during the outage: was the database really gone?")
	}
	if firstNotReady < 0 || firstNotReady > promptly {
		t.Errorf("/readyz turned 503 %v after the database went away, want within %v", firstNotReady, promptly)
	}
	if firstReady < 0 || firstReady > promptly {
		t.Errorf("/readyz turned 200 %v after the database came back, want within %v", firstReady, promptly)
	}
	if firstSaved < 0 || firstSaved > promptly {
		t.Errorf("the first lead was saved %v after the database came back, want within %v", firstSaved, promptly)
	}
	if failedLate > 0 {
		t.Errorf("%d requests started more than %v after the database came back were answered 503", failedLate, promptly)
	}
	stored := checkReadBack(t, openDB(t, "postgres", dsn), srcID, answered)
	t.Logf("outage %v (stop took %v): answers %v, slowest %v; /readyz 503 after %v, 200 again %v after the database returned; first 201 %v after; %d answered 201, %d stored",
		outage, stoppedIn.Round(time.Millisecond), counts, slowest.Round(time.Millisecond), firstNotReady.Round(time.Millisecond),
		firstReady.Round(time.Millisecond), firstSaved.Round(time.Millisecond), len(answered), stored)
}
