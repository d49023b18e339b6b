package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leadbox/internal/loadgen"
)

// fakeHook records what it received and answers 201, or 422 for every fifth
// request, or 500 for every request once fail is set.
type fakeHook struct {
	mu     sync.Mutex
	phones map[string]int
	keys   map[string]int
	bad    []string
	calls  atomic.Int64
	fail   bool
}

func newFakeHook(t *testing.T, fail bool) (*fakeHook, *httptest.Server) {
	t.Helper()
	h := &fakeHook{phones: map[string]int{}, keys: map[string]int{}, fail: fail}
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return h, srv
}

var phoneRE = regexp.MustCompile(`^\+7 \(9\d\d\) \d{3}-\d\d-\d\d$`)

func (h *fakeHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := h.calls.Add(1)
	var b struct{ Name, Phone, Email string }
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/hooks/tok":
		h.bad = append(h.bad, r.Method+" "+r.URL.Path)
	case r.Header.Get("Content-Type") != "application/json":
		h.bad = append(h.bad, "content type "+r.Header.Get("Content-Type"))
	case json.Unmarshal(body, &b) != nil || b.Name == "" || b.Email == "" || !phoneRE.MatchString(b.Phone):
		h.bad = append(h.bad, "body "+string(body))
	}
	h.phones[b.Phone]++
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		h.keys[key]++
	}
	h.mu.Unlock()
	switch {
	case h.fail:
		w.WriteHeader(http.StatusInternalServerError)
	case k%5 == 0:
		w.WriteHeader(http.StatusUnprocessableEntity)
	default:
		w.WriteHeader(http.StatusCreated)
	}
	io.WriteString(w, `{"id":1}`)
}

func TestRunText(t *testing.T) {
	h, srv := newFakeHook(t, false)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL + "/hooks/tok", "-n", "200", "-c", "8", "-dup", "0.5", "-idempotency"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s%s", err, out.String(), errOut.String())
	}
	t.Logf("\n%s", out.String())
	text := out.String()

	if !strings.Contains(text, "total:      200 sent, 200 completed, 0 errors, 0 canceled\n") {
		t.Errorf("total line wrong:\n%s", text)
	}
	codes := map[int]int{}
	for _, m := range regexp.MustCompile(`(?m)^status (\d+): (\d+)$`).FindAllStringSubmatch(text, -1) {
		code, _ := strconv.Atoi(m[1])
		k, _ := strconv.Atoi(m[2])
		codes[code] = k
	}
	if codes[201] != 160 || codes[422] != 40 || len(codes) != 2 {
		t.Errorf("status counts = %v, want 201:160 422:40", codes)
	}
	for _, want := range []string{"errors:     0\n", "throughput: ", "latency ms: p50="} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(text, "/hooks/*** ") || strings.Contains(text, "tok") {
		t.Errorf("output shows the URL token:\n%s", text)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if got := h.calls.Load(); got != 200 {
		t.Errorf("server saw %d requests, want 200", got)
	}
	if len(h.bad) > 0 {
		t.Errorf("bad requests: %q", h.bad[:min(3, len(h.bad))])
	}
	// With -dup 0.5 some phones repeat (all 199 coin flips missing is ~1e-60).
	if len(h.phones) >= 200 || len(h.phones) < 2 {
		t.Errorf("%d distinct phones in 200 requests with -dup 0.5", len(h.phones))
	}
	if len(h.keys) != 200 {
		t.Errorf("%d distinct Idempotency-Keys, want 200", len(h.keys))
	}
}

func TestRunJSONUniquePhones(t *testing.T) {
	h, srv := newFakeHook(t, false)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL + "/hooks/tok", "-n", "200", "-c", "8", "-dup", "0", "-json"}, &out, io.Discard)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	var s loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	var byStatus int64
	for _, k := range s.Status {
		byStatus += k
	}
	if s.Sent != 200 || s.Completed != 200 || byStatus != 200 || s.Errors != 0 || s.Canceled != 0 {
		t.Errorf("counts don't add up: %+v", s)
	}
	if s.Status[201] != 160 || s.Status[422] != 40 {
		t.Errorf("status = %v", s.Status)
	}
	l := s.LatencyMs
	if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) || s.ReqPerSec <= 0 {
		t.Errorf("latency/throughput implausible: %+v", s)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.phones) != 200 {
		t.Errorf("%d distinct phones with -dup 0, want 200", len(h.phones))
	}
	if len(h.keys) != 0 {
		t.Errorf("Idempotency-Key sent without -idempotency")
	}
}

func TestRunFailsOn5xx(t *testing.T) {
	_, srv := newFakeHook(t, true)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL + "/hooks/tok", "-n", "20", "-c", "4"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "20 5xx responses") {
		t.Fatalf("run error = %v, want 5xx failure\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "status 500: 20\n") {
		t.Errorf("summary lacks the 500 count:\n%s", out.String())
	}
}

func TestRunFailsOnTransportError(t *testing.T) {
	_, srv := newFakeHook(t, false)
	target := srv.URL + "/hooks/tok"
	srv.Close() // nothing listens there any more
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", target, "-n", "10", "-c", "2", "-timeout", "2s"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "10 transport errors") {
		t.Fatalf("run error = %v, want transport errors\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "errors:     10 (first: ") {
		t.Errorf("summary lacks the error count:\n%s", out.String())
	}
	if strings.Contains(out.String()+err.Error(), "tok") {
		t.Errorf("error text shows the URL token: %v\n%s", err, out.String())
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })
	var out bytes.Buffer
	start := time.Now()
	err := run(context.Background(), []string{"-url", srv.URL + "/hooks/tok", "-n", "1000", "-c", "4", "-duration", "200ms", "-json"}, &out, io.Discard)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %v with -duration 200ms", d)
	}
	var s loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Stopped != "duration" || s.Sent != 4 || s.Canceled != 4 || s.Completed != 0 {
		t.Errorf("summary = %+v, want 4 sent and canceled, stopped by duration", s)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{
		"http://203.0.113.7/hooks/tok",
		"http://example.com/hooks/tok",
		"http://10.0.0.1:8080/hooks/tok",
		"http://[2001:db8::1]:8080/hooks/tok",
		"http://localhost.example.com/hooks/tok",
	} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"-url", u, "-n", "1"}, &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("%s: err = %v, want refusal", u, err)
		}
		if out.Len() > 0 {
			t.Errorf("%s: printed %q", u, out.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-url", "http://127.0.0.1/hooks/t", "-n", "0"},
		{"-url", "http://127.0.0.1/hooks/t", "-c", "0"},
		{"-url", "http://127.0.0.1/hooks/t", "-dup", "1.5"},
		{"-url", "http://127.0.0.1/hooks/t", "-duration", "0s"},
		{"-url", "http://127.0.0.1/hooks/t", "-timeout", "-1s"},
		{"-nope"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
