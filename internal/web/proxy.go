package web

import (
	"net/http"
	"net/netip"
	"strings"

	"leadbox/internal/web/respond"
)

// fromProxy takes a request's client address from X-Forwarded-For when its
// peer is a trusted reverse proxy, so that rate limits, the login throttle,
// the delivery log and the request log see the client, not the proxy. The
// header is read from the right: the first address that is not a trusted
// proxy is the client (what lies left of it, the client may have written).
func (s *Server) fromProxy(next http.Handler) http.Handler {
	if len(s.trustedProxies) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := forwardedClient(r, s.trustedProxies); ok {
			r = r.WithContext(r.Context()) // a copy, its RemoteAddr ours to set
			r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		}
		next.ServeHTTP(w, r)
	})
}

func forwardedClient(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	peer, err := netip.ParseAddr(respond.RemoteHost(r))
	if err != nil || !isTrusted(peer.Unmap()) {
		return netip.Addr{}, false
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false
		}
		if a = a.Unmap(); !isTrusted(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}
