package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// apiEnv is an env with an API token for each account and a lead and a client
// in the other account, whose ids the first account's token must never reach.
type apiEnv struct {
	*env
	token      string // the account's token
	tokenRow   store.APIToken
	otherToken string
	otherLead  lead.Lead
	otherClnt  lead.Client
}

func newAPIEnv(t *testing.T, engine string, configure ...func(*web.Config)) *apiEnv {
	t.Helper()
	e := newEnv(t, engine, configure...)
	ctx := context.Background()
	a := &apiEnv{env: e}
	a.tokenRow, a.token = webtest.APIToken(t, e.s, e.acct.ID, &e.admin.ID, "test")
	_, a.otherToken = webtest.APIToken(t, e.s, e.other.acct.ID, &e.other.user.ID, "rival")
	phone := "79990001122"
	a.otherLead = must[lead.Lead](t)(e.s.AddLead(ctx, store.NewLead{AccountID: e.other.acct.ID, Input: lead.Input{Phone: &phone}}))
	a.otherClnt = must[lead.Client](t)(e.s.CreateClient(ctx, lead.Client{AccountID: e.other.acct.ID, Name: "Rival client"}))
	return a
}

// call sends an API request with the account's token (unless headers set
// Authorization) and checks the answer against the OpenAPI document.
func (a *apiEnv) call(t testing.TB, method, path, body string, headers ...string) response {
	t.Helper()
	h := []string{"Authorization", "Bearer " + a.token}
	if body != "" {
		h = append(h, "Content-Type", "application/json")
	}
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	r := a.do(t, method, a.srv.URL+path, b, append(h, headers...)...)
	checkAnswer(t, method, path, r)
	return r
}

// get is call for a GET that must answer 200; it returns the decoded body.
func (a *apiEnv) get(t testing.TB, path string) map[string]any {
	t.Helper()
	r := a.call(t, "GET", path, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	return decode(t, r.body)
}

// want checks the status of an answer and returns its decoded body.
func want(t testing.TB, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	return decode(t, r.body)
}

// wantError checks an error answer's status and that it names exactly
// the given keys.
func wantError(t testing.TB, r response, status int, keys ...string) map[string][]string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	fields := errorsOf(t, r.body)
	got := keysOf(fields)
	sort.Strings(got)
	sort.Strings(keys)
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("errors name %v, want %v: %s", got, keys, r.body)
	}
	return fields
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, b)
	}
	return v
}

// dataOf returns the "data" object of an answer.
func dataOf(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	d, ok := v["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object in %v", v)
	}
	return d
}

// listOf returns the "data" array of an answer.
func listOf(t testing.TB, v map[string]any) []map[string]any {
	t.Helper()
	items, ok := v["data"].([]any)
	if !ok {
		t.Fatalf("no data array in %v", v)
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it.(map[string]any)
	}
	return out
}

func num(t testing.TB, v any) int64 {
	t.Helper()
	n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	if err != nil {
		t.Fatalf("%v is not an integer", v)
	}
	return n
}

func idOf(t testing.TB, v map[string]any) int64 { t.Helper(); return num(t, dataOf(t, v)["id"]) }

// The OpenAPI document, its routes and compiled response schemas.

type docRoute struct {
	method, path string // "get", "/api/v1/leads/{id}"
	re           *regexp.Regexp
	op           map[string]any
}

var openapi struct {
	once    sync.Once
	raw     []byte
	doc     map[string]any
	routes  []docRoute
	mu      sync.Mutex
	comp    *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
	err     error
}

const docURL = "mem://leadbox/openapi.json"

// loadDoc reads the document the package embeds, through the server, so the
// served document is the one checked.
func loadDoc(t testing.TB) {
	t.Helper()
	openapi.once.Do(func() {
		srv := web.NewServer(web.Config{})
		req, _ := http.NewRequest("GET", "/api/v1/openapi.json", nil)
		rec := &recorder{header: http.Header{}}
		srv.ServeHTTP(rec, req)
		if rec.status != http.StatusOK {
			openapi.err = fmt.Errorf("GET /api/v1/openapi.json: %d %s", rec.status, rec.body.String())
			return
		}
		openapi.raw = rec.body.Bytes()
		if openapi.err = json.Unmarshal(openapi.raw, &openapi.doc); openapi.err != nil {
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapi.raw))
		if err != nil {
			openapi.err = err
			return
		}
		openapi.comp = jsonschema.NewCompiler()
		if openapi.err = openapi.comp.AddResource(docURL, doc); openapi.err != nil {
			return
		}
		openapi.schemas = map[string]*jsonschema.Schema{}
		paths, _ := openapi.doc["paths"].(map[string]any)
		for p, item := range paths {
			pattern := regexp.QuoteMeta(p)
			pattern = regexp.MustCompile(`\\\{[a-zA-Z]+\\\}`).ReplaceAllString(pattern, `[^/]+`)
			for m, op := range item.(map[string]any) {
				openapi.routes = append(openapi.routes, docRoute{method: m, path: p, re: regexp.MustCompile("^" + pattern + "$"), op: op.(map[string]any)})
			}
		}
		sort.Slice(openapi.routes, func(i, j int) bool {
			return openapi.routes[i].path+openapi.routes[i].method < openapi.routes[j].path+openapi.routes[j].method
		})
	})
	if openapi.err != nil {
		t.Fatalf("openapi document: %v", openapi.err)
	}
}

// recorder is a minimal ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(s int) { r.status = s }

// findRoute returns the documented operation for a request path, preferring
// a literal segment over a parameter.
func findRoute(method, path string) *docRoute {
	path, _, _ = strings.Cut(path, "?")
	var best *docRoute
	for i := range openapi.routes {
		r := &openapi.routes[i]
		if r.method == strings.ToLower(method) && r.re.MatchString(path) {
			if best == nil || strings.Count(r.path, "{") < strings.Count(best.path, "{") {
				best = r
			}
		}
	}
	return best
}

// jsonPointer escapes a key for a JSON pointer.
func jsonPointer(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

// checkAnswer validates an answer against the documented response of its
// operation: its status must be documented and its body must match.
func checkAnswer(t testing.TB, method, path string, r response) {
	t.Helper()
	loadDoc(t)
	rt := findRoute(method, path)
	if rt == nil {
		return // an undocumented route: the tests check it answers 404 or 405
	}
	code := strconv.Itoa(r.status)
	responses := rt.op["responses"].(map[string]any)
	resp, ok := responses[code].(map[string]any)
	if !ok {
		t.Fatalf("%s %s answered %d, which the document does not list for %s %s: %s", method, path, r.status, rt.method, rt.path, r.body)
	}
	ptr := jsonPointer("paths", rt.path, rt.method, "responses", code)
	if ref, ok := resp["$ref"].(string); ok {
		ptr = strings.TrimPrefix(ref, "#")
		resp = lookup(ptr)
	}
	content, _ := resp["content"].(map[string]any)
	if content == nil {
		if len(r.body) != 0 {
			t.Fatalf("%s %s: %d documented without a body, got %s", method, path, r.status, r.body)
		}
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	sch := compiled(t, ptr+jsonPointer("content", "application/json", "schema"))
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, r.body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s %s: %d answer does not match the documented schema: %v\n%s", method, path, r.status, err, r.body)
	}
	if hs, ok := resp["headers"].(map[string]any); ok {
		for h := range hs {
			if r.header.Get(h) == "" {
				t.Fatalf("%s %s: %d answer lacks the documented header %s", method, path, r.status, h)
			}
		}
	}
}

// lookup follows a JSON pointer into the document.
func lookup(ptr string) map[string]any {
	var cur any = openapi.doc
	for _, p := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		p = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
		cur = cur.(map[string]any)[p]
	}
	return cur.(map[string]any)
}

func compiled(t testing.TB, ptr string) *jsonschema.Schema {
	t.Helper()
	openapi.mu.Lock()
	defer openapi.mu.Unlock()
	if s, ok := openapi.schemas[ptr]; ok {
		return s
	}
	s, err := openapi.comp.Compile(docURL + "#" + ptr)
	if err != nil {
		t.Fatalf("compile schema %s: %v", ptr, err)
	}
	openapi.schemas[ptr] = s
	return s
}

// readAll drains a body for tests that use the client directly.
func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type storeToken = store.APIToken

func listTokens(a *apiEnv) ([]store.APIToken, error) {
	return a.s.ListAPITokens(context.Background(), a.acct.ID)
}
