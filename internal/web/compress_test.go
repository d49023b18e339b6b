package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"leadbox/internal/web/webtest"
)

// TestCompress: pages, assets and API JSON above a kilobyte go out gzipped
// to a client that asks, and decompress to what a client that does not ask
// gets; small answers, the webhook's and the live-update stream do not.
func TestCompress(t *testing.T) {
	a := webtest.NewAPIEnv(t, "sqlite")
	webtest.SetPasswords(t, a.Env)
	b := webtest.Login(t, a.Env, a.Admin.Email)
	for i := range 30 {
		webtest.WantCreated(t, a.Post(t, a.Src, fmt.Sprintf(`{"phone": "7999000%04d", "name": "Лид номер %d"}`, i, i)))
	}
	page := b.Get("/")
	css := regexp.MustCompile(`href="(/static/[^"]+\.css\?v=[^"]+)"`).FindSubmatch(page.Body)
	if css == nil {
		t.Fatalf("no stylesheet link on the inbox:\n%.2000s", page.Body)
	}
	gzipped := func(t *testing.T, get func(...string) webtest.Response) {
		t.Helper()
		plain := get("Accept-Encoding", "identity")
		zipped := get("Accept-Encoding", "br;q=1, gzip;q=0.8")
		if plain.Status != 200 || zipped.Status != 200 {
			t.Fatalf("status %d and %d", plain.Status, zipped.Status)
		}
		if ce := plain.Header.Get("Content-Encoding"); ce != "" {
			t.Fatalf("Content-Encoding %q for a client that asked for none", ce)
		}
		if ce := zipped.Header.Get("Content-Encoding"); ce != "gzip" {
			t.Fatalf("Content-Encoding %q, want gzip", ce)
		}
		if zipped.Header.Get("Vary") == "" {
			t.Error("no Vary: Accept-Encoding")
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped.Body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		// A page carries a fresh CSRF token and times: compare sizes there.
		if len(got) < len(plain.Body)-200 || len(got) > len(plain.Body)+200 {
			t.Fatalf("decompressed %d bytes, plain %d", len(got), len(plain.Body))
		}
		t.Logf("%d bytes → %d gzipped", len(got), len(zipped.Body))
	}
	t.Run("inbox page", func(t *testing.T) {
		gzipped(t, func(h ...string) webtest.Response { return b.Do("GET", "/", nil, h...) })
	})
	t.Run("stylesheet", func(t *testing.T) {
		gzipped(t, func(h ...string) webtest.Response { return b.Do("GET", string(css[1]), nil, h...) })
	})
	t.Run("API list", func(t *testing.T) {
		gzipped(t, func(h ...string) webtest.Response {
			return a.Do(t, "GET", a.Srv.URL+"/api/v1/leads", nil, append(h, "Authorization", "Bearer "+a.Token)...)
		})
	})
	t.Run("not: small answer", func(t *testing.T) {
		r := a.Do(t, "GET", a.Srv.URL+"/healthz", nil, "Accept-Encoding", "gzip")
		if r.Header.Get("Content-Encoding") != "" || string(r.Body) != `{"status":"ok"}` {
			t.Fatalf("healthz: %q %q", r.Header.Get("Content-Encoding"), r.Body)
		}
	})
	t.Run("not: the webhook", func(t *testing.T) {
		r := a.Post(t, a.Src, `{"phone": "79990009999", "comment": "`+string(bytes.Repeat([]byte("x"), 3000))+`"}`, "Accept-Encoding", "gzip")
		webtest.WantCreated(t, r)
		if r.Header.Get("Content-Encoding") != "" {
			t.Fatal("the webhook's answer was compressed")
		}
	})
	t.Run("not: q=0", func(t *testing.T) {
		r := b.Do("GET", "/", nil, "Accept-Encoding", "gzip;q=0")
		if r.Header.Get("Content-Encoding") != "" {
			t.Fatal("compressed for gzip;q=0")
		}
	})
	t.Run("not: the live stream, which still streams", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", a.Srv.URL+"/events", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := b.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("events: %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		// The stream's first bytes arrive before any event: it was flushed.
		buf := make([]byte, 1)
		if _, err := res.Body.Read(buf); err != nil {
			t.Fatalf("no bytes from the stream: %v", err)
		}
	})
}
