// Command leadbox-bare is the benchmark's reference server: leadbox's webhook
// without storage. It has the same HTTP server settings, reads the body with
// the same 64 KiB limit, decodes it with the same intake decoder and answers
// 201 with the same {"data": LEAD} shape (a counter for the id), or the same
// error shapes. cmd/leadbox-bench measures leadbox against it.
//
//	leadbox-bare -addr 127.0.0.1:8099
//
// POST /hooks/{token} takes any token. GET /healthz and /readyz answer 200.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
)

// maxBody is web.MaxWebhookBody.
const maxBody = 64 << 10

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "leadbox-bare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("leadbox-bare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8099", "address to listen on")
	region := fs.String("phone-region", "RU", "region assumed for phones without a country code")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newHandler(intake.New(*region)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stdout, "leadbox-bare: listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func newHandler(dec *intake.Decoder) http.Handler {
	var lastID atomic.Int64
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`)) }
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /readyz", ok)
	mux.HandleFunc("/hooks/{token}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeError(w, lead.Errorf(lead.ETooLarge, "body", "Тело запроса больше %d КБ.", maxBody>>10))
			return
		case err != nil:
			writeError(w, lead.Errorf(lead.EMalformed, "body", "Не удалось прочитать тело запроса."))
			return
		case r.Method != http.MethodPost:
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, lead.Errorf(lead.EMethod, "method", "Метод %s не поддерживается, используйте POST.", r.Method))
			return
		}
		in, err := dec.DecodeJSON(body)
		if err != nil {
			writeError(w, err)
			return
		}
		now := time.Now().Unix()
		l := lead.Lead{ID: lastID.Add(1), DtCreate: now, DtUpdate: now, Extra: in.Extra}
		l.SetInput(in)
		out, err := marshal(struct {
			Data *lead.Lead `json:"data"`
		}{&l})
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, out)
	})
	return mux
}

// statuses is the part of internal/web/respond's table the webhook can answer here.
var statuses = map[lead.Code]int{
	lead.EInvalid:     http.StatusUnprocessableEntity,
	lead.EMalformed:   http.StatusBadRequest,
	lead.EMethod:      http.StatusMethodNotAllowed,
	lead.ETooLarge:    http.StatusRequestEntityTooLarge,
	lead.EUnsupported: http.StatusUnsupportedMediaType,
}

func writeError(w http.ResponseWriter, err error) {
	var e *lead.Error
	status := http.StatusServiceUnavailable
	if !errors.As(err, &e) {
		e = lead.Errorf(lead.EUnavailable, "server", "Сервис временно недоступен, повторите запрос позже.")
	} else if s, ok := statuses[e.Code]; ok {
		status = s
	}
	body, _ := e.MarshalJSON()
	writeJSON(w, status, body)
}

// writeJSON and marshal are internal/web/respond's JSON and Marshal.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func marshal(v any) ([]byte, error) {
	var b jsonBuffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.trimmed(), nil
}

type jsonBuffer struct{ buf []byte }

func (b *jsonBuffer) Write(p []byte) (int, error) { b.buf = append(b.buf, p...); return len(p), nil }
func (b *jsonBuffer) trimmed() []byte {
	if n := len(b.buf); n > 0 && b.buf[n-1] == '\n' {
		return b.buf[:n-1]
	}
	return b.buf
}
