package ui

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"leadbox/internal/store"
)

// The inbox's total for its filter. Up to countExact leads are counted
// exactly on the page, beside its list, if that takes at most countBudget
// (at a million leads most filters' counts take a few milliseconds; some,
// source + stage, several hundred, and the page must not wait for them);
// otherwise the page's script asks /inbox/count, which counts a small
// total exactly however long it takes. A larger total is counted in full
// off the page's path, kept for countTTL and shown as approximate ("≈ 1,2
// млн") with the time it was counted; until then the page says "more than
// 10 000".
const (
	countExact  = 10_000
	countBudget = 20 * time.Millisecond
	// A search's count walks the index's matches one by one (at a million
	// leads «иванов» has 41,000: 90–150 ms) and competes with the page for
	// the cores; the page waits for it less, so that its results come first.
	countBudgetSearch = 5 * time.Millisecond
	countTTL          = 2 * time.Minute
	countFull         = 60 * time.Second // the most a full count may take
	countKeep         = 1000             // totals kept at most
)

// leadCount is what the inbox shows as its total.
type leadCount struct {
	N       int64
	Exact   bool      // N is the count right now
	At      time.Time // when an approximate N was counted
	Pending bool      // N is a lower bound; the full count is under way
}

// counts keeps the full counts of large totals, per account and filter.
type counts struct {
	mu      sync.Mutex
	m       map[string]*countEntry
	running chan struct{} // bounds the full counts running at once
}

type countEntry struct {
	n    int64
	at   time.Time
	err  error
	done chan struct{}
}

func newCounts() *counts {
	return &counts{m: map[string]*countEntry{}, running: make(chan struct{}, 2)}
}

func countKey(acct int64, query string) string { return strconv.FormatInt(acct, 10) + "?" + query }

// countLeads returns the total to show for a filter: exact if it can be
// counted within countBudget, else the kept full count, else a lower bound
// with a full count started.
func (s *Server) countLeads(ctx context.Context, acct int64, f store.LeadFilter, query string) leadCount {
	budget := countBudget
	if f.Text != "" || f.Digits != "" {
		budget = countBudgetSearch
	}
	cctx, cancel := context.WithTimeout(ctx, budget)
	n, exact, err := s.store.CountLeadsUpTo(cctx, acct, f, countExact)
	cancel()
	if err == nil && exact {
		return leadCount{N: n, Exact: true}
	}
	if ctx.Err() != nil {
		return leadCount{Pending: true} // the page no longer needs it: no full count
	}
	if c, ok := s.counts.fresh(countKey(acct, query)); ok {
		// A small total kept is shown for now; the script asks for it exact.
		c.Pending = c.N <= countExact
		return c
	}
	s.counts.start(s, acct, f, countKey(acct, query))
	if err != nil {
		n = 0
	}
	return leadCount{N: n, Pending: true}
}

// fresh returns a kept full count younger than countTTL.
func (c *counts) fresh(key string) (leadCount, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.at.IsZero() || e.err != nil || time.Since(e.at) > countTTL {
		return leadCount{}, false
	}
	return leadCount{N: e.n, At: e.at}, true
}

// start begins a full count unless one is under way or fresh; it returns
// the entry to wait on, or nil when no count can start now.
func (c *counts) start(s *Server, acct int64, f store.LeadFilter, key string) *countEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok && (e.at.IsZero() && e.err == nil || time.Since(e.at) <= countTTL && e.err == nil) {
		return e
	}
	select {
	case c.running <- struct{}{}:
	default:
		return nil
	}
	if len(c.m) >= countKeep {
		for k, e := range c.m {
			if !e.at.IsZero() && time.Since(e.at) > countTTL || e.err != nil {
				delete(c.m, k)
			}
		}
		if len(c.m) >= countKeep {
			clear(c.m)
		}
	}
	e := &countEntry{done: make(chan struct{})}
	c.m[key] = e
	go func() {
		defer func() { <-c.running }()
		ctx, cancel := context.WithTimeout(context.Background(), countFull)
		defer cancel()
		n, _, err := s.store.CountLeadsUpTo(ctx, acct, f, 0)
		if err != nil {
			s.log.Warn("inbox count", "account", acct, "err", err)
		}
		c.mu.Lock()
		e.n, e.err, e.at = n, err, time.Now()
		c.mu.Unlock()
		close(e.done)
	}()
	return e
}

// handleInboxCount answers the inbox's total as text, for the page's script
// when the page could not count it: exact when it is up to countExact,
// else the kept full count, waiting a few seconds for one; 202 means it is
// still counting.
func (s *Server) handleInboxCount(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	q, f, err := s.parseInbox(r.URL.Query(), s.zone(sessionOf(r).Zone))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	// Off the page's path a small total may take its time to be exact.
	cctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	n, exact, err := s.store.CountLeadsUpTo(cctx, acct, f, countExact)
	cancel()
	c := leadCount{N: n, Exact: err == nil && exact, Pending: err != nil || !exact}
	if fresh, ok := s.counts.fresh(countKey(acct, q.encode())); c.Pending && ok {
		c = fresh
	}
	if c.Pending {
		if e := s.counts.start(s, acct, f, countKey(acct, q.encode())); e != nil {
			select {
			case <-e.done:
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}
		if fresh, ok := s.counts.fresh(countKey(acct, q.encode())); ok {
			c = fresh
		}
	}
	v := s.newView(w, r, "inbox", "nav.inbox", nil)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if c.Pending {
		w.WriteHeader(http.StatusAccepted)
	}
	w.Write([]byte(c.Label(v.Lang)))
}

// Label says the count in lang: "1 234", "≈ 1,2 млн", "больше 10 000".
func (c leadCount) Label(lang string) string {
	switch {
	case c.Exact:
		return groupDigits(c.N, lang)
	case c.Pending && !c.At.IsZero():
		return "≈ " + approx(c.N, lang)
	case c.Pending && c.N == 0:
		if lang == "en" {
			return "counting…"
		}
		return "считаем…"
	case c.Pending:
		if lang == "en" {
			return "over " + groupDigits(c.N, lang)
		}
		return "больше " + groupDigits(c.N, lang)
	}
	return "≈ " + approx(c.N, lang)
}

// Clock is when an approximate count was made, for its title.
func (c leadCount) Clock() string { return c.At.Format("15:04") }

// approx rounds a large count for reading: 1 234 567 is "1,2 млн", 12 345
// is "12 300".
func approx(n int64, lang string) string {
	if n >= 1_000_000 {
		s := strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64)
		if lang == "en" {
			return strings.TrimSuffix(s, ".0") + "M"
		}
		return strings.ReplaceAll(strings.TrimSuffix(s, ".0"), ".", ",") + " млн"
	}
	step := int64(1)
	for m := n; m >= 1000; m /= 10 {
		step *= 10
	}
	return groupDigits((n+step/2)/step*step, lang)
}

// groupDigits writes 1234567 as "1 234 567" (a no-break space) in Russian
// and "1,234,567" in English.
func groupDigits(n int64, lang string) string {
	sep := "\u00a0"
	if lang == "en" {
		sep = ","
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}
