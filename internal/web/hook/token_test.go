package hook_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"math/bits"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/time/rate"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// TestWebhookTokens checks the webhook URL's secret: at least 128 random
// bits, distinct, and found by its hash, not by the token kept for display.
func TestWebhookTokens(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		ctx := context.Background()
		const n = 64
		seen := map[string]bool{}
		ones, total := 0, 0
		for i := range n {
			src := webtest.Must[lead.Source](t)(e.Store.CreateSource(ctx, lead.Source{AccountID: e.Acct.ID, Name: "Entropy " + webtest.ID(int64(i)), Type: lead.SourceWebhook}))
			rest, ok := strings.CutPrefix(src.Token, "wh_")
			if !ok {
				t.Fatalf("token %q lacks its wh_ prefix", src.Token)
			}
			raw, err := base64.RawURLEncoding.DecodeString(rest)
			if err != nil || len(raw) < 16 {
				t.Fatalf("token %q: %d bytes (%v), want at least 16 random bytes", src.Token, len(raw), err)
			}
			if seen[string(raw)] {
				t.Fatalf("token %q given twice", src.Token)
			}
			seen[string(raw)] = true
			for _, b := range raw {
				ones += bits.OnesCount8(b)
			}
			total += 8 * len(raw)
		}
		// 64 tokens of 256 bits: a fair source gives 50% ones, one standard
		// deviation being 0.4%; ±3% (7.7 deviations) never fails by chance,
		// while a counter, a clock or a short secret padded out would.
		f := float64(ones) / float64(total)
		if f < 0.47 || f > 0.53 {
			t.Fatalf("%.3f of the tokens' bits are ones, want 0.5", f)
		}
		t.Logf("%d tokens of %d bits, %.4f of the bits set", n, total/n, f)

		t.Run("LookedUpByHash", func(t *testing.T) {
			db := rawDB(t, e)
			// The shown token may change: the lookup goes by the hash.
			if _, err := db.Exec("UPDATE sources SET token = 'wh_shown_only' WHERE id = $1", e.Src.ID); err != nil {
				t.Fatal(err)
			}
			webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990008800"}`))
			if r := e.Do(t, http.MethodPost, e.Srv.URL+"/hooks/wh_shown_only", []byte(`{"phone": "79990008801"}`)); r.Status != 404 {
				t.Fatalf("the shown token without its hash: %d, want 404", r.Status)
			}
			var hash string
			if err := db.QueryRow("SELECT token_hash FROM sources WHERE id = $1", e.Src.ID).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if hash != lead.HashToken(e.Src.Token) {
				t.Fatalf("token_hash %q is not the token's SHA-256", hash)
			}
			// And without the hash the token finds nothing.
			if _, err := db.Exec("UPDATE sources SET token_hash = $1 WHERE id = $2", lead.HashToken("wh_other"), e.Src.ID); err != nil {
				t.Fatal(err)
			}
			if r := e.Post(t, e.Src, `{"phone": "79990008802"}`); r.Status != 404 {
				t.Fatalf("token whose hash changed: %d, want 404", r.Status)
			}
		})
	})
}

// rawDB opens the env's database beside its store.
func rawDB(t *testing.T, e *webtest.Env) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+e.DSN+"?_pragma=busy_timeout(5000)"
	if e.Engine == "postgres" {
		driver, dsn = "pgx", e.DSN
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestWebhookUnknownTokens posts to 10,000 random URLs of the right shape
// and to near misses of a real one: every answer is 404, nothing is logged
// or created.
func TestWebhookUnknownTokens(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		tok := e.Src.Token
		var urls []string
		for range 10_000 {
			urls = append(urls, e.Srv.URL+"/hooks/"+lead.NewToken("wh_"))
		}
		for _, near := range []string{
			tok[:len(tok)-1], tok + "A", strings.ToUpper(tok), strings.ToLower(tok), tok[3:], "wh_", tok + "=",
			tok[:len(tok)-1] + string(tok[len(tok)-1]^1), lead.HashToken(tok), "wh_" + strings.Repeat("A", 43),
			"wh_" + strings.Repeat("x", 1000), tok[:10] + "%2F" + tok[10:], "%20" + tok, tok + "%20",
		} {
			urls = append(urls, e.Srv.URL+"/hooks/"+near)
		}
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		next := make(chan string)
		for range 8 {
			wg.Go(func() {
				for u := range next {
					r, err := webtest.Send(e.Client, http.MethodPost, u, []byte(`{"phone": "79990009900"}`))
					if err != nil {
						t.Error(err)
						continue
					}
					mu.Lock()
					statuses[r.Status]++
					mu.Unlock()
				}
			})
		}
		for _, u := range urls {
			next <- u
		}
		close(next)
		wg.Wait()
		if statuses[404] != len(urls) {
			t.Fatalf("answers %v, want %d × 404", statuses, len(urls))
		}
		if n := e.CountLeads(t); n != 0 {
			t.Fatalf("%d leads created", n)
		}
		for _, s := range []lead.Source{e.Src, e.Disabled, e.Other.Src} {
			if n := len(e.Deliveries(t, s)); n != 0 {
				t.Fatalf("source %d has %d delivery rows", s.ID, n)
			}
		}
	})
}

// TestWebhookMissLimit: an address that keeps asking for URLs that do not
// exist gets 429 with Retry-After past its burst; the same address still
// reaches a real URL, and another address still gets its 404s.
func TestWebhookMissLimit(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine, func(c *web.Config) { c.MissRate, c.MissBurst = rate.Limit(0.01), 5 })
		miss := func(c *http.Client) webtest.Response {
			r, err := webtest.Send(c, http.MethodPost, e.Srv.URL+"/hooks/"+lead.NewToken("wh_"), []byte(`{"phone": "79990009901"}`))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		for i := range 5 {
			if r := miss(e.Client); r.Status != 404 {
				t.Fatalf("miss %d: %d, want 404", i+1, r.Status)
			}
		}
		r := miss(e.Client)
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("sixth miss: %d, want 429: %s", r.Status, r.Body)
		}
		webtest.ErrorsOf(t, r.Body)
		webtest.WantRetryAfter(t, r)
		// Requests to a real URL take nothing from the bucket and are not limited.
		for range 3 {
			webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990009902"}`))
		}
		if r := e.Post(t, e.Disabled, `{"phone": "79990009902"}`); r.Status != 410 {
			t.Fatalf("disabled source from a limited address: %d, want 410", r.Status)
		}
		// Another address has its own bucket.
		other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
			LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
		defer other.CloseIdleConnections()
		if r := miss(other); r.Status != 404 {
			t.Fatalf("miss from 127.0.0.2: %d, want 404", r.Status)
		}
		if r := miss(e.Client); r.Status != http.StatusTooManyRequests {
			t.Fatalf("127.0.0.1 again: %d, want 429", r.Status)
		}
	})
}

// TestWebhookRotateAndDisable: a rotated URL stops and a disabled source
// answers 410 on the very next request, whether the change came through
// this server's API or straight through the database (the CLI, another
// process), after the old URL was just used (warm in any cache).
func TestWebhookRotateAndDisable(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		ctx := context.Background()
		body := `{"phone": "79990009903"}`
		path := func(src lead.Source, op string) string { return "/api/v1/sources/" + webtest.ID(src.ID) + "/" + op }
		newToken := func(r webtest.Response) lead.Source {
			t.Helper()
			u, _ := webtest.DataOf(t, webtest.Want(t, r, 200))["url"].(string)
			_, tok, ok := strings.Cut(u, "/hooks/")
			if !ok {
				t.Fatalf("no webhook URL in %s", r.Body)
			}
			return lead.Source{Token: tok}
		}
		for _, via := range []string{"API", "store"} {
			t.Run(via, func(t *testing.T) {
				src := webtest.Must[lead.Source](t)(a.Store.CreateSource(ctx, lead.Source{AccountID: a.Acct.ID, Name: "Rotate via " + via, Type: lead.SourceWebhook}))
				old := src
				for range 3 {
					webtest.WantCreated(t, a.Post(t, old, body))
				}
				var fresh lead.Source
				if via == "API" {
					fresh = newToken(a.Call(t, http.MethodPost, path(src, "rotate"), ""))
				} else {
					fresh = webtest.Must[lead.Source](t)(a.Store.RotateSourceToken(ctx, a.Acct.ID, src.ID))
				}
				if fresh.Token == old.Token {
					t.Fatal("rotation kept the token")
				}
				if r := a.Post(t, old, body); r.Status != 404 {
					t.Fatalf("old URL right after rotation: %d, want 404", r.Status)
				}
				webtest.WantCreated(t, a.Post(t, fresh, body))

				if via == "API" {
					webtest.Want(t, a.Call(t, http.MethodPost, path(src, "disable"), ""), 200)
				} else {
					webtest.Must[lead.Source](t)(a.Store.SetSourceEnabled(ctx, a.Acct.ID, src.ID, false))
				}
				if r := a.Post(t, fresh, body); r.Status != 410 {
					t.Fatalf("right after disabling: %d, want 410", r.Status)
				}
				if via == "API" {
					webtest.Want(t, a.Call(t, http.MethodPost, path(src, "enable"), ""), 200)
				} else {
					webtest.Must[lead.Source](t)(a.Store.SetSourceEnabled(ctx, a.Acct.ID, src.ID, true))
				}
				webtest.WantCreated(t, a.Post(t, fresh, body))
				if r := a.Post(t, old, body); r.Status != 404 {
					t.Fatalf("old URL after enabling again: %d, want 404", r.Status)
				}
			})
		}
	})
}

// TestWebhookSourceChangedElsewhere changes a source behind the server's
// back, as a CLI command or a second server does, right after the server
// has read it: the next request is answered by the source as it is now,
// whatever path it takes (a lead, a rejected body, a connection check), and
// nothing is written for the old copy.
func TestWebhookSourceChangedElsewhere(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		db := rawDB(t, e)
		change := func(q string) {
			t.Helper()
			webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990007700"}`)) // the server reads and keeps the source
			if _, err := db.Exec(q, e.Src.ID); err != nil {
				t.Fatal(err)
			}
		}
		countDeliveries := func() int {
			var n int
			if err := db.QueryRow("SELECT count(*) FROM deliveries WHERE source_id = $1", e.Src.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		change("UPDATE sources SET enabled = FALSE WHERE id = $1")
		if r := e.Post(t, e.Src, `{"phone": "79990007701"}`); r.Status != http.StatusGone {
			t.Fatalf("a lead to a source disabled elsewhere: %d %s, want 410", r.Status, r.Body)
		}
		if _, err := db.Exec("UPDATE sources SET enabled = TRUE WHERE id = $1", e.Src.ID); err != nil {
			t.Fatal(err)
		}

		change(`UPDATE sources SET aliases = '{"kto_eto":"name"}' WHERE id = $1`)
		before := countDeliveries()
		r := e.Post(t, e.Src, "kto_eto=Ivan&Phone=79990007702", "Content-Type", "application/x-www-form-urlencoded")
		if data := webtest.WantCreated(t, r); string(data["name"]) != `"Ivan"` {
			t.Fatalf("a form read with the source's new aliases: %s", r.Body)
		}
		if got := countDeliveries(); got != before+1 {
			t.Fatalf("%d delivery rows written for one request, want 1", got-before)
		}

		change("UPDATE sources SET token_hash = 'rotated elsewhere' WHERE id = $1")
		before = countDeliveries()
		for _, body := range []string{`{"phone": "79990007703"}`, `{"phone": 1`, `test=test`} {
			if r := e.Post(t, e.Src, body); r.Status != http.StatusNotFound {
				t.Fatalf("%s to a token rotated elsewhere: %d %s, want 404", body, r.Status, r.Body)
			}
		}
		if got := countDeliveries(); got != before {
			t.Fatalf("%d delivery rows written for an old token", got-before)
		}
	})
}
