//go:build fault

package faulttest

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"leadbox/internal/store/storetest"
)

// TestKill9 proves that a lead answered 201 survives kill -9 and that
// retrying unanswered requests with their Idempotency-Key never stores one
// twice: 200 clients post, the server is killed at a random moment, restarted,
// and the clients retry what got no answer; ten rounds, then every lead is
// checked by id and by key.
func TestKill9(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		const clients, rounds, perRound = 200, 10, 200
		srv := startServer(t, dsn)
		srcID, path := createSource(t, dsn)
		url := srv.url + path
		c := newClient(clients, 15*time.Second)
		gen := newLeads()

		type item struct {
			tag  string
			body []byte
		}
		var (
			mu       sync.Mutex
			answered = map[string]int64{} // tag (= Idempotency-Key) → id of its 201
			replays  int
			status   = map[int]int{}
		)
		queues := make([][]item, clients) // per client: sent, not answered yet
		// post sends one lead and reports whether it got a final answer.
		post := func(ctx context.Context, it item) (final bool, err error) {
			r := send(ctx, c, url, it.body, it.tag)
			if r.err != nil {
				return false, r.err
			}
			mu.Lock()
			defer mu.Unlock()
			status[r.status]++
			switch r.status {
			case http.StatusCreated:
				id := created(t, r)
				if prev, ok := answered[it.tag]; ok && prev != id {
					t.Errorf("key %s answered 201 with lead %d and then with lead %d", it.tag, prev, id)
				}
				answered[it.tag] = id
				if r.header.Get("Idempotent-Replayed") == "true" {
					replays++
				}
				return true, nil
			case http.StatusServiceUnavailable, http.StatusConflict:
				if r.header.Get("Retry-After") == "" {
					t.Errorf("%d without Retry-After: %s", r.status, r.body)
				}
				return false, nil
			}
			t.Errorf("unexpected answer %s", r)
			return true, nil
		}

		var sent, killedInFlight int
		for round := 1; round <= rounds+1; round++ {
			final := round == rounds+1
			if round > 1 {
				srv.start()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			var wg sync.WaitGroup
			for i := range clients {
				wg.Go(func() {
					q := queues[i]
					dead := false
					// Retries first, each until it is answered (or the server dies).
					for attempt := 0; len(q) > 0 && attempt < 50; attempt++ {
						ok, err := post(ctx, q[0])
						if err != nil {
							dead = true
							break
						}
						if ok {
							q = q[1:]
						} else {
							time.Sleep(50 * time.Millisecond)
						}
					}
					for n := 0; !final && !dead && n < perRound && ctx.Err() == nil; n++ {
						tag, body := gen.next()
						it := item{tag, body}
						mu.Lock()
						sent++
						mu.Unlock()
						ok, err := post(ctx, it)
						if !ok {
							q = append(q, it)
						}
						if err != nil {
							break // the server is gone
						}
					}
					queues[i] = q
				})
			}
			var at time.Duration
			if !final {
				at = time.Duration(300+rand.IntN(1200)) * time.Millisecond
				time.Sleep(at)
				srv.kill()
			}
			wg.Wait()
			cancel()
			unanswered := 0
			for _, q := range queues {
				unanswered += len(q)
			}
			if !final {
				killedInFlight += unanswered
				t.Logf("round %d: killed after %v; %d leads sent so far, %d answered 201, %d unanswered to retry",
					round, at, sent, len(answered), unanswered)
			} else if unanswered > 0 {
				t.Fatalf("%d leads still unanswered after the final round", unanswered)
			}
			if engine == "sqlite" {
				integrityCheck(t, dsn)
			}
		}
		srv.stop()

		db := openDB(t, engine, dsn)
		stored := checkReadBack(t, db, srcID, answered)
		if stored != len(answered) || len(answered) != sent {
			t.Errorf("%d leads sent, %d answered 201, %d stored; want all equal", sent, len(answered), stored)
		}
		checkKeys(t, db, srcID, answered)
		t.Logf("%s: %d rounds, %d leads, %d unanswered at a kill and retried (%d of them replayed: committed before the kill), statuses %v",
			engine, rounds, sent, killedInFlight, replays, status)
	})
}

// checkKeys checks the leads by their Idempotency-Keys: each answered key is
// stored once, and its stored answer names the lead the client was given.
func checkKeys(t *testing.T, db *sql.DB, sourceID int64, answered map[string]int64) {
	t.Helper()
	rows, err := db.Query(`SELECT key, status, response FROM idempotency_keys WHERE source_id = $1`, sourceID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var key string
		var status int
		var body []byte
		if err := rows.Scan(&key, &status, &body); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Data struct {
				ID int64 `json:"id"`
			} `json:"data"`
		}
		json.Unmarshal(body, &v)
		if want, ok := answered[key]; !ok || status != 201 || v.Data.ID != want {
			t.Errorf("key %s stores status %d lead %d; the client was answered lead %d", key, status, v.Data.ID, want)
		}
		seen[key] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(answered) {
		t.Errorf("%d keys stored, %d answered", len(seen), len(answered))
	}
}

// integrityCheck runs SQLite's PRAGMA integrity_check on the file, as the
// next process to open it after a crash would find it.
func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if res != "ok" {
		t.Fatalf("PRAGMA integrity_check: %s", res)
	}
}
