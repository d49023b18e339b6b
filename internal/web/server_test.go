package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/time/rate"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

func TestWebhookRateLimit(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		t.Run("per source", func(t *testing.T) {
			e := webtest.NewEnv(t, engine, func(c *web.Config) { c.SourceRate, c.SourceBurst = rate.Limit(0.001), 2 })
			for range 2 {
				webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990000100"}`))
			}
			before := len(e.Deliveries(t, e.Src))
			body := `{"phone": "79990000101"}`
			r := e.Post(t, e.Src, body)
			if r.Status != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429: %s", r.Status, r.Body)
			}
			webtest.ErrorsOf(t, r.Body)
			webtest.WantRetryAfter(t, r)
			e.CheckDelivery(t, e.Src, before, http.MethodPost, "application/json", []byte(body), r)
			if n := e.CountLeads(t); n != 2 {
				t.Fatalf("%d leads, want 2", n)
			}
			// Another source has its own bucket.
			webtest.WantCreated(t, e.Post(t, e.Other.Src, body))
		})
		t.Run("per account", func(t *testing.T) {
			e := webtest.NewEnv(t, engine, func(c *web.Config) { c.AccountRate, c.AccountBurst = rate.Limit(0.001), 2 })
			second, err := e.Store.CreateSource(context.Background(), lead.Source{AccountID: e.Acct.ID, Name: "Second", Type: lead.SourceWebhook})
			if err != nil {
				t.Fatal(err)
			}
			webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990000102"}`))
			webtest.WantCreated(t, e.Post(t, second, `{"phone": "79990000102"}`))
			r := e.Post(t, second, `{"phone": "79990000102"}`)
			if r.Status != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429: %s", r.Status, r.Body)
			}
			webtest.ErrorsOf(t, r.Body)
			webtest.WantRetryAfter(t, r)
			webtest.WantCreated(t, e.Post(t, e.Other.Src, `{"phone": "79990000102"}`))
		})
	})
}

// TestStoreUnavailable closes the store under a running server: the webhook
// answers 503 with Retry-After, never a 500, and readiness fails while
// liveness holds.
func TestStoreUnavailable(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		if r := e.Do(t, http.MethodGet, e.Srv.URL+"/readyz", nil); r.Status != 200 {
			t.Fatalf("readyz before close: %d %s", r.Status, r.Body)
		}
		e.Store.Close()
		for _, c := range []struct{ name, body string }{
			{"valid lead", `{"phone": "79990000200"}`},
			{"invalid lead", `{"name": "x"}`},
			{"malformed body", `{`},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.Post(t, e.Src, c.body)
				if r.Status != http.StatusServiceUnavailable {
					t.Fatalf("status %d, want 503: %s", r.Status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q", ct)
				}
				webtest.ErrorsOf(t, r.Body)
				webtest.WantRetryAfter(t, r)
			})
		}
		t.Run("readyz", func(t *testing.T) {
			r := e.Do(t, http.MethodGet, e.Srv.URL+"/readyz", nil)
			if r.Status != http.StatusServiceUnavailable {
				t.Fatalf("readyz after close: %d %s", r.Status, r.Body)
			}
			webtest.ErrorsOf(t, r.Body)
			webtest.WantRetryAfter(t, r)
		})
		t.Run("healthz", func(t *testing.T) {
			if r := e.Do(t, http.MethodGet, e.Srv.URL+"/healthz", nil); r.Status != 200 {
				t.Fatalf("healthz after close: %d %s", r.Status, r.Body)
			}
		})
	})
}

func TestProbesAndUnknownPaths(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		for _, c := range []struct {
			name, method, path string
			status             int
		}{
			{"healthz", http.MethodGet, "/healthz", 200},
			{"readyz", http.MethodGet, "/readyz", 200},
			{"unknown path", http.MethodGet, "/nope", 404},
			// "/" is the web UI's inbox now (ui_test.go covers it).
			{"hooks without a token", http.MethodPost, "/hooks/", 404},
			{"below a token", http.MethodPost, "/hooks/" + e.Src.Token + "/x", 404},
			{"unknown path POST", http.MethodPost, "/api/leads", 404},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.Do(t, c.method, e.Srv.URL+c.path, nil)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q, want application/json", ct)
				}
				if c.status == 200 {
					if !bytes.HasPrefix(r.Body, []byte("{")) {
						t.Fatalf("body %s, want a JSON object", r.Body)
					}
				} else {
					webtest.ErrorsOf(t, r.Body)
				}
			})
		}
		if n := len(e.Deliveries(t, e.Src)); n != 0 {
			t.Fatalf("a path below the token wrote %d rows to the delivery log", n)
		}
	})
}

// TestTokenNeverLogged makes good and bad requests, including a failing
// store, and checks that no webhook token reaches the server's log.
func TestTokenNeverLogged(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine, func(c *web.Config) { c.SourceRate, c.SourceBurst = rate.Limit(0.001), 6 })
		unknown := "wh_" + strings.Repeat("Z", 43)
		e.Post(t, e.Src, `{"phone": "79990000300"}`, "Idempotency-Key", "log-1")
		e.Post(t, e.Src, `{"phone": "79990000300"}`, "Idempotency-Key", "log-1")
		e.Post(t, e.Src, `{"name": "x"}`)
		e.Post(t, e.Src, `{`)
		e.Post(t, e.Src, `{"phone": "1"}`, "Content-Type", "text/html")
		e.Do(t, http.MethodGet, e.Hook(e.Src), nil)
		for range 3 { // past the burst: 429
			e.Post(t, e.Src, `{"phone": "79990000300"}`)
		}
		e.Post(t, e.Disabled, `{"phone": "79990000300"}`)
		e.Do(t, http.MethodPost, e.Srv.URL+"/hooks/"+unknown, []byte(`{"phone": "79990000300"}`))
		e.Do(t, http.MethodPost, e.Srv.URL+"/hooks/"+e.Src.Token+"/extra", nil)
		e.Store.Close()
		if r := e.Post(t, e.Src, `{"phone": "79990000300"}`); r.Status != 503 {
			t.Fatalf("closed store: %d", r.Status)
		}
		e.Srv.Close() // every log line is written

		log := e.Log.String()
		if !strings.Contains(log, "/hooks/[redacted]") || !strings.Contains(log, "level=ERROR") {
			t.Fatalf("the log does not show the requests (or the failure) at all:\n%s", log)
		}
		for _, tok := range []string{e.Src.Token, e.Disabled.Token, unknown, e.Src.Token[3:]} {
			if strings.Contains(log, tok) {
				t.Fatalf("token %q is in the log:\n%s", tok, log)
			}
		}
	})
}

// jsonSuiteDir holds Nicolas Seriot's JSONTestSuite parsing cases, shared by
// the whole project.
const jsonSuiteDir = "../../../shared/testdata/JSONTestSuite/test_parsing"

// TestWebhookJSONTestSuite posts every JSONTestSuite parsing case to the
// webhook: a body that must be rejected (n_) and a valid one that is not an
// object are a 400 (a 413 when over the size limit), a valid object without a
// phone a 422, and nothing is ever a 5xx; every one is in the delivery log
// byte for byte.
func TestWebhookJSONTestSuite(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(jsonSuiteDir, "*.json"))
	if err == nil && len(files) == 0 {
		err = os.ErrNotExist
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("JSONTestSuite not found in %s: %v", jsonSuiteDir, err)
		}
		t.Skipf("JSONTestSuite not found in %s (%v); it is required when CI=true", jsonSuiteDir, err)
	}
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		type logged struct {
			body   []byte
			status int
		}
		var sent []logged
		for _, path := range files {
			name := filepath.Base(path)
			t.Run(name, func(t *testing.T) {
				body, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				r := e.Do(t, http.MethodPost, e.Hook(e.Src), body)
				sent = append(sent, logged{body, r.Status})
				if r.Status >= 500 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				if r.Status != 201 {
					webtest.ErrorsOf(t, r.Body)
				}
				object := bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{"))
				want := 0
				switch {
				case len(body) > web.MaxWebhookBody:
					want = 413
				case strings.HasPrefix(name, "n_"), strings.HasPrefix(name, "y_") && !object:
					want = 400
				case strings.HasPrefix(name, "y_") && strings.Contains(name, "duplicated_key"):
					want = 400 // valid JSON, but a key given twice is ambiguous
				case strings.HasPrefix(name, "y_"):
					want = 422 // a valid object without a phone or an email
				}
				if want != 0 && r.Status != want {
					t.Fatalf("status %d, want %d: %q → %s", r.Status, want, body, r.Body)
				}
			})
		}
		ds := e.Deliveries(t, e.Src)
		if len(ds) != len(files) || len(sent) != len(files) {
			t.Fatalf("delivery log has %d rows for %d requests", len(ds), len(sent))
		}
		for i, d := range ds { // newest first
			want := sent[len(sent)-1-i]
			keep := want.body[:min(len(want.body), web.MaxWebhookBody)]
			if d.Status != want.status || !bytes.Equal(d.Body, keep) || d.BodyTruncated != (len(want.body) > web.MaxWebhookBody) {
				t.Errorf("delivery %d: status %d, %d bytes, truncated %v; want %d, the %d bytes sent (of %d)",
					d.ID, d.Status, len(d.Body), d.BodyTruncated, want.status, len(keep), len(want.body))
			}
		}
	})
}

// TestReadyzShowsTheQueue: /readyz gives the job queue's depth and the wait
// of its oldest due job. The test server runs no job runner, so a lead's
// event stays queued.
func TestReadyzShowsTheQueue(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990000300"}`))
		webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990000301"}`))
		r := e.Do(t, http.MethodGet, e.Srv.URL+"/readyz", nil)
		var got struct {
			Status string
			Jobs   *struct {
				Queued, Running, Dead int64
				OldestDueSeconds      float64
			}
		}
		if err := json.Unmarshal(r.Body, &got); err != nil || r.Status != 200 {
			t.Fatalf("readyz: %d %s (%v)", r.Status, r.Body, err)
		}
		if got.Status != "ready" || got.Jobs == nil || got.Jobs.Queued != 2 || got.Jobs.Dead != 0 || got.Jobs.OldestDueSeconds < 0 {
			t.Fatalf("readyz: %s, want ready with 2 queued jobs", r.Body)
		}
	})
}
