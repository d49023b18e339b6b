package ui

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle slows password guessing without letting a stranger lock the
// owner of an email out. A failed login takes a token from three buckets:
//
//   - the (email, address) pair's: 5 at once, then one a minute — one
//     guesser at one address, the common case;
//   - the address's: 20 at once, then one every 6 s — one address trying
//     many emails;
//   - the email's ceiling: 20 at once, then one every 20 s — many addresses
//     guessing one email, slowed to three tries a minute in all.
//
// An empty bucket refuses the next try until it refills; the ceiling is not
// asked of an address the email has logged in from before (in this
// process), so the owner at their usual address still gets in while
// strangers elsewhere have run it dry. It all lives in this process.
type throttle struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	known   map[string]bool // email + "\x00" + address, for each login that worked
}

const (
	loginPerPair  = 5
	loginPairGap  = time.Minute
	loginPerAddr  = 20
	loginAddrGap  = 6 * time.Second
	loginPerEmail = 20
	loginEmailGap = 20 * time.Second

	throttleMaxKeys = 100_000 // past it, forget everyone rather than grow without bound
)

func newThrottle() *throttle {
	return &throttle{buckets: map[string]*rate.Limiter{}, known: map[string]bool{}}
}

// keys are the buckets of a login for email from addr: the pair's, the
// address's, and — unless the pair is known — the email's.
func (t *throttle) keys(email, addr string) []string {
	addr = addrKey(addr)
	pair := email + "\x00" + addr
	keys := []string{"p" + pair, "a" + addr}
	if !t.known[pair] {
		keys = append(keys, "e"+email)
	}
	return keys
}

func (t *throttle) bucket(key string) *rate.Limiter {
	l, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) > throttleMaxKeys {
			t.buckets = map[string]*rate.Limiter{}
		}
		switch key[0] {
		case 'p':
			l = rate.NewLimiter(rate.Every(loginPairGap), loginPerPair)
		case 'a':
			l = rate.NewLimiter(rate.Every(loginAddrGap), loginPerAddr)
		default:
			l = rate.NewLimiter(rate.Every(loginEmailGap), loginPerEmail)
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
	for _, k := range t.keys(email, addr) {
		if l := t.bucket(k); l.TokensAt(now) < 1 {
			r := l.ReserveN(now, 1)
			d = max(d, r.DelayFrom(now))
			r.CancelAt(now)
		}
	}
	return d
}

// failed records a failed login: it counts against the email's ceiling
// whichever address it came from.
func (t *throttle) failed(email, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	a := addrKey(addr)
	for _, k := range []string{"p" + email + "\x00" + a, "a" + a, "e" + email} {
		t.bucket(k).AllowN(now, 1)
	}
}

// succeeded remembers that email logs in from addr.
func (t *throttle) succeeded(email, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.known) > throttleMaxKeys {
		t.known = map[string]bool{}
	}
	t.known[email+"\x00"+addrKey(addr)] = true
}

// addrKey is the part of a client address one party controls: an IPv4
// address, or an IPv6 /64.
func addrKey(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil || a.Unmap().Is4() {
		return host
	}
	p, _ := a.Prefix(64)
	return p.String()
}
