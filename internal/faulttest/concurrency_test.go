//go:build fault

package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"leadbox/internal/store/storetest"
)

// servers starts the processes a concurrency test spreads its requests over:
// one on SQLite, two sharing the database on PostgreSQL.
func servers(t *testing.T, engine, dsn string) []*server {
	srvs := []*server{startServer(t, dsn)}
	if engine == "postgres" {
		srvs = append(srvs, startServer(t, dsn))
	}
	return srvs
}

// burst sends n requests at once (released together after all are ready);
// request i goes to urls[i%len(urls)] with body(i) and key.
func burst(t *testing.T, urls []string, n int, body func(i int) []byte, key string) []reply {
	t.Helper()
	c := newClient(n, 60*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Open the connections first, so that the requests race in the server
	// rather than in connection set-up.
	var warm sync.WaitGroup
	for i := range n {
		warm.Go(func() {
			base, _, _ := strings.Cut(urls[i%len(urls)], "/hooks/")
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
			if resp, err := c.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
	warm.Wait()
	start := make(chan struct{})
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		b := body(i)
		wg.Go(func() {
			<-start
			replies[i] = send(ctx, c, urls[i%len(urls)], b, key)
		})
	}
	close(start)
	wg.Wait()
	return replies
}

// TestOnePhoneThreeFormats proves duplicate detection under concurrency:
// 500 simultaneous posts of one phone written three ways (spread over two
// processes on PostgreSQL) give exactly one lead with firstId null, every
// other pointing to it, and otherCounts exactly 0…499.
func TestOnePhoneThreeFormats(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		const n = 500
		srvs := servers(t, engine, dsn)
		srcID, path := createSource(t, dsn)
		var urls []string
		for _, s := range srvs {
			urls = append(urls, s.url+path)
		}
		formats := []string{"+79998887766", "8 (999) 888-77-66", "79998887766"}
		t0 := time.Now()
		replies := burst(t, urls, n, func(i int) []byte {
			return []byte(fmt.Sprintf(`{"name": "Клиент %d", "phone": %q, "utmTerm": "dup-%d"}`, i, formats[i%3], i))
		}, "")
		took := time.Since(t0)

		type answer struct {
			ID         int64  `json:"id"`
			FirstID    *int64 `json:"firstId"`
			OtherCount int64  `json:"otherCount"`
			Phone      string `json:"phone"`
		}
		var got []answer
		for i, r := range replies {
			var v struct{ Data answer }
			if r.err != nil || r.status != http.StatusCreated || json.Unmarshal(r.body, &v) != nil {
				t.Fatalf("request %d (%s): %s", i, formats[i%3], r)
			}
			got = append(got, v.Data)
		}
		checkDuplicates := func(what string, ids []int64, firsts []*int64, counts []int64) {
			t.Helper()
			var first int64
			for i, f := range firsts {
				if f == nil {
					if first != 0 {
						t.Errorf("%s: leads %d and %d both have firstId null", what, first, ids[i])
					}
					first = ids[i]
				}
			}
			if first == 0 {
				t.Fatalf("%s: no lead has firstId null", what)
			}
			if first != slices.Min(ids) {
				t.Errorf("%s: the lead with firstId null is %d, not the earliest (%d)", what, first, slices.Min(ids))
			}
			for i, f := range firsts {
				if f != nil && *f != first {
					t.Errorf("%s: lead %d has firstId %d, want %d", what, ids[i], *f, first)
				}
			}
			sorted := slices.Sorted(slices.Values(counts))
			for i, c := range sorted {
				if c != int64(i) {
					t.Fatalf("%s: otherCounts sorted are %v…, want exactly 0…%d", what, sorted[:min(len(sorted), i+3)], n-1)
				}
			}
		}
		var ids, counts []int64
		var firsts []*int64
		for _, a := range got {
			if a.Phone != "79998887766" {
				t.Errorf("lead %d phone %q, want 79998887766", a.ID, a.Phone)
			}
			ids, firsts, counts = append(ids, a.ID), append(firsts, a.FirstID), append(counts, a.OtherCount)
		}
		checkDuplicates("answers", ids, firsts, counts)

		ids, firsts, counts = nil, nil, nil
		for _, l := range storedLeads(t, openDB(t, engine, dsn), srcID) {
			var f *int64
			if l.firstID.Valid {
				f = &l.firstID.Int64
			}
			ids, firsts, counts = append(ids, l.id), append(firsts, f), append(counts, l.otherCount)
		}
		if len(ids) != n {
			t.Fatalf("%d leads stored, want %d", len(ids), n)
		}
		checkDuplicates("database", ids, firsts, counts)
		t.Logf("%s: %d concurrent posts over %d process(es) in %v: one lead with firstId null, otherCounts 0…%d in answers and database",
			engine, n, len(srvs), took.Round(time.Millisecond), n-1)
	})
}

// TestOneKeyFiftyTimes proves Idempotency-Key under concurrency: 50
// simultaneous requests with one key (over two processes on PostgreSQL)
// store one lead; every answer is the original 201 body, byte for byte, or
// 409 with Retry-After. Five keys in a row.
func TestOneKeyFiftyTimes(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		const n, keys = 50, 5
		srvs := servers(t, engine, dsn)
		srcID, path := createSource(t, dsn)
		var urls []string
		for _, s := range srvs {
			urls = append(urls, s.url+path)
		}
		gen := newLeads()
		answered := map[string]int64{}
		var replayed, conflicts int
		for range keys {
			tag, body := gen.next()
			replies := burst(t, urls, n, func(int) []byte { return body }, tag)
			var original []byte
			for _, r := range replies {
				if r.err == nil && r.status == http.StatusCreated && r.header.Get("Idempotent-Replayed") == "" {
					if original != nil {
						t.Errorf("key %s: two original 201 answers:\n%s\n%s", tag, original, r.body)
					}
					original = r.body
				}
			}
			if original == nil {
				t.Fatalf("key %s: no original 201 among %v", tag, replies)
			}
			answered[tag] = created(t, reply{body: original})
			for i, r := range replies {
				switch {
				case r.err != nil:
					t.Errorf("key %s request %d: %v", tag, i, r.err)
				case r.status == http.StatusConflict && r.header.Get("Retry-After") != "":
					conflicts++
				case r.status == http.StatusCreated && r.header.Get("Idempotent-Replayed") == "true":
					replayed++
					if !bytes.Equal(r.body, original) {
						t.Errorf("key %s request %d: replayed body differs from the original:\n%s\n%s", tag, i, r.body, original)
					}
				case r.status == http.StatusCreated:
				default:
					t.Errorf("key %s request %d: %s (headers %v)", tag, i, r, r.header)
				}
			}
		}
		db := openDB(t, engine, dsn)
		if stored := checkReadBack(t, db, srcID, answered); stored != keys {
			t.Errorf("%d leads stored for %d keys", stored, keys)
		}
		checkKeys(t, db, srcID, answered)
		t.Logf("%s: %d keys × %d concurrent requests over %d process(es): one lead per key; %d replayed byte-identical, %d answered 409",
			engine, keys, n, len(srvs), replayed, conflicts)
	})
}
