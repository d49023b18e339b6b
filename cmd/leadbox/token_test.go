package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"leadbox/internal/store/storetest"
)

// apiGet sends a GET with a bearer token.
func apiGet(t *testing.T, url, token string) response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// TestTokenCommands: token create prints the secret once, the API takes it,
// token list shows its last use but never the secret, token revoke stops it.
func TestTokenCommands(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		srv := startServer(t, dsn, env)

		var tok struct {
			ID           int64  `json:"id"`
			Name         string `json:"name"`
			Token        string `json:"token"`
			UserIDCreate *int64 `json:"userIdCreate"`
		}
		cliJSON(t, env, &tok, "token", "create", "--name", "CRM sync", "--db", dsn)
		if tok.ID <= 0 || tok.Name != "CRM sync" || !strings.HasPrefix(tok.Token, "lbx_") || tok.UserIDCreate == nil {
			t.Fatalf("token create printed %+v", tok)
		}
		r := apiGet(t, srv.url+"/api/v1/leads", tok.Token)
		if r.status != 200 {
			t.Fatalf("API with the new token: %d %s", r.status, r.body)
		}
		out, err := cli(t, env, "token", "list", "--db", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, tok.Token) || !strings.Contains(out, `"dtLastUsed": 1`) {
			t.Errorf("token list: %s", out)
		}
		var list []map[string]any
		if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
			t.Fatalf("token list: %v %s", err, out)
		}
		if _, err := cli(t, env, "token", "revoke", "--id", fmt.Sprint(tok.ID), "--db", dsn); err != nil {
			t.Fatal(err)
		}
		if r := apiGet(t, srv.url+"/api/v1/leads", tok.Token); r.status != 401 {
			t.Errorf("revoked token: %d %s", r.status, r.body)
		}
		if _, err := cli(t, env, "token", "revoke", "--id", fmt.Sprint(tok.ID), "--db", dsn); err == nil {
			t.Error("revoking twice succeeded")
		}
		if _, err := cli(t, env, "token", "create", "--name", "x", "--user", "999", "--db", dsn); err == nil {
			t.Error("token create for a missing user succeeded")
		}
	})
}
