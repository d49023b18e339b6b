// Command leadbox-load posts leads to a running leadbox webhook with a number
// of concurrent clients and prints the throughput and latency percentiles.
//
//	leadbox-load -url http://127.0.0.1:8080/hooks/TOKEN -n 10000 -c 64
//
// It uses only the standard library (the engine is internal/loadgen). It
// refuses targets that are not on the loopback interface unless -allow-remote
// is given, and it exits non-zero when any request failed at the transport
// level or got a 5xx answer.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"leadbox/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// After the first Ctrl-C the run winds down; a second one kills it.
	context.AfterFunc(ctx, stop)

	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var ue usageError
		switch {
		case errors.Is(err, flag.ErrHelp):
			os.Exit(0)
		case errors.As(err, &ue):
			os.Exit(2) // the flag package already printed the message
		}
		fmt.Fprintln(os.Stderr, "leadbox-load:", err)
		os.Exit(1)
	}
}

// usageError marks a command-line error that has already been reported.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

type config struct {
	opts    loadgen.Options
	jsonOut bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("leadbox-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg         config
		o           = &cfg.opts
		rawURL      string
		allowRemote bool
	)
	fs.StringVar(&rawURL, "url", "", "webhook URL, e.g. http://127.0.0.1:8080/hooks/TOKEN (required)")
	fs.BoolVar(&allowRemote, "allow-remote", false, "allow a target that is not on the loopback interface")
	fs.IntVar(&o.N, "n", 10000, "total number of requests")
	fs.IntVar(&o.C, "c", 64, "number of concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 60*time.Second, "maximum wall time; the run stops early when it is reached")
	fs.Float64Var(&o.Dup, "dup", 0.2, "share of requests (0..1) that reuse the phone and email of a lead already sent in this run")
	fs.BoolVar(&o.Idempotency, "idempotency", false, "send a unique Idempotency-Key header with every request")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the summary as one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{err}
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if rawURL == "" {
		return cfg, errors.New("-url is required")
	}
	u, err := loadgen.CheckURL(rawURL, allowRemote)
	if err != nil {
		return cfg, err
	}
	o.Target = u
	if err := o.Check(); err != nil {
		return cfg, err
	}
	o.C = min(o.C, o.N)
	return cfg, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	sum, err := loadgen.Run(ctx, cfg.opts)
	if err != nil {
		return err
	}

	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else if err := printText(stdout, sum, cfg.opts.Duration); err != nil {
		return err
	}

	var problems []string
	if sum.Errors > 0 {
		problems = append(problems, fmt.Sprintf("%d transport errors (first: %s)", sum.Errors, sum.FirstError))
	}
	if n := sum.FiveXX(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d 5xx responses", n))
	}
	if sum.Stopped == "interrupted" {
		problems = append(problems, fmt.Sprintf("interrupted after %d of %d requests", sum.Sent, sum.Requested))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func printText(w io.Writer, s loadgen.Result, maxWall time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "target:     %s (n=%d c=%d dup=%.2f idempotency=%t)\n", s.Target, s.Requested, s.Concurrency, s.Dup, s.Idempotency)
	fmt.Fprintf(&b, "total:      %d sent, %d completed, %d errors, %d canceled\n", s.Sent, s.Completed, s.Errors, s.Canceled)
	fmt.Fprintf(&b, "duration:   %v\n", time.Duration(s.DurationMs*float64(time.Millisecond)).Round(time.Millisecond))
	fmt.Fprintf(&b, "throughput: %.1f req/s\n", s.ReqPerSec)
	fmt.Fprintf(&b, "latency ms: p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", s.LatencyMs.P50, s.LatencyMs.P90, s.LatencyMs.P99, s.LatencyMs.Max)
	for _, code := range slices.Sorted(maps.Keys(s.Status)) {
		fmt.Fprintf(&b, "status %d: %d\n", code, s.Status[code])
	}
	if s.FirstError != "" {
		fmt.Fprintf(&b, "errors:     %d (first: %s)\n", s.Errors, s.FirstError)
	} else {
		fmt.Fprintf(&b, "errors:     %d\n", s.Errors)
	}
	switch s.Stopped {
	case "duration":
		fmt.Fprintf(&b, "stopped:    -duration %v reached after %d of %d requests\n", maxWall, s.Sent, s.Requested)
	case "interrupted":
		fmt.Fprintf(&b, "stopped:    interrupted after %d of %d requests\n", s.Sent, s.Requested)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
