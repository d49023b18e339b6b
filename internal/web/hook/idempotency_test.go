package hook_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

func TestIdempotencyKey(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		const body = `{"phone": "79991112233", "name": "Повтор"}`

		first := e.Post(t, e.Src, body, "Idempotency-Key", "order-1")
		webtest.WantCreated(t, first)
		if h := first.Header.Get("Idempotent-Replayed"); h != "" {
			t.Fatalf("a first answer says Idempotent-Replayed: %q", h)
		}

		t.Run("a retry gets the same answer and creates nothing", func(t *testing.T) {
			for i := 0; i < 3; i++ {
				before := len(e.Deliveries(t, e.Src))
				r := e.Post(t, e.Src, body, "Idempotency-Key", "order-1")
				if r.Status != first.Status || !bytes.Equal(r.Body, first.Body) {
					t.Fatalf("replay %d: %d %s\nwant %d %s", i, r.Status, r.Body, first.Status, first.Body)
				}
				if r.Header.Get("Idempotent-Replayed") != "true" {
					t.Fatalf("replay %d: Idempotent-Replayed = %q, want true", i, r.Header.Get("Idempotent-Replayed"))
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("replay: Content-Type %q", ct)
				}
				if n := e.CountLeads(t); n != 1 {
					t.Fatalf("%d leads after a replay, want 1", n)
				}
				// The replay is logged too, marked as one, with no lead of its own.
				ds := e.Deliveries(t, e.Src)
				if len(ds) != before+1 {
					t.Fatalf("replay not in the delivery log")
				}
				// (Its idempotency_key column is not checked: the store logs
				// the key only of requests that may store an answer under it.)
				d := ds[0]
				if d.Status != 201 || !d.Replayed || !bytes.Equal(d.Body, []byte(body)) || d.LeadID != nil {
					t.Fatalf("replay's delivery: status %d replayed %v lead %v body %q", d.Status, d.Replayed, d.LeadID, d.Body)
				}
				orig := ds[len(ds)-1]
				if orig.Replayed || orig.IdempotencyKey == nil || *orig.IdempotencyKey != "order-1" || orig.LeadID == nil {
					t.Fatalf("original delivery: replayed %v key %v lead %v", orig.Replayed, orig.IdempotencyKey, orig.LeadID)
				}
			}
		})

		t.Run("the same key with another body is a 422", func(t *testing.T) {
			r := e.Post(t, e.Src, `{"phone": "79991112233", "name": "Другое"}`, "Idempotency-Key", "order-1")
			webtest.WantFieldError(t, r, 422, "Idempotency-Key", "")
			if r.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("a refused key says Idempotent-Replayed")
			}
			if n := e.CountLeads(t); n != 1 {
				t.Fatalf("%d leads, want 1", n)
			}
			// The key still answers its own body.
			again := e.Post(t, e.Src, body, "Idempotency-Key", "order-1")
			if !bytes.Equal(again.Body, first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("after a mismatch the key answers %d %s", again.Status, again.Body)
			}
		})

		t.Run("another key creates another lead", func(t *testing.T) {
			r := e.Post(t, e.Src, body, "Idempotency-Key", "order-2")
			data := webtest.WantCreated(t, r)
			if r.Header.Get("Idempotent-Replayed") != "" || bytes.Equal(r.Body, first.Body) {
				t.Fatalf("a new key was replayed")
			}
			if string(data["otherCount"]) != "1" {
				t.Fatalf("otherCount %s, want 1", data["otherCount"])
			}
		})

		t.Run("keys are per source", func(t *testing.T) {
			src, err := e.Store.CreateSource(context.Background(), lead.Source{AccountID: e.Acct.ID, Name: "Second", Type: lead.SourceWebhook})
			if err != nil {
				t.Fatal(err)
			}
			r := e.Post(t, src, body, "Idempotency-Key", "order-1")
			webtest.WantCreated(t, r)
			if r.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("another source's key was replayed")
			}
		})

		t.Run("a key of 255 characters is taken", func(t *testing.T) {
			r := e.Post(t, e.Src, `{"phone": "79991112234"}`, "Idempotency-Key", strings.Repeat("ключ", 63)+"abc")
			webtest.WantCreated(t, r)
		})

		t.Run("a key of 256 characters is a 422", func(t *testing.T) {
			n := e.CountLeads(t)
			before := len(e.Deliveries(t, e.Src))
			b := `{"phone": "79991112235"}`
			r := e.Post(t, e.Src, b, "Idempotency-Key", strings.Repeat("k", 256))
			webtest.WantFieldError(t, r, 422, "Idempotency-Key", "255")
			if e.CountLeads(t) != n {
				t.Fatalf("an over-long key created a lead")
			}
			e.CheckDelivery(t, e.Src, before, http.MethodPost, "application/json", []byte(b), r)
		})

		t.Run("a 422 is replayed", func(t *testing.T) {
			b := `{"name": "без контактов"}`
			r1 := e.Post(t, e.Src, b, "Idempotency-Key", "bad-1")
			if r1.Status != 422 || string(r1.Body) != phoneRequired() {
				t.Fatalf("first: %d %s", r1.Status, r1.Body)
			}
			r2 := e.Post(t, e.Src, b, "Idempotency-Key", "bad-1")
			if r2.Status != 422 || !bytes.Equal(r2.Body, r1.Body) || r2.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay: %d %q %s", r2.Status, r2.Header.Get("Idempotent-Replayed"), r2.Body)
			}
			// Another body under the key is refused rather than run.
			r3 := e.Post(t, e.Src, `{"phone": "79991112236"}`, "Idempotency-Key", "bad-1")
			webtest.WantFieldError(t, r3, 422, "Idempotency-Key", "")
		})

		t.Run("a 400 is replayed", func(t *testing.T) {
			b := `{"phone": `
			r1 := e.Post(t, e.Src, b, "Idempotency-Key", "bad-2")
			r2 := e.Post(t, e.Src, b, "Idempotency-Key", "bad-2")
			if r1.Status != 400 || r2.Status != 400 || !bytes.Equal(r1.Body, r2.Body) || r2.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("400 then %d %q %s", r2.Status, r2.Header.Get("Idempotent-Replayed"), r2.Body)
			}
		})

		t.Run("a 410 is not kept: enabling the source lets the retry through", func(t *testing.T) {
			ctx := context.Background()
			src, err := e.Store.CreateSource(ctx, lead.Source{AccountID: e.Acct.ID, Name: "Flaky", Type: lead.SourceWebhook})
			if err != nil {
				t.Fatal(err)
			}
			e.Store.SetSourceEnabled(ctx, e.Acct.ID, src.ID, false)
			b := `{"phone": "79991112237"}`
			if r := e.Post(t, src, b, "Idempotency-Key", "k"); r.Status != 410 {
				t.Fatalf("disabled: %d %s", r.Status, r.Body)
			}
			e.Store.SetSourceEnabled(ctx, e.Acct.ID, src.ID, true)
			r := e.Post(t, src, b, "Idempotency-Key", "k")
			webtest.WantCreated(t, r)
			if r.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("the 201 after the 410 says replayed")
			}
		})
	})
}

// TestIdempotencyConcurrent sends one key and body many times at once: one
// lead is created, and every answer is that lead's 201 or a 409 to retry.
func TestIdempotencyConcurrent(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		const n = 24
		body := []byte(`{"phone": "79995556677"}`)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
		defer client.CloseIdleConnections()
		start := make(chan struct{})
		answers := make([]webtest.Response, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i], errs[i] = webtest.Send(client, http.MethodPost, e.Hook(e.Src), body, "Idempotency-Key", "same")
			}()
		}
		close(start)
		wg.Wait()
		var created []byte
		for i, r := range answers {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			switch r.Status {
			case 201:
				if created == nil {
					created = r.Body
				} else if !bytes.Equal(created, r.Body) {
					t.Fatalf("two different 201s for one key:\n%s\n%s", created, r.Body)
				}
			case 409:
				webtest.WantFieldError(t, r, 409, "Idempotency-Key", "")
				if r.Header.Get("Retry-After") != "1" {
					t.Fatalf("409 Retry-After = %q, want 1", r.Header.Get("Retry-After"))
				}
			default:
				t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
			}
		}
		if created == nil {
			t.Fatal("no request got the 201")
		}
		if c := e.CountLeads(t); c != 1 {
			t.Fatalf("%d leads for one key, want 1", c)
		}
		// The key now answers with the lead.
		r := e.Post(t, e.Src, string(body), "Idempotency-Key", "same")
		if !bytes.Equal(r.Body, created) || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("after the race: %d %s", r.Status, r.Body)
		}
	})
}

// TestIdempotencyInFlight holds the database's writes so that a request with
// an Idempotency-Key is still being processed when its retry arrives: the
// retry gets 409 with Retry-After: 1, the first its 201, and a later retry
// the replay.
func TestIdempotencyInFlight(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		// active is done when two connections have started a request each.
		var active sync.WaitGroup
		active.Add(2)
		var mu sync.Mutex
		conns := map[net.Conn]bool{}
		e := webtest.NewEnvServer(t, engine, func(srv *httptest.Server) {
			srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
				mu.Lock()
				defer mu.Unlock()
				if s == http.StateActive && !conns[c] && len(conns) < 2 {
					conns[c] = true
					active.Done()
				}
			}
		})
		body := []byte(`{"phone": "79997778899"}`)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		defer client.CloseIdleConnections()

		release := storetest.HoldWrites(t, e.Engine, e.DSN)
		answers := make(chan webtest.Response, 2)
		for range 2 {
			go func() {
				r, err := webtest.Send(client, http.MethodPost, e.Hook(e.Src), body, "Idempotency-Key", "slow")
				if err != nil {
					t.Errorf("post: %v", err)
				}
				answers <- r
			}()
		}
		// Both requests are in the server; give them time to reach the
		// store, where one holds the key and waits for the lock.
		waitTimeout(t, &active, 10*time.Second)
		time.Sleep(300 * time.Millisecond)
		release()
		a, b := <-answers, <-answers
		if a.Status == 409 {
			a, b = b, a
		}
		if a.Status != 201 || b.Status != 409 {
			t.Fatalf("answers %d and %d, want 201 and 409:\n%s\n%s", a.Status, b.Status, a.Body, b.Body)
		}
		webtest.WantFieldError(t, b, 409, "Idempotency-Key", "")
		if b.Header.Get("Retry-After") != "1" {
			t.Fatalf("409 Retry-After = %q, want 1", b.Header.Get("Retry-After"))
		}
		r := e.Post(t, e.Src, string(body), "Idempotency-Key", "slow")
		if r.Status != 201 || !bytes.Equal(r.Body, a.Body) || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry after the 409: %d %q %s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Body)
		}
		if n := e.CountLeads(t); n != 1 {
			t.Fatalf("%d leads, want 1", n)
		}
		// The 409 is logged but does not take the key: its answer is not the key's.
		var saw409 bool
		for _, d := range e.Deliveries(t, e.Src) {
			saw409 = saw409 || d.Status == 409
		}
		if !saw409 {
			t.Fatal("the 409 is not in the delivery log")
		}
	})
}

func waitTimeout(t *testing.T, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal("requests did not reach the server")
	}
}
