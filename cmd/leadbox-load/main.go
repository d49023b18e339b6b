// Command leadbox-load posts leads to a running leadbox webhook with a number
// of concurrent clients and prints the throughput and latency percentiles.
//
//	leadbox-load -url http://127.0.0.1:8080/hooks/TOKEN -n 10000 -c 64
//
// It uses only the standard library. It refuses targets that are not on the
// loopback interface unless -allow-remote is given, and it exits non-zero when
// any request failed at the transport level or got a 5xx answer.
package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxRequests bounds -n so that the preallocated per-request slices stay small
// (about 12 bytes a request) and the phone numbers of one run stay unique.
const maxRequests = 10_000_000

// maxBody bounds how much of each answer is read (and discarded).
const maxBody = 1 << 20

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
	target      *url.URL
	n, c        int
	duration    time.Duration
	dup         float64
	idempotency bool
	timeout     time.Duration
	jsonOut     bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("leadbox-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg         config
		rawURL      string
		allowRemote bool
	)
	fs.StringVar(&rawURL, "url", "", "webhook URL, e.g. http://127.0.0.1:8080/hooks/TOKEN (required)")
	fs.BoolVar(&allowRemote, "allow-remote", false, "allow a target that is not on the loopback interface")
	fs.IntVar(&cfg.n, "n", 10000, "total number of requests")
	fs.IntVar(&cfg.c, "c", 64, "number of concurrent clients")
	fs.DurationVar(&cfg.duration, "duration", 60*time.Second, "maximum wall time; the run stops early when it is reached")
	fs.Float64Var(&cfg.dup, "dup", 0.2, "share of requests (0..1) that reuse the phone and email of a lead already sent in this run")
	fs.BoolVar(&cfg.idempotency, "idempotency", false, "send a unique Idempotency-Key header with every request")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request timeout")
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
	u, err := checkURL(rawURL, allowRemote)
	if err != nil {
		return cfg, err
	}
	cfg.target = u
	switch {
	case cfg.n < 1 || cfg.n > maxRequests:
		return cfg, fmt.Errorf("-n must be between 1 and %d, got %d", maxRequests, cfg.n)
	case cfg.c < 1:
		return cfg, fmt.Errorf("-c must be at least 1, got %d", cfg.c)
	case cfg.duration <= 0:
		return cfg, fmt.Errorf("-duration must be positive, got %v", cfg.duration)
	case cfg.timeout <= 0:
		return cfg, fmt.Errorf("-timeout must be positive, got %v", cfg.timeout)
	case math.IsNaN(cfg.dup) || cfg.dup < 0 || cfg.dup > 1:
		return cfg, fmt.Errorf("-dup must be between 0 and 1, got %v", cfg.dup)
	}
	cfg.c = min(cfg.c, cfg.n)
	return cfg, nil
}

// checkURL parses the target and, unless allowRemote, refuses hosts other
// than localhost and loopback addresses (127.0.0.0/8, ::1).
func checkURL(raw string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("-url: scheme must be http or https, got %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("-url: no host in %q", raw)
	}
	if allowRemote {
		return u, nil
	}
	if strings.EqualFold(host, "localhost") {
		return u, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return u, nil
	}
	return nil, fmt.Errorf("-url: host %q is not a loopback address; pass -allow-remote to load a remote server", host)
}

// leadBody is the JSON a request carries.
type leadBody struct {
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	UTMSource   string `json:"utmSource"`
	UTMMedium   string `json:"utmMedium"`
	UTMCampaign string `json:"utmCampaign"`
	UTMContent  string `json:"utmContent"`
	UTMTerm     string `json:"utmTerm"`
	Referrer    string `json:"referrer"`
	IP          string `json:"ip"`
}

var (
	names     = []string{"Иван Петров", "Мария Смирнова", "Алексей Кузнецов", "Ольга Иванова", "Дмитрий Соколов", "Анна Попова", "Сергей Лебедев"}
	sources   = []string{"yandex", "google", "vk", "direct"}
	mediums   = []string{"cpc", "cpm", "social", "email"}
	campaigns = []string{"spring_sale", "summer_sale", "brand", "retargeting"}
	contents  = []string{"banner1", "banner2", "video1"}
	terms     = []string{"купить диван", "диван недорого", "угловой диван", "диван в кредит"}
)

// generator makes the request bodies of one run. Identity (name, phone,
// email) comes from ident[i]: request i is a duplicate when ident[i] < i, and
// then it repeats the identity of the earlier request ident[i].
type generator struct {
	runID     string // random hex, also the Idempotency-Key prefix
	phoneBase uint64 // random offset so repeated runs use different phones
	ident     []int32
}

func newGenerator(n int, dup float64) (*generator, error) {
	var seed [24]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("random seed: %w", err)
	}
	g := &generator{
		runID:     hex.EncodeToString(seed[:6]),
		phoneBase: binary.LittleEndian.Uint64(seed[6:14]) % 1_000_000_000,
		ident:     make([]int32, n),
	}
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[8:16]), binary.LittleEndian.Uint64(seed[16:24])))
	for i := range g.ident {
		g.ident[i] = int32(i)
		if i > 0 && r.Float64() < dup {
			g.ident[i] = g.ident[r.IntN(i)] // always an original, sent earlier
		}
	}
	return g, nil
}

// phone returns a Russian mobile number "+7 (9xx) xxx-xx-xx"; distinct
// identities of one run get distinct numbers (n <= maxRequests < 1e9).
func (g *generator) phone(id int) string {
	s := fmt.Sprintf("%09d", (g.phoneBase+uint64(id))%1_000_000_000)
	return "+7 (9" + s[:2] + ") " + s[2:5] + "-" + s[5:7] + "-" + s[7:]
}

func (g *generator) body(i int) ([]byte, error) {
	id := int(g.ident[i])
	return json.Marshal(leadBody{
		Name:        names[id%len(names)],
		Phone:       g.phone(id),
		Email:       "lead" + strconv.Itoa(id) + "." + g.runID + "@example.ru",
		UTMSource:   sources[i%len(sources)],
		UTMMedium:   mediums[i%len(mediums)],
		UTMCampaign: campaigns[i%len(campaigns)],
		UTMContent:  contents[i%len(contents)],
		UTMTerm:     terms[i%len(terms)],
		Referrer:    "https://example.ru/landing?x=" + strconv.Itoa(i%10),
		IP:          "203.0.113." + strconv.Itoa(i%254+1),
	})
}

// workerStats is what one client counted; merged after the run.
type workerStats struct {
	sent, errs, canceled int64
	status               map[int]int64
}

// Summary is the result of a run; the -json output.
type Summary struct {
	Target      string         `json:"target"`
	Requested   int            `json:"requested"`
	Concurrency int            `json:"concurrency"`
	Dup         float64        `json:"dup"`
	Idempotency bool           `json:"idempotency"`
	Sent        int64          `json:"sent"`      // requests started
	Completed   int64          `json:"completed"` // full responses received, any status
	Errors      int64          `json:"errors"`    // transport errors and timeouts
	Canceled    int64          `json:"canceled"`  // cut off by -duration or Ctrl-C
	FirstError  string         `json:"firstError,omitempty"`
	Status      map[int]int64  `json:"status"`
	DurationMs  float64        `json:"durationMs"`
	ReqPerSec   float64        `json:"reqPerSec"` // completed / elapsed
	LatencyMs   LatencySummary `json:"latencyMs"` // over completed responses
	Stopped     string         `json:"stopped,omitempty"`
}

// LatencySummary holds nearest-rank percentiles in milliseconds.
type LatencySummary struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	gen, err := newGenerator(cfg.n, cfg.dup)
	if err != nil {
		return err
	}

	tr := &http.Transport{
		Proxy:               nil, // always connect to the target directly
		DialContext:         (&net.Dialer{Timeout: cfg.timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.c,
		MaxIdleConnsPerHost: cfg.c,
		MaxConnsPerHost:     cfg.c,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: cfg.timeout,
		ForceAttemptHTTP2:   true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		Timeout:   cfg.timeout,
		// Count a redirect as what it is instead of following it as a GET.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	target := cfg.target.String()
	shown := redact(cfg.target) // the path holds the hook's token

	// The run context ends at -duration or Ctrl-C; requests in flight then are
	// cut off and counted as canceled, so the wall time stays bounded.
	runCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()

	var (
		next      atomic.Int64 // next request index to claim
		done      atomic.Int64 // number of latencies recorded
		latencies = make([]time.Duration, cfg.n)
		firstErr  string
		errOnce   sync.Once
		wg        sync.WaitGroup
		stats     = make([]workerStats, cfg.c)
	)

	// one sends request i; it reports whether the response completed, its
	// status and latency, or the error.
	one := func(i int) (status int, lat time.Duration, err error) {
		body, err := gen.body(i)
		if err != nil {
			return 0, 0, err
		}
		req, err := http.NewRequestWithContext(runCtx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return 0, 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		if cfg.idempotency {
			req.Header.Set("Idempotency-Key", gen.runID+"-"+strconv.Itoa(i))
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		lat = time.Since(start)
		if err != nil {
			return 0, 0, fmt.Errorf("reading response: %w", err)
		}
		return resp.StatusCode, lat, nil
	}

	start := time.Now()
	for w := range cfg.c {
		st := &stats[w]
		st.status = make(map[int]int64)
		wg.Go(func() {
			// At most n iterations over all workers, and none after runCtx ends.
			for runCtx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.n {
					return
				}
				st.sent++
				status, lat, err := one(i)
				switch {
				case err != nil && runCtx.Err() != nil:
					st.canceled++
				case err != nil:
					st.errs++
					errOnce.Do(func() { firstErr = strings.ReplaceAll(err.Error(), target, shown) })
				default:
					st.status[status]++
					latencies[done.Add(1)-1] = lat
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	sum := Summary{
		Target:      shown,
		Requested:   cfg.n,
		Concurrency: cfg.c,
		Dup:         cfg.dup,
		Idempotency: cfg.idempotency,
		FirstError:  firstErr,
		Status:      make(map[int]int64),
		DurationMs:  ms(elapsed),
	}
	var fivexx int64
	for _, st := range stats {
		sum.Sent += st.sent
		sum.Errors += st.errs
		sum.Canceled += st.canceled
		for code, k := range st.status {
			sum.Status[code] += k
			sum.Completed += k
			if code >= 500 && code <= 599 {
				fivexx += k
			}
		}
	}
	if elapsed > 0 {
		sum.ReqPerSec = float64(sum.Completed) / elapsed.Seconds()
	}
	lats := latencies[:done.Load()]
	slices.Sort(lats)
	sum.LatencyMs = LatencySummary{
		P50: ms(percentile(lats, 0.50)),
		P90: ms(percentile(lats, 0.90)),
		P99: ms(percentile(lats, 0.99)),
		Max: ms(percentile(lats, 1)),
	}
	switch {
	case ctx.Err() != nil:
		sum.Stopped = "interrupted"
	case sum.Sent < int64(cfg.n) || sum.Canceled > 0:
		sum.Stopped = "duration"
	}

	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else if err := printText(stdout, sum, cfg.duration); err != nil {
		return err
	}

	var problems []string
	if sum.Errors > 0 {
		problems = append(problems, fmt.Sprintf("%d transport errors (first: %s)", sum.Errors, sum.FirstError))
	}
	if fivexx > 0 {
		problems = append(problems, fmt.Sprintf("%d 5xx responses", fivexx))
	}
	if sum.Stopped == "interrupted" {
		problems = append(problems, fmt.Sprintf("interrupted after %d of %d requests", sum.Sent, cfg.n))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func printText(w io.Writer, s Summary, maxWall time.Duration) error {
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

// redact shows the target without its last path segment (the hook token)
// and without query or user info, so summaries can be pasted safely.
func redact(u *url.URL) string {
	p := strings.TrimSuffix(u.Path, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
		p = p[:i+1] + "***"
	}
	return u.Scheme + "://" + u.Host + p
}

// percentile returns the nearest-rank p-quantile of sorted, 0 when empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
