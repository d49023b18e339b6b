package ratelimit

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"leadbox/internal/lead"
)

// Misses slows down an address that keeps asking for webhook URLs that
// do not exist: past its bucket such a request gets 429 instead of 404. Only
// misses take tokens, so a sender posting to a real URL from the same
// address (a form builder's shared server, an office's NAT) is never
// limited by it. Guessing a 256-bit token is hopeless anyway; the limit
// bounds the lookups a scanner costs and makes it stand out in the log.
// IPv6 addresses count by their /64, which one client usually holds whole.
// The buckets live in this process; behind a reverse proxy every client
// shares the proxy's address, so keep the limit generous there.
type Misses struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	addrs map[string]*rate.Limiter
}

// maxMissAddrs bounds the buckets kept: past it the idle ones are dropped,
// and if none are idle, all of them.
const maxMissAddrs = 10_000

func NewMisses(r rate.Limit, burst int) *Misses {
	return &Misses{rate: r, burst: max(burst, 1), addrs: make(map[string]*rate.Limiter)}
}

// Miss records a request from addr for a webhook token that names no source
// and returns the error to answer: a 404, or a 429 with Retry-After.
func (m *Misses) Miss(addr string) error {
	notFound := lead.Errorf(lead.ENotFound, "token", "Источник с таким URL не найден.")
	if m.rate <= 0 {
		return notFound
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	key := missKey(addr)
	l, ok := m.addrs[key]
	if !ok {
		if len(m.addrs) >= maxMissAddrs {
			m.prune(now)
		}
		l = rate.NewLimiter(m.rate, m.burst)
		m.addrs[key] = l
	}
	r := l.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	if wait == 0 {
		return notFound
	}
	r.CancelAt(now)
	sec := max(1, int(math.Ceil(wait.Seconds())))
	e := lead.Errorf(lead.ERateLimited, "rate", "Слишком много запросов к несуществующим URL, повторите через %d с.", sec)
	e.RetryAfter = sec
	return e
}

// prune drops the buckets that have refilled: their addresses have stopped.
func (m *Misses) prune(now time.Time) {
	for k, l := range m.addrs {
		if l.TokensAt(now) >= float64(m.burst) {
			delete(m.addrs, k)
		}
	}
	if len(m.addrs) >= maxMissAddrs {
		clear(m.addrs)
	}
}

// missKey is the bucket of an address: an IPv4 address itself, an IPv6
// address's /64.
func missKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
