package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"

	"leadbox/internal/lead"
)

//go:embed static
var staticFS embed.FS

// asset is a static file held in memory with its checksum.
type asset struct {
	body []byte
	sum  string
	kind string
}

func mustLoadAssets() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path.Base(p)] = asset{body: b, sum: hex.EncodeToString(sum[:6]), kind: mime.TypeByExtension(path.Ext(p))}
		return nil
	})
	if err != nil {
		panic("web: static assets: " + err.Error())
	}
	return out
}

// handleStatic serves an embedded asset; a URL carrying the current checksum
// may be cached for a year.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("name")]
	if !ok {
		s.uiError(w, r, lead.Errorf(lead.ENotFound, "path", "Не найдено."))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.kind)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	if r.URL.Query().Get("v") == a.sum {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	w.Write(a.body)
}

// handleFavicon answers browsers that ask for /favicon.ico, as they all do
// whatever a page's <link rel="icon"> says, with leadbox's icon.
func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	r.SetPathValue("name", "favicon.svg")
	s.handleStatic(w, r)
}
