package webtest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"leadbox/internal/intake"
	"leadbox/internal/store"
	"leadbox/internal/web"
)

// Serve starts leadbox's HTTP server over st for the rest of the test,
// logging to log at debug level. The rate limits are off unless configure
// sets them; setup may change the HTTP server before it starts. The server
// closes when the test ends, before a store the test opened earlier.
func Serve(t testing.TB, st *store.Store, log io.Writer, setup func(*httptest.Server), configure ...func(*web.Config)) *httptest.Server {
	t.Helper()
	cfg := web.Config{
		Store:   st,
		Decoder: intake.New(""),
		Logger:  slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range configure {
		f(&cfg)
	}
	srv := httptest.NewUnstartedServer(web.NewServer(cfg))
	if setup != nil {
		setup(srv)
	}
	srv.Start()
	t.Cleanup(srv.Close) // cleanups run last-in first-out
	return srv
}
