//go:build fault

package faulttest

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// newClient is an HTTP client for conns concurrent senders.
func newClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reply is what one request got: a status, or a transport error.
type reply struct {
	status  int
	header  http.Header
	body    []byte
	err     error
	latency time.Duration
}

func (r reply) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	return fmt.Sprintf("%d %s", r.status, r.body)
}

// send posts body to url with an Idempotency-Key when key is not empty.
func send(ctx context.Context, c *http.Client, url string, body []byte, key string) reply {
	return sendFrom(ctx, c, url, bytes.NewReader(body), key)
}

// sendFrom is send with the body read from r as the transport needs it.
func sendFrom(ctx context.Context, c *http.Client, url string, body io.Reader, key string) reply {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return reply{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err, latency: time.Since(t0)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: err, latency: time.Since(t0)}
}

// created reads the id of a 201 answer; it may be called from any goroutine.
func created(t testing.TB, r reply) int64 {
	t.Helper()
	var v struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || v.Data.ID <= 0 {
		t.Errorf("201 answer without an id: %s (%v)", r.body, err)
	}
	return v.Data.ID
}

// leads makes request bodies with distinct phones and emails, each marked
// with its own tag in utmTerm so that the database can be read back by tag.
type leads struct {
	run  string
	base int64
	n    atomic.Int64
}

func newLeads() *leads {
	var b [8]byte
	crand.Read(b[:])
	var base int64
	for _, c := range b[:4] {
		base = base<<8 | int64(c)
	}
	return &leads{run: hex.EncodeToString(b[4:]), base: base % 900_000_000}
}

// next returns a tag and a valid lead body carrying it.
func (g *leads) next() (string, []byte) {
	i := g.n.Add(1)
	tag := g.run + "-" + strconv.FormatInt(i, 10)
	phone := fmt.Sprintf("+7 (9%02d) %03d-%02d-%02d", (g.base+i)/10_000_000%100, (g.base+i)/10_000%1000, (g.base+i)/100%100, (g.base+i)%100)
	b, _ := json.Marshal(map[string]any{
		"name": "Иван Петров", "phone": phone, "email": "lead-" + tag + "@example.ru",
		"utmSource": "yandex", "utmCampaign": "fault", "utmTerm": tag,
		"referrer": "https://example.ru/landing?from=faulttest",
	})
	return tag, b
}

// invalid returns a body leadbox must refuse with 422: no phone, no email.
func (g *leads) invalid() []byte {
	return []byte(`{"name": "Без контактов", "utmTerm": "invalid-` + g.run + `"}`)
}

// openDB opens the database a server uses, for reading it back.
func openDB(t testing.TB, engine, dsn string) *sql.DB {
	t.Helper()
	driver, src := "pgx", dsn
	if engine == "sqlite" {
		driver, src = "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storedLead is a lead as the database has it.
type storedLead struct {
	id         int64
	tag        string
	firstID    sql.NullInt64
	otherCount int64
}

// storedLeads reads every live lead of a source.
func storedLeads(t testing.TB, db *sql.DB, sourceID int64) []storedLead {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT id, COALESCE(utm_term, ''), first_id, other_count FROM leads
		WHERE source_id = $1 AND deleted_at IS NULL ORDER BY id`, sourceID)
	if err != nil {
		t.Fatalf("read leads: %v", err)
	}
	defer rows.Close()
	var out []storedLead
	for rows.Next() {
		var l storedLead
		if err := rows.Scan(&l.id, &l.tag, &l.firstID, &l.otherCount); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkReadBack fails the test unless every answered lead (tag → id from its
// 201) is stored under that id with that tag, and no tag is stored twice. It
// returns the number of stored leads.
func checkReadBack(t testing.TB, db *sql.DB, sourceID int64, answered map[string]int64) int {
	t.Helper()
	stored := storedLeads(t, db, sourceID)
	byID := make(map[int64]string, len(stored))
	perTag := make(map[string]int, len(stored))
	for _, l := range stored {
		byID[l.id] = l.tag
		perTag[l.tag]++
	}
	var missing, wrong, dup int
	for tag, id := range answered {
		got, ok := byID[id]
		switch {
		case !ok:
			missing++
			if missing <= 5 {
				t.Errorf("lead %d (tag %s) was answered 201 but is not stored", id, tag)
			}
		case got != tag:
			wrong++
			if wrong <= 5 {
				t.Errorf("lead %d was answered 201 for tag %s but stores tag %q", id, tag, got)
			}
		}
	}
	for tag, n := range perTag {
		if n > 1 {
			dup++
			if dup <= 5 {
				t.Errorf("tag %s is stored %d times", tag, n)
			}
		}
	}
	if missing+wrong+dup > 0 {
		t.Errorf("%d answered leads missing, %d stored under another id, %d tags duplicated (of %d answered, %d stored)",
			missing, wrong, dup, len(answered), len(stored))
	}
	return len(stored)
}

// percentile is the nearest-rank percentile p (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}
