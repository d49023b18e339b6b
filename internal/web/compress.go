package web

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// minGzip is the smallest answer worth compressing: below it the gzip
// header and the CPU cost more than the bytes saved.
const minGzip = 1024

// compressible are the content types compress gzips.
var compressible = map[string]bool{
	"text/html": true, "text/css": true, "text/javascript": true, "application/javascript": true,
	"application/json": true, "application/problem+json": true, "image/svg+xml": true, "text/plain": true,
	"text/csv": true,
}

var gzipWriters = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return gz
}}

// compress gzips HTML, CSS, JS, JSON and SVG answers of minGzip bytes or
// more to clients that accept gzip. The webhook is left alone: its answers
// are a few hundred bytes, and every microsecond of intake counts. So are
// live-update streams (text/event-stream), which must reach the browser
// event by event.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/hooks/") || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, head: r.Method == http.MethodHead}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// acceptsGzip reads Accept-Encoding: gzip with a q above zero.
func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// gzipWriter holds an answer's first minGzip bytes back until it knows
// whether to compress it: by its type, its size, and whether the handler
// encoded it itself.
type gzipWriter struct {
	http.ResponseWriter
	head    bool
	status  int
	buf     []byte
	decided bool
	gz      *gzip.Writer // when compressing
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.decided || g.status != 0 {
		if g.decided && !g.head {
			g.ResponseWriter.WriteHeader(code) // let net/http say it is superfluous
		}
		return
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		g.ResponseWriter.WriteHeader(code) // informational: 103 Early Hints
		return
	}
	g.status = code
	if !g.worthIt(-1) || g.knownLength() >= 0 {
		g.decide(g.worthIt(g.knownLength()))
	}
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if g.status == 0 {
		g.WriteHeader(http.StatusOK)
	}
	if !g.decided {
		g.buf = append(g.buf, p...)
		if len(g.buf) < minGzip {
			return len(p), nil
		}
		return len(p), g.decide(true)
	}
	if g.gz != nil {
		return g.gz.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// Flush sends what is held back: a handler that flushes wants it seen now.
func (g *gzipWriter) Flush() {
	if !g.decided {
		if g.status == 0 {
			g.WriteHeader(http.StatusOK)
		}
		g.decide(len(g.buf) >= minGzip)
	}
	if g.gz != nil {
		g.gz.Flush()
	}
	http.NewResponseController(g.ResponseWriter).Flush()
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// worthIt says whether an answer of the status and type set, n bytes long
// (-1: not known yet), should be compressed.
func (g *gzipWriter) worthIt(n int) bool {
	h := g.Header()
	if g.status < 200 || g.status == http.StatusNoContent || g.status == http.StatusNotModified ||
		h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !compressible[mt] {
		return false
	}
	return n < 0 || n >= minGzip
}

func (g *gzipWriter) knownLength() int {
	n, err := strconv.Atoi(g.Header().Get("Content-Length"))
	if err != nil {
		return -1
	}
	return n
}

// decide writes the header, compressed or not, and what was held back.
func (g *gzipWriter) decide(gzipIt bool) error {
	g.decided = true
	h := g.Header()
	if g.worthIt(-1) {
		h.Add("Vary", "Accept-Encoding")
	}
	if gzipIt && g.worthIt(-1) && !g.head {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		g.gz = gzipWriters.Get().(*gzip.Writer)
		g.gz.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(g.status)
	if len(g.buf) == 0 {
		return nil
	}
	buf := g.buf
	g.buf = nil
	if g.gz != nil {
		_, err := g.gz.Write(buf)
		return err
	}
	_, err := g.ResponseWriter.Write(buf)
	return err
}

// close ends the answer: a short one goes out as it is, a compressed one
// gets its gzip trailer.
func (g *gzipWriter) close() {
	if !g.decided {
		if g.status == 0 {
			return // the handler wrote nothing: net/http answers 200 itself
		}
		g.decide(false)
	}
	if g.gz != nil {
		g.gz.Close()
		g.gz.Reset(nil)
		gzipWriters.Put(g.gz)
		g.gz = nil
	}
}
