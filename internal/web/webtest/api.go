package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
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
)

// APIEnv is an env with an API token for each account and a lead and a client
// in the other account, whose ids the first account's token must never reach.
type APIEnv struct {
	*Env
	Token       string // the account's token
	TokenRow    store.APIToken
	OtherToken  string
	OtherLead   lead.Lead
	OtherClient lead.Client
}

func NewAPIEnv(t *testing.T, engine string, configure ...func(*web.Config)) *APIEnv {
	t.Helper()
	e := NewEnv(t, engine, configure...)
	ctx := context.Background()
	a := &APIEnv{Env: e}
	a.TokenRow, a.Token = APIToken(t, e.Store, e.Acct.ID, &e.Admin.ID, "test")
	_, a.OtherToken = APIToken(t, e.Store, e.Other.Acct.ID, &e.Other.User.ID, "rival")
	phone := "79990001122"
	a.OtherLead = Must[lead.Lead](t)(e.Store.AddLead(ctx, store.NewLead{AccountID: e.Other.Acct.ID, Input: lead.Input{Phone: &phone}}))
	a.OtherClient = Must[lead.Client](t)(e.Store.CreateClient(ctx, lead.Client{AccountID: e.Other.Acct.ID, Name: "Rival client"}))
	return a
}

// Call sends an API request with the account's token (unless headers set
// Authorization) and checks the answer against the OpenAPI document.
func (a *APIEnv) Call(t testing.TB, method, path, body string, headers ...string) Response {
	t.Helper()
	h := []string{"Authorization", "Bearer " + a.Token}
	if body != "" {
		h = append(h, "Content-Type", "application/json")
	}
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	r := a.Do(t, method, a.Srv.URL+path, b, append(h, headers...)...)
	checkAnswer(t, method, path, r)
	return r
}

// Get is call for a GET that must answer 200; it returns the decoded body.
func (a *APIEnv) Get(t testing.TB, path string) map[string]any {
	t.Helper()
	r := a.Call(t, "GET", path, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return Decode(t, r.Body)
}

// Want checks the status of an answer and returns its decoded body.
func Want(t testing.TB, r Response, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return Decode(t, r.Body)
}

// WantAPIError checks an error answer's status and that it names exactly
// the given keys.
func WantAPIError(t testing.TB, r Response, status int, keys ...string) map[string][]string {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	fields := ErrorsOf(t, r.Body)
	got := KeysOf(fields)
	sort.Strings(got)
	sort.Strings(keys)
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("errors name %v, want %v: %s", got, keys, r.Body)
	}
	return fields
}

func Decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, b)
	}
	return v
}

// DataOf returns the "data" object of an answer.
func DataOf(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	d, ok := v["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object in %v", v)
	}
	return d
}

// ListOf returns the "data" array of an answer.
func ListOf(t testing.TB, v map[string]any) []map[string]any {
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

func Num(t testing.TB, v any) int64 {
	t.Helper()
	n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	if err != nil {
		t.Fatalf("%v is not an integer", v)
	}
	return n
}

func IDOf(t testing.TB, v map[string]any) int64 { t.Helper(); return Num(t, DataOf(t, v)["id"]) }

// The OpenAPI document, its routes and compiled response schemas.

type DocRoute struct {
	Method, Path string // "get", "/api/v1/leads/{id}"
	re           *regexp.Regexp
	Op           map[string]any
}

var OpenAPI struct {
	once    sync.Once
	raw     []byte
	Doc     map[string]any
	Routes  []DocRoute
	mu      sync.Mutex
	comp    *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
	err     error
}

const docURL = "mem://leadbox/openapi.json"

// LoadDoc reads the document the package embeds, through the server, so the
// served document is the one checked.
func LoadDoc(t testing.TB) {
	t.Helper()
	OpenAPI.once.Do(func() {
		srv := web.NewServer(web.Config{})
		req, _ := http.NewRequest("GET", "/api/v1/openapi.json", nil)
		rec := &recorder{header: http.Header{}}
		srv.ServeHTTP(rec, req)
		if rec.status != http.StatusOK {
			OpenAPI.err = fmt.Errorf("GET /api/v1/openapi.json: %d %s", rec.status, rec.body.String())
			return
		}
		OpenAPI.raw = rec.body.Bytes()
		if OpenAPI.err = json.Unmarshal(OpenAPI.raw, &OpenAPI.Doc); OpenAPI.err != nil {
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(OpenAPI.raw))
		if err != nil {
			OpenAPI.err = err
			return
		}
		OpenAPI.comp = jsonschema.NewCompiler()
		if OpenAPI.err = OpenAPI.comp.AddResource(docURL, doc); OpenAPI.err != nil {
			return
		}
		OpenAPI.schemas = map[string]*jsonschema.Schema{}
		paths, _ := OpenAPI.Doc["paths"].(map[string]any)
		for p, item := range paths {
			pattern := regexp.QuoteMeta(p)
			pattern = regexp.MustCompile(`\\\{[a-zA-Z]+\\\}`).ReplaceAllString(pattern, `[^/]+`)
			for m, op := range item.(map[string]any) {
				OpenAPI.Routes = append(OpenAPI.Routes, DocRoute{Method: m, Path: p, re: regexp.MustCompile("^" + pattern + "$"), Op: op.(map[string]any)})
			}
		}
		sort.Slice(OpenAPI.Routes, func(i, j int) bool {
			return OpenAPI.Routes[i].Path+OpenAPI.Routes[i].Method < OpenAPI.Routes[j].Path+OpenAPI.Routes[j].Method
		})
	})
	if OpenAPI.err != nil {
		t.Fatalf("openapi document: %v", OpenAPI.err)
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
func findRoute(method, path string) *DocRoute {
	path, _, _ = strings.Cut(path, "?")
	var best *DocRoute
	for i := range OpenAPI.Routes {
		r := &OpenAPI.Routes[i]
		if r.Method == strings.ToLower(method) && r.re.MatchString(path) {
			if best == nil || strings.Count(r.Path, "{") < strings.Count(best.Path, "{") {
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
func checkAnswer(t testing.TB, method, path string, r Response) {
	t.Helper()
	LoadDoc(t)
	rt := findRoute(method, path)
	if rt == nil {
		return // an undocumented route: the tests check it answers 404 or 405
	}
	code := strconv.Itoa(r.Status)
	responses := rt.Op["responses"].(map[string]any)
	resp, ok := responses[code].(map[string]any)
	if !ok {
		t.Fatalf("%s %s answered %d, which the document does not list for %s %s: %s", method, path, r.Status, rt.Method, rt.Path, r.Body)
	}
	ptr := jsonPointer("paths", rt.Path, rt.Method, "responses", code)
	if ref, ok := resp["$ref"].(string); ok {
		ptr = strings.TrimPrefix(ref, "#")
		resp = Lookup(ptr)
	}
	content, _ := resp["content"].(map[string]any)
	if content == nil {
		if len(r.Body) != 0 {
			t.Fatalf("%s %s: %d documented without a body, got %s", method, path, r.Status, r.Body)
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		// A download: its media type must be one the document lists.
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt == "application/json" || content[mt] == nil {
			t.Fatalf("%s %s: Content-Type %q", method, path, ct)
		}
		return
	}
	sch := compiled(t, ptr+jsonPointer("content", "application/json", "schema"))
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, r.Body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s %s: %d answer does not match the documented schema: %v\n%s", method, path, r.Status, err, r.Body)
	}
	if hs, ok := resp["headers"].(map[string]any); ok {
		for h := range hs {
			if r.Header.Get(h) == "" {
				t.Fatalf("%s %s: %d answer lacks the documented header %s", method, path, r.Status, h)
			}
		}
	}
}

// Lookup follows a JSON pointer into the document.
func Lookup(ptr string) map[string]any {
	var cur any = OpenAPI.Doc
	for _, p := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		p = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
		cur = cur.(map[string]any)[p]
	}
	return cur.(map[string]any)
}

func compiled(t testing.TB, ptr string) *jsonschema.Schema {
	t.Helper()
	OpenAPI.mu.Lock()
	defer OpenAPI.mu.Unlock()
	if s, ok := OpenAPI.schemas[ptr]; ok {
		return s
	}
	s, err := OpenAPI.comp.Compile(docURL + "#" + ptr)
	if err != nil {
		t.Fatalf("compile schema %s: %v", ptr, err)
	}
	OpenAPI.schemas[ptr] = s
	return s
}

type StoreToken = store.APIToken

func ListTokens(a *APIEnv) ([]store.APIToken, error) {
	return a.Store.ListAPITokens(context.Background(), a.Acct.ID)
}
