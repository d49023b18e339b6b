package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// idHook answers 201 with {"data":{"id":N,…}} and a counter id, and 422 for
// every fourth request.
type idHook struct {
	calls  atomic.Int64
	mu     sync.Mutex
	phones map[string]int
}

func (h *idHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := h.calls.Add(1)
	var b leadBody
	body, _ := io.ReadAll(r.Body)
	json.Unmarshal(body, &b)
	h.mu.Lock()
	h.phones[b.Phone]++
	h.mu.Unlock()
	if k%4 == 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"errors":[{"field":"phone","messages":["x"]}]}`)
		return
	}
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"data":{"id":`+strconv.FormatInt(1000+k, 10)+`,"firstId":null,"name":"x"}}`)
}

var phoneRE = regexp.MustCompile(`^\+7 \(9\d\d\) \d{3}-\d\d-\d\d$`)

func TestRunCollectsIDs(t *testing.T) {
	h := &idHook{phones: map[string]int{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/hooks/tok")
	res, err := Run(context.Background(), Options{Target: u, N: 400, C: 16, Duration: 30 * time.Second,
		Dup: 0.2, Timeout: 5 * time.Second, CollectIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != 400 || res.Status[201] != 300 || res.Status[422] != 100 || res.Errors != 0 {
		t.Fatalf("result = %+v", res)
	}
	if len(res.IDs) != 300 || res.BadIDs != 0 {
		t.Fatalf("%d ids, %d bad, want 300 and 0", len(res.IDs), res.BadIDs)
	}
	ids := slices.Clone(res.IDs)
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 300 || ids[0] <= 1000 || ids[len(ids)-1] > 1400 {
		t.Errorf("ids not the answered ones: %v…", ids[:5])
	}
	if res.Concurrency != 16 || res.Requested != 400 || res.Target != "http://"+u.Host+"/hooks/***" {
		t.Errorf("header fields: %+v", res)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.phones); n >= 400 || n < 250 {
		t.Errorf("%d distinct phones in 400 requests with dup 0.2", n)
	}
}

func TestRunWithoutCollectIDs(t *testing.T) {
	srv := httptest.NewServer(&idHook{phones: map[string]int{}})
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/hooks/tok")
	res, err := Run(context.Background(), Options{Target: u, N: 50, C: 100, Duration: 30 * time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.IDs != nil || res.Completed != 50 || res.Concurrency != 50 {
		t.Errorf("result = %+v", res)
	}
}

func TestOptionsCheck(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1/hooks/t")
	good := Options{Target: u, N: 1, C: 1, Duration: time.Second, Timeout: time.Second}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Options){
		"no target": func(o *Options) { o.Target = nil },
		"n":         func(o *Options) { o.N = 0 },
		"n big":     func(o *Options) { o.N = MaxRequests + 1 },
		"c":         func(o *Options) { o.C = 0 },
		"dup":       func(o *Options) { o.Dup = 1.5 },
		"duration":  func(o *Options) { o.Duration = 0 },
		"timeout":   func(o *Options) { o.Timeout = -1 },
	} {
		o := good
		mod(&o)
		if err := o.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%s: Run accepted", name)
		}
	}
}

func TestLeadID(t *testing.T) {
	for body, want := range map[string]int64{
		`{"data":{"id":42,"firstId":null}}`:    42,
		`{"data":{"id":7}}`:                    7,
		`{ "data": { "name": "x", "id": 9 } }`: 9,
		`{"data":{"id":-1}}`:                   0,
		`{"errors":[]}`:                        0,
		`not json`:                             0,
		``:                                     0,
	} {
		got := LeadID([]byte(body))
		if got != want {
			t.Errorf("LeadID(%s) = %d, want %d", body, got, want)
		}
	}
}

func TestGeneratorDuplicates(t *testing.T) {
	g, err := newGenerator(10000, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	dups := 0
	for i, id := range g.ident {
		if int(id) > i || int(g.ident[id]) != int(id) {
			t.Fatalf("ident[%d] = %d is not an earlier original", i, id)
		}
		if int(id) != i {
			dups++
		}
	}
	if dups < 1700 || dups > 2300 {
		t.Errorf("%d duplicates in 10000 with dup 0.2", dups)
	}
	if !phoneRE.MatchString(g.phone(12345)) {
		t.Errorf("phone %q", g.phone(12345))
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url    string
		remote bool
		ok     bool
	}{
		{"http://127.0.0.1:8080/hooks/t", false, true},
		{"http://127.1.2.3/hooks/t", false, true},
		{"http://[::1]:8080/hooks/t", false, true},
		{"http://localhost:8080/hooks/t", false, true},
		{"https://LOCALHOST/hooks/t", false, true},
		{"http://192.168.1.5/hooks/t", false, false},
		{"http://192.168.1.5/hooks/t", true, true},
		{"ftp://127.0.0.1/hooks/t", false, false},
		{"127.0.0.1:8080/hooks/t", false, false},
		{"http:///hooks/t", true, false},
	} {
		_, err := CheckURL(tc.url, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q, remote=%t) err = %v, want ok=%t", tc.url, tc.remote, err, tc.ok)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{0.5: 50, 0.9: 90, 0.99: 99, 1: 100} {
		if got := Percentile(d, p); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", p, got, want)
		}
	}
	if Percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}
