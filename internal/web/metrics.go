package web

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"leadbox/internal/metrics"
	"leadbox/internal/web/respond"
)

// handleMetrics answers GET /metrics in Prometheus's text format, to a
// scraper the server lets in (metricsAllowed).
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if !s.metricsAllowed(r) {
		http.Error(w, "forbidden: /metrics answers loopback, --metrics-allow and --metrics-token only", http.StatusForbidden)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var samples []metrics.Sample
	if st, err := s.store.JobStats(ctx); err == nil {
		samples = append(samples,
			metrics.Sample{Name: `leadbox_jobs{state="queued"}`, Help: "Jobs in the queue, by state.", Type: "gauge", Value: float64(st.Queued)},
			metrics.Sample{Name: `leadbox_jobs{state="running"}`, Value: float64(st.Running)},
			metrics.Sample{Name: `leadbox_jobs{state="dead"}`, Value: float64(st.Dead)},
			metrics.Sample{Name: "leadbox_jobs_oldest_due_seconds", Help: "How long the longest-waiting due job has waited; 0 when none is due.", Type: "gauge", Value: st.OldestDue},
		)
	} else {
		s.log.Warn("metrics: job stats", "err", err)
	}
	pools := s.store.PoolStats()
	names := slices.Sorted(maps.Keys(pools))
	for _, f := range []struct {
		name, state, help, typ string
		value                  func(sql.DBStats) float64
	}{
		{"leadbox_db_connections", "in_use", "Database connections, by pool and state.", "gauge", func(st sql.DBStats) float64 { return float64(st.InUse) }},
		{"leadbox_db_connections", "idle", "", "", func(st sql.DBStats) float64 { return float64(st.Idle) }},
		{"leadbox_db_connections_max", "", "The most connections a pool opens.", "gauge", func(st sql.DBStats) float64 { return float64(st.MaxOpenConnections) }},
		{"leadbox_db_waits_total", "", "Times a query waited for a free connection.", "counter", func(st sql.DBStats) float64 { return float64(st.WaitCount) }},
		{"leadbox_db_wait_seconds_total", "", "Time queries waited for a free connection.", "counter", func(st sql.DBStats) float64 { return st.WaitDuration.Seconds() }},
	} {
		for i, pool := range names {
			name := fmt.Sprintf("%s{pool=%q}", f.name, pool)
			if f.state != "" {
				name = fmt.Sprintf("%s{pool=%q,state=%q}", f.name, pool, f.state)
			}
			help := f.help
			if i > 0 {
				help = ""
			}
			samples = append(samples, metrics.Sample{Name: name, Help: help, Type: f.typ, Value: f.value(pools[pool])})
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.metrics.WritePrometheus(w, samples); err != nil {
		s.log.Warn("metrics: write", "err", err)
	}
}

// metricsAllowed lets in a request with the metrics token, or one whose
// peer is loopback or in an allowed network and which no proxy forwarded:
// behind a reverse proxy on the same host every peer is loopback, and the
// proxy's forwarding headers tell such a request from a local scraper's.
func (s *Server) metricsAllowed(r *http.Request) bool {
	if s.metricsToken != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(tok), []byte(s.metricsToken)) == 1 {
			return true
		}
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	addr, err := netip.ParseAddr(respond.RemoteHost(r))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	if addr.IsLoopback() {
		return true
	}
	for _, p := range s.metricsAllow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
