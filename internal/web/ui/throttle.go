package ui

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle slows password guessing: each failed login takes a token from
// the email's bucket and from the client address's bucket; an empty bucket
// refuses further tries until it refills. It lives in this process.
type throttle struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

const (
	loginPerEmail = 5  // failures allowed at once per email, then one per minute
	loginPerAddr  = 20 // failures allowed at once per address, then one per 6 s
)

func newThrottle() *throttle { return &throttle{buckets: map[string]*rate.Limiter{}} }

func (t *throttle) bucket(key string) *rate.Limiter {
	l, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) > 100_000 { // forget everyone rather than grow without bound
			t.buckets = map[string]*rate.Limiter{}
		}
		if key[0] == 'e' {
			l = rate.NewLimiter(rate.Every(time.Minute), loginPerEmail)
		} else {
			l = rate.NewLimiter(rate.Every(6*time.Second), loginPerAddr)
		}
		t.buckets[key] = l
	}
	return l
}

// wait returns how long a login for email from addr must wait; 0 lets it in.
func (t *throttle) wait(email, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	var d time.Duration
	for _, k := range []string{"e" + email, "a" + addr} {
		if l := t.bucket(k); l.TokensAt(now) < 1 {
			r := l.ReserveN(now, 1)
			d = max(d, r.DelayFrom(now))
			r.CancelAt(now)
		}
	}
	return d
}

// failed records a failed login.
func (t *throttle) failed(email, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.bucket("e"+email).AllowN(now, 1)
	t.bucket("a"+addr).AllowN(now, 1)
}
