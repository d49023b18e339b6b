package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
)

// TestOpenAPIRoutes: every route the server has is in the document, and
// every documented route is one the server has.
func TestOpenAPIRoutes(t *testing.T) {
	loadDoc(t)
	var documented []string
	for _, r := range openapi.routes {
		documented = append(documented, strings.ToUpper(r.method)+" "+r.path)
	}
	slices.Sort(documented)
	served := web.NewServer(web.Config{}).APIRoutePatterns()
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("openapi.json documents %s, which the server does not have", r)
		}
	}
}

// TestOpenAPIDocument checks the document's shape: OpenAPI 3.1, every
// operation has an id, a success answer and, unless public, the 401.
func TestOpenAPIDocument(t *testing.T) {
	loadDoc(t)
	if v := openapi.doc["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	ids := map[string]bool{}
	for _, r := range openapi.routes {
		name := strings.ToUpper(r.method) + " " + r.path
		id, _ := r.op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or repeated", name, id)
		}
		ids[id] = true
		responses := r.op["responses"].(map[string]any)
		var ok bool
		for code := range responses {
			ok = ok || strings.HasPrefix(code, "2")
		}
		if !ok {
			t.Errorf("%s documents no success answer", name)
		}
		public := r.op["security"] != nil
		if _, has := responses["401"]; !has && !public {
			t.Errorf("%s needs a token but does not document 401", name)
		}
		if strings.Contains(r.path, "{id}") && responses["404"] == nil {
			t.Errorf("%s takes an id but does not document 404", name)
		}
	}
	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				func() {
					defer func() {
						if recover() != nil {
							t.Errorf("$ref %s does not resolve", ref)
						}
					}()
					lookup(strings.TrimPrefix(ref, "#"))
				}()
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(openapi.doc)
}

// TestOpenAPIServed: the document is served without a token, as JSON, and
// every documented route answers something other than the router's 404 or
// 405 (so it exists), on both engines.
func TestOpenAPIServed(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := newAPIEnv(t, engine)
		r := a.do(t, "GET", a.srv.URL+"/api/v1/openapi.json", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("openapi.json: %d %q", r.status, r.header.Get("Content-Type"))
		}
		var doc map[string]any
		if err := json.Unmarshal(r.body, &doc); err != nil || doc["openapi"] != "3.1.0" {
			t.Fatalf("openapi.json is not an OpenAPI 3.1 document: %v", err)
		}
		for _, rt := range openapi.routes {
			path := strings.ReplaceAll(rt.path, "{id}", "999999999")
			r := a.call(t, strings.ToUpper(rt.method), path, "{}")
			if r.status == http.StatusMethodNotAllowed {
				t.Errorf("%s %s: 405", rt.method, path)
			}
			if r.status == http.StatusNotFound {
				if fields := errorsOf(t, r.body); fields["path"] != nil {
					t.Errorf("%s %s: the router has no such route", rt.method, path)
				}
			}
		}
	})
}
