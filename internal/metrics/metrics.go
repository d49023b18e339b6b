// Package metrics keeps the server's Prometheus metrics and writes them in
// the text exposition format; it is the one package that speaks to the
// metrics library (github.com/VictoriaMetrics/metrics: three small
// dependencies against client_golang's dozen, and the same text format).
//
// What is counted on the hot path is an atomic add or a short mutex: the
// webhook's counts by status are a fixed array, so a status seen for the
// first time costs nothing more and the label's values stay bounded. The
// counts by source are such arrays too, one per source, found in a map that
// is replaced, never changed, so reading it takes no lock; the first
// MaxSources sources get one each and the rest share source="other".
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Sample is one value read at scrape time, such as the job queue's depth.
type Sample struct {
	Name  string // with its labels, e.g. leadbox_db_connections{pool="read",state="idle"}
	Help  string // for the first sample of a family; empty for the others
	Type  string // gauge or counter
	Value float64
}

// MaxSources bounds the sources counted apart: with a series per status
// each, a thousand sources would be tens of thousands of series.
const MaxSources = 100

// statusCounts are webhook answers by HTTP status.
type statusCounts [600]atomic.Uint64

func (c *statusCounts) add(status int) {
	if status >= 100 && status < len(c) {
		c[status].Add(1)
	}
}

// Metrics is one server's metrics.
type Metrics struct {
	set      *vm.Set
	statuses statusCounts // webhook answers by HTTP status
	// bySource are the answers of each source's URL; a new source's copy
	// of the map replaces it under mu.
	bySource atomic.Pointer[map[int64]*statusCounts]
	mu       sync.Mutex
	other    statusCounts // the sources beyond MaxSources
	latency  *vm.PrometheusHistogram
	groups   *vm.PrometheusHistogram
	backup   *vm.Gauge
}

// New returns the metrics of one server, every count at zero.
func New() *Metrics {
	vm.ExposeMetadata(true) // # TYPE lines, which Prometheus uses for histograms
	set := vm.NewSet()
	m := &Metrics{
		set: set,
		// Seconds from the request's arrival to its answer: a lead usually
		// takes a few milliseconds, an fsync under load tens.
		latency: set.NewPrometheusHistogramExt("leadbox_webhook_duration_seconds",
			[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}),
		// Leads written per transaction by the group commit.
		groups: set.NewPrometheusHistogramExt("leadbox_intake_group_size",
			[]float64{1, 2, 4, 8, 16, 32, 64, 128, 256}),
		backup: set.NewGauge("leadbox_backup_last_success_timestamp_seconds", nil),
	}
	m.bySource.Store(&map[int64]*statusCounts{})
	return m
}

// Webhook counts one webhook answer, of the source with id source (0: the
// URL named none), and how long it took.
func (m *Metrics) Webhook(status int, took time.Duration, source int64) {
	m.statuses.add(status)
	if source > 0 {
		m.sourceCounts(source).add(status)
	}
	m.latency.Update(took.Seconds())
}

// sourceCounts returns the counts of a source, made at its first request.
func (m *Metrics) sourceCounts(id int64) *statusCounts {
	if c, ok := (*m.bySource.Load())[id]; ok {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.bySource.Load()
	if c, ok := cur[id]; ok {
		return c
	}
	if len(cur) >= MaxSources {
		return &m.other
	}
	next := maps.Clone(cur)
	c := &statusCounts{}
	next[id] = c
	m.bySource.Store(&next)
	return c
}

// Group records the size of one group commit.
func (m *Metrics) Group(size int) { m.groups.Update(float64(size)) }

// BackupDone records a scheduled backup written at t.
func (m *Metrics) BackupDone(t time.Time) { m.backup.Set(float64(t.UnixNano()) / 1e9) }

// WritePrometheus writes every metric to w: the webhook's, the samples
// given, and the Go runtime's and the process's.
func (m *Metrics) WritePrometheus(w io.Writer, samples []Sample) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# HELP leadbox_webhook_requests_total Webhook requests answered, by HTTP status.")
	fmt.Fprintln(bw, "# TYPE leadbox_webhook_requests_total counter")
	for code := range m.statuses {
		if n := m.statuses[code].Load(); n > 0 {
			fmt.Fprintf(bw, "leadbox_webhook_requests_total{status=\"%d\"} %d\n", code, n)
		}
	}
	fmt.Fprintf(bw, "# HELP leadbox_webhook_source_requests_total Webhook requests answered, by source id (the first %d sources; the rest as \"other\") and HTTP status.\n", MaxSources)
	fmt.Fprintln(bw, "# TYPE leadbox_webhook_source_requests_total counter")
	bySource := *m.bySource.Load()
	for _, id := range slices.Sorted(maps.Keys(bySource)) {
		writeStatuses(bw, fmt.Sprintf(`source="%d",`, id), bySource[id])
	}
	writeStatuses(bw, `source="other",`, &m.other)
	for _, s := range samples {
		if s.Help != "" {
			fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", family(s.Name), s.Help, family(s.Name), s.Type)
		}
		fmt.Fprintf(bw, "%s %g\n", s.Name, s.Value)
	}
	m.set.WritePrometheus(bw)
	vm.WriteProcessMetrics(bw)
	return bw.Flush()
}

// writeStatuses writes a source's counts, the statuses it had.
func writeStatuses(w io.Writer, label string, c *statusCounts) {
	for code := range c {
		if n := c[code].Load(); n > 0 {
			fmt.Fprintf(w, "leadbox_webhook_source_requests_total{%sstatus=\"%d\"} %d\n", label, code, n)
		}
	}
}

// family is a sample's name without its labels.
func family(name string) string {
	for i := range len(name) {
		if name[i] == '{' {
			return name[:i]
		}
	}
	return name
}
