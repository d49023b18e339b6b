package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"leadbox/internal/web/webtest"
)

// TestMain fails the package when a test leaves a server, a connection, a
// database pool or a leadbox goroutine running.
func TestMain(m *testing.M) {
	webtest.Main(m, "main.serve(", "main.expireKeys(", "main.run(", "net/http.(*Server).Serve")
}

const adminPassword = "correct horse battery staple"

// environ returns a getenv over vars; by default the admin password is set
// and everything else (rate limits included) is left to its default.
func environ(vars map[string]string) func(string) string {
	if vars == nil {
		vars = map[string]string{"LEADBOX_ADMIN_PASSWORD": adminPassword}
	}
	return func(k string) string { return vars[k] }
}

// instance is one `leadbox serve` started through run.
type instance struct {
	url            string
	stdout, stderr *webtest.SyncBuffer
	cancel         context.CancelFunc
	done           chan error
	once           sync.Once
	err            error // what run returned
}

var listening = regexp.MustCompile(`leadbox: listening on (http://\S+) `)

// launch starts `leadbox serve` on dsn in a goroutine; wait for it with
// waitListening. It stops when the test ends.
func launch(t *testing.T, dsn string, getenv func(string) string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{stdout: &webtest.SyncBuffer{}, stderr: &webtest.SyncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		in.done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, getenv, in.stdout, in.stderr)
	}()
	t.Cleanup(func() {
		if err := in.stop(); err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return in
}

// waitListening waits for the "listening on" line and sets the base URL.
func (in *instance) waitListening(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(in.stdout.String()); m != nil {
			in.url = m[1]
			return
		}
		select {
		case err := <-in.done:
			in.done <- err
			t.Fatalf("run returned %v before listening\nstdout:\n%s\nstderr:\n%s", err, in.stdout, in.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no \"listening on\" line within 30 s\nstdout:\n%s\nstderr:\n%s", in.stdout, in.stderr)
		}
	}
}

// startServer starts `leadbox serve` on dsn and returns it once it listens.
func startServer(t *testing.T, dsn string, getenv func(string) string) *instance {
	t.Helper()
	in := launch(t, dsn, getenv)
	in.waitListening(t)
	return in
}

// stop cancels the server's context and waits for run to return: an error
// unless it returned nil within 30 s. Calling it again returns the same.
func (in *instance) stop() error {
	in.once.Do(func() {
		in.cancel()
		select {
		case err := <-in.done:
			if err != nil {
				in.err = fmt.Errorf("run returned %w\nstdout:\n%s\nstderr:\n%s", err, in.stdout, in.stderr)
			}
		case <-time.After(30 * time.Second):
			in.err = fmt.Errorf("run did not return within 30 s of cancel\nstdout:\n%s", in.stdout)
		}
	})
	return in.err
}

// cli runs one command through run and returns its stdout.
func cli(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, getenv, &stdout, &stderr)
	if err != nil {
		t.Logf("leadbox %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), err
}

// cliJSON runs a command that must succeed and print exactly one JSON value,
// and decodes it into v.
func cliJSON(t *testing.T, getenv func(string) string, v any, args ...string) {
	t.Helper()
	out, err := cli(t, getenv, args...)
	if err != nil {
		t.Fatalf("leadbox %s: %v", strings.Join(args, " "), err)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("leadbox %s: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("leadbox %s: more than one JSON value on stdout:\n%s", strings.Join(args, " "), out)
	}
}

// sourceOut is what `source create` and friends print.
type sourceOut struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	URL       string `json:"url"`
	Enabled   bool   `json:"enabled"`
	AccountID int64  `json:"accountId"`
	Leads     *int64 `json:"leadCount"`
	LastLead  *int64 `json:"dtLastLead"`
}

type userOut struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Active   bool   `json:"active"`
	Password string `json:"password"`
}

// adminID returns the id of the account's admin, from `user list`.
func adminID(t *testing.T, getenv func(string) string, dsn string) int64 {
	t.Helper()
	var users []userOut
	cliJSON(t, getenv, &users, "user", "list", "--db", dsn)
	for _, u := range users {
		if u.Role == "admin" {
			return u.ID
		}
	}
	t.Fatalf("no admin in %+v", users)
	return 0
}

var leadKeys = strings.Fields(`id firstId name sourceId clientId phone email notAnswer userIdCreate userIdUpdate
	dtCreate dtUpdate dtNotAnswer locationUnitId locationCityId funnelStageId userIdOwner otherCount cost remoteId
	utmSource utmMedium utmCampaign utmContent utmTerm utmReferrer openstatService openstatCampaign openstatAd
	openstatSource from yclid ymclid ymClientId gclid yqrid fbclid roistatId referrer ip`)

type response struct {
	status int
	header http.Header
	body   []byte
}

var client = &http.Client{Timeout: 30 * time.Second}

func post(t *testing.T, c *http.Client, url, body string) response {
	t.Helper()
	r, err := send(c, url, body)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	return r
}

func send(c *http.Client, url, body string) (response, error) {
	res, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}, err
}

// leadData reads a 201's {"data": LEAD} token by token: the keys must be
// exactly leadKeys, in order. It returns the values as sent.
func leadData(t *testing.T, r response) map[string]json.RawMessage {
	t.Helper()
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	next := func(want any) {
		t.Helper()
		if tok, err := dec.Token(); err != nil || tok != want {
			t.Fatalf("answer: token %v (%v), want %v\n%s", tok, err, want, r.body)
		}
	}
	next(json.Delim('{'))
	next("data")
	next(json.Delim('{'))
	vals := map[string]json.RawMessage{}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("answer: %v\n%s", err, r.body)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("answer: %v\n%s", err, r.body)
		}
		keys = append(keys, tok.(string))
		vals[tok.(string)] = raw
	}
	next(json.Delim('}'))
	next(json.Delim('}'))
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("answer: data after the object\n%s", r.body)
	}
	if strings.Join(keys, " ") != strings.Join(leadKeys, " ") {
		t.Fatalf("answer keys:\n got %v\nwant %v", keys, leadKeys)
	}
	return vals
}

func intOf(t *testing.T, key string, raw json.RawMessage) int64 {
	t.Helper()
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		t.Fatalf("%s = %s, want a JSON integer", key, raw)
	}
	return n
}

// wantStatus checks a non-201 answer: its status and the errors shape.
func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var body map[string]map[string][]string
	if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 1 || len(body["errors"]) == 0 {
		t.Fatalf("body %s, want {\"errors\": {FIELD: [MESSAGE]}} (%v)", r.body, err)
	}
}
