package ratelimit

import (
	"fmt"
	"testing"

	"golang.org/x/time/rate"

	"leadbox/internal/lead"
)

func TestMissKey(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"2001:db8::1", "2001:db8::ffff:1:2"}, // one /64
		{"::ffff:192.0.2.1", "192.0.2.1"},     // IPv4 however written
		{"fe80::1%eth0", "fe80::2"},
	} {
		if missKey(c.a) != missKey(c.b) {
			t.Errorf("%s and %s have buckets %s and %s, want one", c.a, c.b, missKey(c.a), missKey(c.b))
		}
	}
	for _, c := range []struct{ a, b string }{
		{"2001:db8::1", "2001:db8:0:1::1"},
		{"192.0.2.1", "192.0.2.2"},
	} {
		if missKey(c.a) == missKey(c.b) {
			t.Errorf("%s and %s share the bucket %s", c.a, c.b, missKey(c.a))
		}
	}
}

// TestMissLimiterBounded: a scan from many addresses cannot grow the
// buckets past maxMissAddrs.
func TestMissLimiterBounded(t *testing.T) {
	m := NewMisses(rate.Limit(1), 2)
	for i := range 3 * maxMissAddrs {
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		for range 3 {
			m.Miss(addr)
		}
		if len(m.addrs) > maxMissAddrs {
			t.Fatalf("%d buckets after %d addresses", len(m.addrs), i+1)
		}
	}
	if code := lead.ErrorCode(m.Miss("10.0.0.0")); code != lead.ENotFound && code != lead.ERateLimited {
		t.Fatalf("code %v", code)
	}
	if code := lead.ErrorCode(NewMisses(0, 0).Miss("10.0.0.0")); code != lead.ENotFound {
		t.Fatalf("limit off: code %v, want ENotFound", code)
	}
}
