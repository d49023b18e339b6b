package respond

import (
	"io"
	"net/http"
	"time"
)

// downloadTime is the longest a download may take to write: a million-lead
// export outlasts the server's WriteTimeout.
const downloadTime = 30 * time.Minute

// Download streams a file to the client while write produces it, as an
// attachment named filename. sent reports whether any of it reached the
// client: if write fails before, the caller answers the error as usual;
// after, the answer is already a 200 with half a file, so the caller must
// abort it (panic(http.ErrAbortHandler)) to tell the client it failed.
func Download(w http.ResponseWriter, contentType, filename string, write func(io.Writer) error) (sent bool, err error) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(downloadTime)) // not every writer can; then the server's timeout holds
	sw := &sentWriter{w: w, header: func() {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
	}}
	err = write(sw)
	return sw.sent, err
}

type sentWriter struct {
	w      http.ResponseWriter
	header func()
	sent   bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.start()
	return s.w.Write(p)
}

func (s *sentWriter) start() {
	if !s.sent {
		s.header()
		s.sent = true
	}
}

// StartDownload sends a download's headers before its first byte, so that
// the browser shows the download under way while the file is assembled (an
// XLSX file is complete only after its last row). From then on a failure
// can only cut the download off. w is the writer Download gave.
func StartDownload(w io.Writer) {
	if s, ok := w.(*sentWriter); ok && !s.sent {
		s.start()
		s.w.WriteHeader(http.StatusOK)
		http.NewResponseController(s.w).Flush()
	}
}
