// Package loadgen posts generated leads to a leadbox webhook with a number of
// concurrent clients and measures throughput and latency. It is the engine of
// cmd/leadbox-load and of the benchmark harness cmd/leadbox-bench, and it
// uses only the standard library.
package loadgen

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRequests bounds N so that the preallocated per-request slices stay small
// (about 12 bytes a request) and the phone numbers of one run stay unique.
const MaxRequests = 10_000_000

// maxBody bounds how much of each answer is read.
const maxBody = 1 << 20

// Options describe one run.
type Options struct {
	Target      *url.URL      // the webhook URL; see CheckURL
	N           int           // total number of requests, 1..MaxRequests
	C           int           // concurrent clients (capped at N)
	Duration    time.Duration // maximum wall time; requests in flight then are canceled
	Dup         float64       // share (0..1) of requests repeating an earlier lead's phone and email
	Idempotency bool          // send a unique Idempotency-Key with every request
	Timeout     time.Duration // per-request timeout
	// CollectIDs makes Run read the id of every 201 answer ({"data":{"id":N,…}})
	// into Result.IDs, so that a caller can check each one was stored.
	CollectIDs bool
}

// Result is what a run measured; its JSON form is leadbox-load's -json output.
type Result struct {
	Target      string         `json:"target"` // without the hook token
	Requested   int            `json:"requested"`
	Concurrency int            `json:"concurrency"`
	Dup         float64        `json:"dup"`
	Idempotency bool           `json:"idempotency"`
	Sent        int64          `json:"sent"`      // requests started
	Completed   int64          `json:"completed"` // full responses received, any status
	Errors      int64          `json:"errors"`    // transport errors and timeouts
	Canceled    int64          `json:"canceled"`  // cut off by Duration or the context
	FirstError  string         `json:"firstError,omitempty"`
	Status      map[int]int64  `json:"status"`
	DurationMs  float64        `json:"durationMs"`
	ReqPerSec   float64        `json:"reqPerSec"` // completed / elapsed
	LatencyMs   LatencySummary `json:"latencyMs"` // over completed responses
	Stopped     string         `json:"stopped,omitempty"`

	// IDs are the lead ids of the 201 answers, with CollectIDs; BadIDs counts
	// 201 answers whose id could not be read.
	IDs    []int64 `json:"-"`
	BadIDs int64   `json:"-"`
}

// LatencySummary holds nearest-rank percentiles in milliseconds.
type LatencySummary struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// FiveXX returns the number of 5xx answers.
func (r Result) FiveXX() int64 {
	var n int64
	for code, k := range r.Status {
		if code >= 500 && code <= 599 {
			n += k
		}
	}
	return n
}

// Check validates the options; Run calls it.
func (o Options) Check() error {
	switch {
	case o.Target == nil:
		return errors.New("no target URL")
	case o.N < 1 || o.N > MaxRequests:
		return fmt.Errorf("-n must be between 1 and %d, got %d", MaxRequests, o.N)
	case o.C < 1:
		return fmt.Errorf("-c must be at least 1, got %d", o.C)
	case o.Duration <= 0:
		return fmt.Errorf("-duration must be positive, got %v", o.Duration)
	case o.Timeout <= 0:
		return fmt.Errorf("-timeout must be positive, got %v", o.Timeout)
	case math.IsNaN(o.Dup) || o.Dup < 0 || o.Dup > 1:
		return fmt.Errorf("-dup must be between 0 and 1, got %v", o.Dup)
	}
	return nil
}

// CheckURL parses the target and, unless allowRemote, refuses hosts other
// than localhost and loopback addresses (127.0.0.0/8, ::1).
func CheckURL(raw string, allowRemote bool) (*url.URL, error) {
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
// identities of one run get distinct numbers (n <= MaxRequests < 1e9).
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
	sent, errs, canceled, badIDs int64
	status                       map[int]int64
	ids                          []int64
}

// Run sends the requests and returns what it measured. Its error reports only
// options or set-up that kept the run from starting; failed requests are
// counted in the Result (see Errors, FiveXX and Stopped).
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.Check(); err != nil {
		return Result{}, err
	}
	c := min(o.C, o.N)
	gen, err := newGenerator(o.N, o.Dup)
	if err != nil {
		return Result{}, err
	}

	tr := &http.Transport{
		Proxy:               nil, // always connect to the target directly
		DialContext:         (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c,
		MaxIdleConnsPerHost: c,
		MaxConnsPerHost:     c,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: o.Timeout,
		ForceAttemptHTTP2:   true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		// Count a redirect as what it is instead of following it as a GET.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	target := o.Target.String()
	shown := Redact(o.Target) // the path holds the hook's token

	// The run context ends at Duration or with ctx; requests in flight then
	// are cut off and counted as canceled, so the wall time stays bounded.
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()

	var (
		next      atomic.Int64 // next request index to claim
		done      atomic.Int64 // number of latencies recorded
		latencies = make([]time.Duration, o.N)
		firstErr  string
		errOnce   sync.Once
		wg        sync.WaitGroup
		stats     = make([]workerStats, c)
	)

	// one sends request i; it reports whether the response completed, its
	// status, latency and (with CollectIDs, for a 201) the lead id. lean is
	// the client's own connection for an http:// target, nil for https://.
	one := func(i int, lean *conn, buf *bytes.Buffer) (status int, lat time.Duration, id int64, err error) {
		body, err := gen.body(i)
		if err != nil {
			return 0, 0, 0, err
		}
		idem := ""
		if o.Idempotency {
			idem = gen.runID + "-" + strconv.Itoa(i)
		}
		keep := o.CollectIDs
		start := time.Now()
		if lean != nil {
			status, err = lean.do(body, idem, keep, buf)
		} else {
			status, err = viaNetHTTP(runCtx, client, target, body, idem, keep, buf)
		}
		lat = time.Since(start)
		if err != nil {
			return 0, 0, 0, err
		}
		if o.CollectIDs && status == http.StatusCreated {
			id = LeadID(buf.Bytes())
		}
		return status, lat, id, nil
	}

	start := time.Now()
	for w := range c {
		st := &stats[w]
		st.status = make(map[int]int64)
		wg.Go(func() {
			var buf bytes.Buffer
			var lean *conn
			if o.Target.Scheme == "http" {
				lean = newConn(runCtx, o.Target, o.Timeout)
				defer lean.close()
			}
			// At most N iterations over all workers, and none after runCtx ends.
			for runCtx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= o.N {
					return
				}
				st.sent++
				status, lat, id, err := one(i, lean, &buf)
				switch {
				case err != nil && runCtx.Err() != nil:
					st.canceled++
				case err != nil:
					st.errs++
					errOnce.Do(func() { firstErr = strings.ReplaceAll(err.Error(), target, shown) })
				default:
					st.status[status]++
					latencies[done.Add(1)-1] = lat
					if o.CollectIDs && status == http.StatusCreated {
						if id > 0 {
							st.ids = append(st.ids, id)
						} else {
							st.badIDs++
						}
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := Result{
		Target:      shown,
		Requested:   o.N,
		Concurrency: c,
		Dup:         o.Dup,
		Idempotency: o.Idempotency,
		FirstError:  firstErr,
		Status:      make(map[int]int64),
		DurationMs:  ms(elapsed),
	}
	for _, st := range stats {
		res.Sent += st.sent
		res.Errors += st.errs
		res.Canceled += st.canceled
		res.BadIDs += st.badIDs
		res.IDs = append(res.IDs, st.ids...)
		for code, k := range st.status {
			res.Status[code] += k
			res.Completed += k
		}
	}
	if elapsed > 0 {
		res.ReqPerSec = float64(res.Completed) / elapsed.Seconds()
	}
	lats := latencies[:done.Load()]
	slices.Sort(lats)
	res.LatencyMs = LatencySummary{
		P50: ms(Percentile(lats, 0.50)),
		P90: ms(Percentile(lats, 0.90)),
		P99: ms(Percentile(lats, 0.99)),
		Max: ms(Percentile(lats, 1)),
	}
	switch {
	case ctx.Err() != nil:
		res.Stopped = "interrupted"
	case res.Sent < int64(o.N) || res.Canceled > 0:
		res.Stopped = "duration"
	}
	return res, nil
}

// viaNetHTTP sends one request with net/http's client (https targets).
func viaNetHTTP(ctx context.Context, client *http.Client, target string, body []byte, idem string, keep bool, buf *bytes.Buffer) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := readAnswer(resp.Body, keep, buf); err != nil {
		return 0, fmt.Errorf("reading response: %w", err)
	}
	return resp.StatusCode, nil
}

// readAnswer reads at most maxBody bytes of an answer's body into buf when
// keep is true, else discards them, and says how many there were.
func readAnswer(r io.Reader, keep bool, buf *bytes.Buffer) (int64, error) {
	lim := io.LimitReader(r, maxBody)
	if keep {
		buf.Reset()
		return buf.ReadFrom(lim)
	}
	return io.Copy(io.Discard, lim)
}

// LeadID reads the id from a webhook answer {"data":{"id":N,…}}; 0 when
// there is none or it is not positive. leadbox puts id first, which the fast path relies on; any
// other shape is decoded in full.
func LeadID(body []byte) int64 {
	const prefix = `{"data":{"id":`
	if rest, ok := bytes.CutPrefix(body, []byte(prefix)); ok {
		end := bytes.IndexAny(rest, ",}")
		if end > 0 {
			if id, err := strconv.ParseInt(string(rest[:end]), 10, 64); err == nil && id > 0 {
				return id
			}
		}
	}
	var v struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &v) != nil || v.Data.ID < 0 {
		return 0
	}
	return v.Data.ID
}

// Redact shows the target without its last path segment (the hook token)
// and without query or user info, so summaries can be pasted safely.
func Redact(u *url.URL) string {
	p := strings.TrimSuffix(u.Path, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
		p = p[:i+1] + "***"
	}
	return u.Scheme + "://" + u.Host + p
}

// Percentile returns the nearest-rank p-quantile of sorted, 0 when empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
