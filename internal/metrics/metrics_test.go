package metrics_test

import (
	"strings"
	"testing"
	"time"

	"leadbox/internal/metrics"
)

func TestWritePrometheus(t *testing.T) {
	m := metrics.New()
	m.Webhook(201, 3*time.Millisecond)
	m.Webhook(201, 30*time.Millisecond)
	m.Webhook(422, time.Millisecond)
	m.Webhook(99, time.Millisecond) // no such status: timed, not counted
	m.Group(3)
	var b strings.Builder
	if err := m.WritePrometheus(&b, []metrics.Sample{{Name: `x_total{a="b"}`, Help: "An x.", Type: "counter", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE leadbox_webhook_requests_total counter\n",
		`leadbox_webhook_requests_total{status="201"} 2` + "\n",
		`leadbox_webhook_requests_total{status="422"} 1` + "\n",
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

// BenchmarkWebhook is what metrics add to one webhook request.
func BenchmarkWebhook(b *testing.B) {
	m := metrics.New()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Webhook(201, 4*time.Millisecond)
		}
	})
}
