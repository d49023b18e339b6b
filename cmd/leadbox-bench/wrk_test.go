package main

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	clean := `Running 1s test @ http://127.0.0.1:18099/hooks/x
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.74ms   10.18ms  81.75ms   87.13%
    Req/Sec    13.20k     1.04k   15.21k    65.00%
  Latency Distribution
     50%    2.56ms
     75%   10.03ms
     90%   19.38ms
     99%   49.17ms
  26321 requests in 1.00s, 24.38MB read
Requests/sec:  26229.22
Transfer/sec:     24.29MB
`
	r, err := parseWrk(clean)
	if err != nil || r.rps != 26229.22 || r.p99 != 49170*time.Microsecond || r.requests != 26321 || r.non2xx != 0 || r.sockErrs != 0 {
		t.Fatalf("clean: %+v, %v", r, err)
	}

	troubled := `Running 10s test @ http://127.0.0.1:8080/hooks/x
  Latency Distribution
     50%  850.00us
     99%    1.02s
  9000 requests in 10.00s, 2.00MB read
  Socket errors: connect 0, read 3, write 1, timeout 12
  Non-2xx or 3xx responses: 42
Requests/sec:    900.00
`
	r, err = parseWrk(troubled)
	if err != nil || r.rps != 900 || r.p99 != 1020*time.Millisecond || r.requests != 9000 || r.non2xx != 42 || r.sockErrs != 16 {
		t.Fatalf("troubled: %+v, %v", r, err)
	}

	if _, err := parseWrk("wrk: unknown option\n"); err == nil {
		t.Error("no summary: parsed")
	}
	if _, err := parseWrk("     99%    7.1xs\nRequests/sec: 1\n"); err == nil {
		t.Error("bad latency: parsed")
	}
}

// TestWrkRunHidesToken: a wrk that fails says so without the hook's token.
func TestWrkRunHidesToken(t *testing.T) {
	bin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1) on this machine")
	}
	u, _ := url.Parse("http://127.0.0.1:1/hooks/wh_secret")
	_, err = wrkRun(context.Background(), bin, "lead.lua", u, 64, time.Second)
	if err == nil || strings.Contains(err.Error(), "wh_secret") || !strings.Contains(err.Error(), "/hooks/***") {
		t.Fatalf("error = %v", err)
	}
}
