package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestForwardedClient(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string // "" for none: the peer stays the client
	}{
		{"through the proxy", "127.0.0.1:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"two proxies", "127.0.0.1:4000", []string{"203.0.113.9, 10.1.1.1"}, "203.0.113.9"},
		{"the client's own header is ignored", "127.0.0.1:4000", []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{"header lines", "127.0.0.1:4000", []string{"198.51.100.1", "203.0.113.9"}, "203.0.113.9"},
		{"IPv6 client", "127.0.0.1:4000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"untrusted peer", "192.0.2.1:4000", []string{"203.0.113.9"}, ""},
		{"no header", "127.0.0.1:4000", nil, ""},
		{"garbage", "127.0.0.1:4000", []string{"not an address"}, ""},
		{"only proxies", "127.0.0.1:4000", []string{"10.0.0.1"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, ok := forwardedClient(r, trusted)
			if (c.want == "") == ok || (ok && got.String() != c.want) {
				t.Fatalf("got %v %v, want %q", got, ok, c.want)
			}
		})
	}
}
