package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// conn is one client's keep-alive HTTP/1.1 connection to a plain http://
// target. It writes each request with one Write and reads the answer with
// http.ReadResponse: ~15–20 µs of CPU per request, where net/http's client
// took 40–50 (its transport's goroutines, channels and header maps). On a
// 2-core machine, where the load generator shares the cores with the
// server, that CPU is taken from the server, and most from the fastest one —
// the bare server — which made the ratios to bare look better than a lean
// generator such as wrk finds them. https targets still use net/http.
type conn struct {
	addr    string        // host:port to dial
	head    []byte        // request line and fixed headers
	timeout time.Duration // per request, connect to last byte
	runCtx  context.Context

	c    net.Conn
	br   *bufio.Reader
	stop func() bool // undoes the context.AfterFunc that cuts c off when runCtx ends
	wbuf []byte
}

func newConn(runCtx context.Context, u *url.URL, timeout time.Duration) *conn {
	host := u.Host
	addr := host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + host +
		"\r\nUser-Agent: leadbox-load\r\nContent-Type: application/json\r\n"
	return &conn{addr: addr, head: []byte(head), timeout: timeout, runCtx: runCtx}
}

// errCut is the error of a request cut off because the run ended.
var errCut = errors.New("run ended")

// do sends one request and reads its answer; body receives the answer's
// body when keep is true (else it is discarded). Any error closes the
// connection; the next request dials again.
func (k *conn) do(payload []byte, idem string, keep bool, body *bytes.Buffer) (int, error) {
	deadline := time.Now().Add(k.timeout) // connect to last byte
	if k.c == nil {
		if err := k.dial(deadline); err != nil {
			return 0, err
		}
	}
	if err := k.c.SetDeadline(deadline); err != nil {
		k.close()
		return 0, err
	}
	if k.runCtx.Err() != nil {
		// The run ended before this deadline was set, which may have
		// overwritten the one that cuts the connection off.
		k.close()
		return 0, errCut
	}
	w := append(k.wbuf[:0], k.head...)
	w = append(w, "Content-Length: "...)
	w = strconv.AppendInt(w, int64(len(payload)), 10)
	if idem != "" {
		w = append(w, "\r\nIdempotency-Key: "...)
		w = append(w, idem...)
	}
	w = append(w, "\r\n\r\n"...)
	w = append(w, payload...)
	k.wbuf = w
	if _, err := k.c.Write(w); err != nil {
		k.close()
		return 0, k.cause(err)
	}
	resp, err := http.ReadResponse(k.br, nil)
	// An informational answer (103 Early Hints, say) comes before the real
	// one and has no body; net/http's client skips it too.
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(k.br, nil)
	}
	if err != nil {
		k.close()
		return 0, k.cause(err)
	}
	n, err := readAnswer(resp.Body, keep, body)
	if n == maxBody {
		resp.Close = true // the rest of a longer answer would be read as the next one
	}
	if err != nil {
		k.close()
		return 0, fmt.Errorf("reading response: %w", k.cause(err))
	}
	if resp.Close {
		k.close()
	}
	return resp.StatusCode, nil
}

func (k *conn) dial(deadline time.Time) error {
	d := net.Dialer{Deadline: deadline, KeepAlive: 30 * time.Second}
	c, err := d.DialContext(k.runCtx, "tcp", k.addr)
	if err != nil {
		return k.cause(err)
	}
	k.c = c
	if k.br == nil {
		k.br = bufio.NewReaderSize(c, 16<<10)
	} else {
		k.br.Reset(c)
	}
	// When the run ends, requests in flight are cut off at once rather than
	// waiting for their timeout.
	k.stop = context.AfterFunc(k.runCtx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return nil
}

func (k *conn) close() {
	if k.c == nil {
		return
	}
	k.stop()
	k.c.Close()
	k.c = nil
}

// cause reports errCut for an error caused by the end of the run.
func (k *conn) cause(err error) error {
	if k.runCtx.Err() != nil {
		return errCut
	}
	return err
}
