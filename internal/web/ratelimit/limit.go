// Package ratelimit holds leadbox's in-process token buckets: the webhook's
// per source and per account, the API's per token, and the slowdown of
// addresses that keep asking for webhook URLs that do not exist.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter holds the webhook's token buckets, per source and per account. They
// live in this process: with several processes each allows its own share.
type Limiter struct {
	sourceRate, accountRate   rate.Limit
	sourceBurst, accountBurst int

	mu       sync.Mutex
	sources  map[int64]*rate.Limiter
	accounts map[int64]*rate.Limiter
}

func New(sr rate.Limit, sb int, ar rate.Limit, ab int) *Limiter {
	return &Limiter{sourceRate: sr, sourceBurst: sb, accountRate: ar, accountBurst: ab,
		sources: make(map[int64]*rate.Limiter), accounts: make(map[int64]*rate.Limiter)}
}

func bucket(m map[int64]*rate.Limiter, id int64, r rate.Limit, b int) *rate.Limiter {
	l, ok := m[id]
	if !ok {
		l = rate.NewLimiter(r, max(b, 1))
		m[id] = l
	}
	return l
}

// Allow takes a token from the source's and the account's bucket, or says how
// many seconds to wait before trying again (and takes none).
func (l *Limiter) Allow(source, account int64) (ok bool, retryAfter int) {
	return l.AllowSource(source, account, 0)
}

// AllowSource is Allow with the source's own limit in requests per minute,
// when its admin set one (perMinute > 0), in place of the installation's
// per-source limit; its burst is a tenth of a minute's, at least 5.
func (l *Limiter) AllowSource(source, account int64, perMinute int) (ok bool, retryAfter int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	var taken []*rate.Reservation
	sr, sb := l.sourceRate, l.sourceBurst
	if perMinute > 0 {
		sr, sb = rate.Limit(float64(perMinute)/60), max(5, perMinute/10)
	}
	if sr > 0 {
		b := bucket(l.sources, source, sr, sb)
		if b.Limit() != sr || b.Burst() != max(sb, 1) { // the admin changed the source's limit
			b.SetLimitAt(now, sr)
			b.SetBurstAt(now, max(sb, 1))
		}
		taken = append(taken, b.ReserveN(now, 1))
	}
	if l.accountRate > 0 {
		taken = append(taken, bucket(l.accounts, account, l.accountRate, l.accountBurst).ReserveN(now, 1))
	}
	var wait time.Duration
	for _, r := range taken {
		wait = max(wait, r.DelayFrom(now))
	}
	if wait == 0 {
		return true, 0
	}
	for _, r := range taken {
		r.CancelAt(now)
	}
	return false, max(1, int(math.Ceil(wait.Seconds())))
}
