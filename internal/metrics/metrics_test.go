package metrics_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"leadbox/internal/metrics"
)

func TestWritePrometheus(t *testing.T) {
	m := metrics.New()
	m.Webhook(201, 3*time.Millisecond, 7)
	m.Webhook(201, 30*time.Millisecond, 7)
	m.Webhook(422, time.Millisecond, 0)
	m.Webhook(99, time.Millisecond, 7) // no such status: timed, not counted
	m.Group(3)
	var b strings.Builder
	if err := m.WritePrometheus(&b, []metrics.Sample{{Name: `x_total{a="b"}`, Help: "An x.", Type: "counter", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE leadbox_webhook_requests_total counter\n",
		`leadbox_webhook_requests_total{status="201"} 2` + "\n",
		`leadbox_webhook_requests_total{status="422"} 1` + "\n",
		`leadbox_webhook_source_requests_total{source="7",status="201"} 2` + "\n",
		`leadbox_webhook_duration_seconds_bucket{le="0.005"} 3` + "\n",
		"leadbox_webhook_duration_seconds_count 4\n",
		`leadbox_intake_group_size_bucket{le="4"} 1` + "\n",
		"# HELP x_total An x.\n# TYPE x_total counter\n" + `x_total{a="b"} 2` + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), `status="99"`) {
		t.Error("a status below 100 was counted")
	}
}

// TestSourcesBounded: sources beyond MaxSources share one series per
// status, however many there are.
func TestSourcesBounded(t *testing.T) {
	m := metrics.New()
	for id := int64(1); id <= metrics.MaxSources+50; id++ {
		m.Webhook(201, time.Millisecond, id)
		m.Webhook(201, time.Millisecond, id)
	}
	var b strings.Builder
	if err := m.WritePrometheus(&b, nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "leadbox_webhook_source_requests_total{"); n != metrics.MaxSources+1 {
		t.Errorf("%d source series, want %d", n, metrics.MaxSources+1)
	}
	for _, want := range []string{`{source="1",status="201"} 2` + "\n", `{source="100",status="201"} 2` + "\n",
		`{source="other",status="201"} 100` + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q", want)
		}
	}
	if strings.Contains(out, `source="101"`) {
		t.Error("a source past the bound has its own series")
	}
}

// BenchmarkWebhook is what metrics add to one webhook request: of a
// source (the usual request), of none (a URL naming no source, and what
// the count cost before sources were counted).
func BenchmarkWebhook(b *testing.B) {
	for _, c := range []struct {
		name    string
		sources int64
	}{{"source", 20}, {"none", 0}} {
		b.Run(c.name, func(b *testing.B) {
			m := metrics.New()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := n.Add(1)
				for pb.Next() {
					src := int64(0)
					if c.sources > 0 {
						src = 1 + i%c.sources
						i++
					}
					m.Webhook(201, 4*time.Millisecond, src)
				}
			})
		})
	}
}
