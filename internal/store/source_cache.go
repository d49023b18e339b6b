package store

import (
	"sync"
	"time"

	"leadbox/internal/lead"
)

// sourceCache keeps the sources found by token for a moment, so that a burst
// of leads to one URL does not read and decode the same row for every
// request (it was ~12% of the webhook's CPU on SQLite). Every write
// transaction of this process (inTx: rotate, disable, enable, edit, delete)
// empties it when it ends. Changes made by another process — a second server
// on the same PostgreSQL, or a CLI command on the SQLite file — bump the
// row's revision (migration 0006). A copy carries the revision it was read
// at (lead.Source.Rev), and the transaction that writes a request made with
// it checks the revision (checkSourceRev; once per source in a group
// commit): every change takes effect at the next request, and the check
// costs no query of its own per request.
type sourceCache struct {
	mu  sync.Mutex
	gen uint64 // bumped by every forget
	m   map[string]cachedSource
}

type cachedSource struct {
	src lead.Source
	at  time.Time
}

const (
	sourceCacheTTL = time.Second
	sourceCacheMax = 4096 // only tokens that exist are cached; past this, start over
)

// get returns the source cached for a token hash, if fresh. The source's maps
// and slices are shared with other requests: read them, never change them.
func (c *sourceCache) get(hash string) (lead.Source, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || time.Since(e.at) >= sourceCacheTTL {
		return lead.Source{}, false
	}
	return e.src, true
}

// generation is read before a lookup and handed to put, so that a row read
// before a change but put after the change's forget is not kept.
func (c *sourceCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *sourceCache) put(hash string, src lead.Source, gen uint64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= sourceCacheMax {
		c.m = make(map[string]cachedSource)
	}
	c.m[hash] = cachedSource{src: src, at: at}
}

// drop forgets one token's source.
func (c *sourceCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, hash)
}

// forget empties the cache.
func (c *sourceCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}
