package loadgen

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeanClientAnswers drives the lean client through answers of every
// framing a server may use: a length, chunks, a closed connection after the
// answer, and a 103 before the 201. Every request must be counted once, with its id and headers.
func TestLeanClientAnswers(t *testing.T) {
	var calls atomic.Int64
	var mu sync.Mutex
	keys := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.RequestURI() != "/hooks/tok?x=1" || r.Header.Get("Content-Type") != "application/json" ||
			r.Header.Get("User-Agent") != "leadbox-load" || // the lean client's, not net/http's
			!strings.HasPrefix(string(body), `{"name":`) || r.ContentLength != int64(len(body)) {
			t.Errorf("request %d: %s %s %q, body %q", k, r.Method, r.URL.RequestURI(), r.Header, body)
		}
		mu.Lock()
		keys[r.Header.Get("Idempotency-Key")] = true
		mu.Unlock()
		answer := `{"data":{"id":` + strconv.FormatInt(k, 10) + `}}`
		switch k % 4 {
		case 3: // an informational answer first
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, answer)
		case 0: // chunked
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, answer[:5])
			w.(http.Flusher).Flush()
			io.WriteString(w, answer[5:])
		case 1: // the server closes the connection after the answer
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, answer)
		default:
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, answer)
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/hooks/tok?x=1")
	res, err := Run(context.Background(), Options{Target: u, N: 300, C: 8, Duration: 30 * time.Second,
		Timeout: 5 * time.Second, CollectIDs: true, Idempotency: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != 300 || res.Status[201] != 300 || res.Errors != 0 || len(res.IDs) != 300 || res.BadIDs != 0 {
		t.Fatalf("result = %+v, %d ids", res, len(res.IDs))
	}
	seen := map[int64]bool{}
	for _, id := range res.IDs {
		if id < 1 || id > 300 || seen[id] {
			t.Fatalf("id %d out of range or twice", id)
		}
		seen[id] = true
	}
	if len(keys) != 300 {
		t.Errorf("%d distinct Idempotency-Keys, want 300", len(keys))
	}
}

// TestLeanClientBrokenConnection: a connection closed before the answer is
// an error of that request, and the client dials again for the next one.
func TestLeanClientBrokenConnection(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%5 == 0 {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
			return
		}
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"errors":[]}`)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/hooks/tok")
	res, err := Run(context.Background(), Options{Target: u, N: 100, C: 1, Duration: 30 * time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 20 || res.Status[422] != 80 || res.Completed != 80 || res.FirstError == "" {
		t.Fatalf("result = %+v", res)
	}
	if strings.Contains(res.FirstError, "/hooks/tok") {
		t.Errorf("first error shows the token: %s", res.FirstError)
	}
}

// TestLeanClientRunEnds: requests in flight when Duration ends are cut off
// and counted as canceled, not as errors, and Run returns at once.
func TestLeanClientRunEnds(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	u, _ := url.Parse(srv.URL + "/hooks/tok")
	start := time.Now()
	res, err := Run(context.Background(), Options{Target: u, N: 10, C: 4, Duration: 200 * time.Millisecond, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v after a 200ms Duration", took)
	}
	if res.Canceled != 4 || res.Errors != 0 || res.Completed != 0 || res.Stopped != "duration" {
		t.Fatalf("result = %+v", res)
	}
}

// TestLeanClientTimeoutAndLongAnswer: a request that outlives Timeout is an
// error, not canceled; an answer longer than is read closes the connection
// rather than leaving its rest to be read as the next answer.
func TestLeanClientTimeoutAndLongAnswer(t *testing.T) {
	var calls, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // so that the server notices the client going away
		switch calls.Add(1) {
		case 1:
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		case 2:
			w.Header().Set("Content-Length", strconv.Itoa(maxBody+10))
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"data":{"id":2}}`+strings.Repeat(" ", maxBody+10-len(`{"data":{"id":2}}`)))
		default:
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"data":{"id":3}}`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/hooks/tok")
	res, err := Run(context.Background(), Options{Target: u, N: 3, C: 1, Duration: 30 * time.Second,
		Timeout: 300 * time.Millisecond, CollectIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 1 || res.Canceled != 0 || res.Status[201] != 2 || !strings.Contains(res.FirstError, "timeout") {
		t.Fatalf("result = %+v", res)
	}
	if got := slices.Sorted(slices.Values(res.IDs)); !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("ids %v, want [2 3]", got)
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3: one cut by the timeout, one closed after the long answer", n)
	}
}
