package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web/api"
	"leadbox/internal/web/webtest"
)

// TestOpenAPIRoutes: every route the server has is in the document, and
// every documented route is one the server has.
func TestOpenAPIRoutes(t *testing.T) {
	webtest.LoadDoc(t)
	var documented []string
	for _, r := range webtest.OpenAPI.Routes {
		documented = append(documented, strings.ToUpper(r.Method)+" "+r.Path)
	}
	slices.Sort(documented)
	served := api.New(api.Config{}).RoutePatterns()
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
	webtest.LoadDoc(t)
	if v := webtest.OpenAPI.Doc["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	ids := map[string]bool{}
	for _, r := range webtest.OpenAPI.Routes {
		name := strings.ToUpper(r.Method) + " " + r.Path
		id, _ := r.Op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or repeated", name, id)
		}
		ids[id] = true
		responses := r.Op["responses"].(map[string]any)
		var ok bool
		for code := range responses {
			ok = ok || strings.HasPrefix(code, "2")
		}
		if !ok {
			t.Errorf("%s documents no success answer", name)
		}
		public := r.Op["security"] != nil
		if _, has := responses["401"]; !has && !public {
			t.Errorf("%s needs a token but does not document 401", name)
		}
		if strings.Contains(r.Path, "{id}") && responses["404"] == nil {
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
					webtest.Lookup(strings.TrimPrefix(ref, "#"))
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
	walk(webtest.OpenAPI.Doc)
}

// TestOpenAPIServed: the document is served without a token, as JSON, and
// every documented route answers something other than the router's 404 or
// 405 (so it exists), on both engines.
func TestOpenAPIServed(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		a := webtest.NewAPIEnv(t, engine)
		r := a.Do(t, "GET", a.Srv.URL+"/api/v1/openapi.json", nil)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("openapi.json: %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		var doc map[string]any
		if err := json.Unmarshal(r.Body, &doc); err != nil || doc["openapi"] != "3.1.0" {
			t.Fatalf("openapi.json is not an OpenAPI 3.1 document: %v", err)
		}
		for _, rt := range webtest.OpenAPI.Routes {
			path := strings.ReplaceAll(rt.Path, "{id}", "999999999")
			r := a.Call(t, strings.ToUpper(rt.Method), path, "{}")
			if r.Status == http.StatusMethodNotAllowed {
				t.Errorf("%s %s: 405", rt.Method, path)
			}
			if r.Status == http.StatusNotFound {
				if fields := webtest.ErrorsOf(t, r.Body); fields["path"] != nil {
					t.Errorf("%s %s: the router has no such route", rt.Method, path)
				}
			}
		}
	})
}
