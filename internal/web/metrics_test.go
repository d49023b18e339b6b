package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/metrics"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// TestMetrics: /metrics counts the webhook's answers by status, and has the
// latency and group-size histograms, the queue, the pools and Go's runtime,
// in a text format whose every line parses.
func TestMetrics(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		m := metrics.New()
		e := webtest.NewEnv(t, engine, func(c *web.Config) {
			c.Metrics = m
			c.Store.ObserveGroups(m.Group)
		})
		webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990000301"}`))
		webtest.WantCreated(t, e.Post(t, e.Src, `{"phone": "79990000302"}`))
		if r := e.Post(t, e.Src, `{"name": "no contact"}`); r.Status != 422 {
			t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
		}
		second := webtest.Must[lead.Source](t)(e.Store.CreateSource(t.Context(), lead.Source{AccountID: e.Acct.ID, Name: "Квиз", Type: lead.SourceWebhook}))
		webtest.WantCreated(t, e.Post(t, second, `{"phone": "79990000303"}`))
		e.Do(t, http.MethodPost, e.Srv.URL+"/hooks/no-such-token", []byte(`{}`)) // no source: in the total only
		r := e.Do(t, http.MethodGet, e.Srv.URL+"/metrics", nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("GET /metrics: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		body := string(r.Body)
		for _, want := range []string{
			`leadbox_webhook_requests_total{status="201"} 3` + "\n",
			`leadbox_webhook_requests_total{status="422"} 1` + "\n",
			`leadbox_webhook_requests_total{status="404"} 1` + "\n",
			fmt.Sprintf(`leadbox_webhook_source_requests_total{source="%d",status="201"} 2`+"\n", e.Src.ID),
			fmt.Sprintf(`leadbox_webhook_source_requests_total{source="%d",status="422"} 1`+"\n", e.Src.ID),
			fmt.Sprintf(`leadbox_webhook_source_requests_total{source="%d",status="201"} 1`+"\n", second.ID),
			"leadbox_webhook_duration_seconds_count 5\n",
			`leadbox_webhook_duration_seconds_bucket{le="+Inf"} 5` + "\n",
			"leadbox_intake_group_size_count 3\n",
			`leadbox_jobs{state="queued"} `,
			"leadbox_jobs_oldest_due_seconds ",
			`leadbox_db_connections{pool=`,
			"leadbox_db_connections_max{pool=",
			"go_goroutines ",
			"go_memstats_heap_alloc_bytes ",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("no %q in /metrics", want)
			}
		}
		checkExposition(t, body)
	})
}

var (
	sampleLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(, ?[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [-+0-9.eE]+(Inf|NaN)?$`)
	typeLine   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$`)
)

// checkExposition checks the text format line by line: each line a sample
// or a comment, each family typed at most once and its samples together.
func checkExposition(t *testing.T, body string) {
	t.Helper()
	typed := map[string]bool{}
	for line := range strings.Lines(body) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "# HELP "):
		case strings.HasPrefix(line, "# TYPE "):
			m := typeLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("bad TYPE line %q", line)
				continue
			}
			if typed[m[1]] {
				t.Errorf("%s typed twice", m[1])
			}
			typed[m[1]] = true
		case !sampleLine.MatchString(line):
			t.Errorf("bad sample line %q", line)
		}
	}
}

// TestMetricsAccess: loopback and the allowed networks get in, a request a
// proxy forwarded does not, and the token lets anyone in.
func TestMetricsAccess(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	srv := web.NewServer(web.Config{Store: st, Metrics: metrics.New(),
		MetricsAllow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, MetricsToken: "s3cret-token"})
	for _, c := range []struct {
		name, remote string
		header       map[string]string
		want         int
	}{
		{"loopback", "127.0.0.1:5000", nil, 200},
		{"loopback v6", "[::1]:5000", nil, 200},
		{"allowed network", "10.1.2.3:5000", nil, 200},
		{"stranger", "192.0.2.7:5000", nil, 403},
		{"proxied from loopback", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "192.0.2.7"}, 403},
		{"Forwarded from loopback", "127.0.0.1:5000", map[string]string{"Forwarded": "for=192.0.2.7"}, 403},
		{"stranger with the token", "192.0.2.7:5000", map[string]string{"Authorization": "Bearer s3cret-token"}, 200},
		{"stranger with a wrong token", "192.0.2.7:5000", map[string]string{"Authorization": "Bearer s3cret-tokeN"}, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.RemoteAddr = c.remote
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.want, rec.Body)
			}
		})
	}
}
