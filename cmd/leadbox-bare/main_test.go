package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
)

func TestBare(t *testing.T) {
	srv := httptest.NewServer(newHandler(intake.New("RU")))
	t.Cleanup(srv.Close)
	post := func(method, body string) (int, map[string]json.RawMessage) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/hooks/anything", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]json.RawMessage
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: not JSON: %s", body, raw)
		}
		return resp.StatusCode, out
	}

	// Every key of lead.Lead's JSON form (40 today), as leadbox answers.
	var all map[string]json.RawMessage
	empty, _ := json.Marshal(lead.Lead{})
	json.Unmarshal(empty, &all)
	for i, want := range []string{"1", "2"} {
		code, out := post("POST", `{"name":"Иван <И>","phone":"+7 (999) 123-45-67","email":"a@b.ru","utmSource":"vk"}`)
		if code != 201 {
			t.Fatalf("status %d: %v", code, out)
		}
		var data map[string]json.RawMessage
		json.Unmarshal(out["data"], &data)
		if len(data) != len(all) || string(data["id"]) != want || string(data["phone"]) != `"79991234567"` ||
			string(data["name"]) != `"Иван <И>"` || string(data["utmSource"]) != `"vk"` {
			t.Errorf("answer %d: %d keys %s", i, len(data), out["data"])
		}
	}
	if code, out := post("POST", `{"name":"x"}`); code != 422 || out["errors"] == nil {
		t.Errorf("no contact: %d %v", code, out)
	}
	if code, out := post("POST", `[1]`); code != 400 || out["errors"] == nil {
		t.Errorf("not an object: %d %v", code, out)
	}
	if code, _ := post("PUT", `{}`); code != 405 {
		t.Errorf("PUT: %d", code)
	}
	if code, _ := post("POST", `{"name":"`+strings.Repeat("x", 70<<10)+`"}`); code != 413 {
		t.Errorf("large body: %d", code)
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("readyz: %v %v", resp, err)
	}
}
