package fs

import (
	"context"
	"sort"
	"sync"

	"github.com/b2mount/b2mount/s3backend"
)

// listCall is one listing of a directory being fetched, page by page;
// every reader of the directory meanwhile shares it. A name is decided
// once no later page can change it: pages come in key order, so once the
// listing has gone past "name/", neither the file "name" nor the directory
// "name/" can still appear. Readers get decided names as each page
// arrives, so ls can work on the first thousand entries while the next
// page is on its way.
type listCall struct {
	prefix string // constant
	seq    uint64 // constant: the directory's last change when the listing started

	mu       sync.Mutex        // guards the fields below
	raw      s3backend.Listing // every page so far
	pending  map[string]entry  // names a later page may still change
	order    []entry           // decided entries, in the order they were decided
	decided  map[string]entry  // the same, by name
	frontier string            // the greatest key or prefix listed so far
	finished bool              // no more pages
	failed   error             // why the listing failed, once finished
	changed  chan struct{}     // closed and replaced whenever order grows or finished is set
}

func newListCall(prefix string) *listCall {
	return &listCall{prefix: prefix, pending: map[string]entry{}, decided: map[string]entry{}, changed: make(chan struct{})}
}

// addPage takes one page of the listing; names no later page can change
// become decided, in name order.
func (c *listCall) addPage(page s3backend.Listing) {
	pl, _ := buildListing(c.prefix, page) // the naming rules within the page; hidden names are logged once, from the whole listing
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw.Prefixes = append(c.raw.Prefixes, page.Prefixes...)
	c.raw.Objects = append(c.raw.Objects, page.Objects...)
	for _, name := range pl.names {
		e := pl.entries[name]
		if old, ok := c.pending[name]; ok && old.kind == kindDir && e.kind != kindDir {
			continue // the directory wins
		}
		c.pending[name] = e
	}
	for _, p := range page.Prefixes {
		c.frontier = max(c.frontier, p)
	}
	for _, o := range page.Objects {
		c.frontier = max(c.frontier, o.Key)
	}
	var ready []string
	for name := range c.pending {
		if c.prefix+name+"/" < c.frontier {
			ready = append(ready, name)
		}
	}
	c.decideLocked(ready)
}

// decideLocked moves names from pending to order, sorted, and wakes readers.
func (c *listCall) decideLocked(names []string) {
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	for _, name := range names {
		e := c.pending[name]
		c.order = append(c.order, e)
		c.decided[name] = e
		delete(c.pending, name)
	}
	c.notifyLocked()
}

func (c *listCall) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// finish ends the listing: on success every name left is decided; on
// failure readers get err after the names they had.
func (c *listCall) finish(err error) {
	c.mu.Lock()
	if err == nil {
		var rest []string
		for name := range c.pending {
			rest = append(rest, name)
		}
		c.decideLocked(rest)
	}
	c.finished, c.failed = true, err
	c.notifyLocked()
	c.mu.Unlock()
}

// entry returns the i-th decided entry, waiting for it while the listing
// goes on. ok is false at the end of the listing; err is the listing's
// failure, or ctx's.
func (c *listCall) entry(ctx context.Context, i int) (e entry, ok bool, err error) {
	for {
		c.mu.Lock()
		n, finished, failed, ch := len(c.order), c.finished, c.failed, c.changed
		if i < n {
			e = c.order[i]
		}
		c.mu.Unlock()
		switch {
		case i < n:
			return e, true, nil
		case finished:
			return entry{}, false, failed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return entry{}, false, ctx.Err()
		}
	}
}

// lookup answers for name from the pages so far. known is false while a
// later page may still add or change the name; when known, found tells
// whether the directory has it. Once the listing is past "name/" a page
// holding the file "name" or anything under "name/" would have come
// already, so a name missing by then is missing from the directory.
func (c *listCall) lookup(name string) (e entry, found, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.decided[name]; ok {
		return e, true, true
	}
	if _, ok := c.pending[name]; ok || c.failed != nil {
		return entry{}, false, false
	}
	return entry{}, false, c.finished || c.prefix+name+"/" < c.frontier
}

// ready is how many entries are decided now.
func (c *listCall) ready() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

// ended reports whether the listing has ended (every name decided, or
// failed).
func (c *listCall) ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.finished
}

// whole is every page listed, once finished.
func (c *listCall) whole() s3backend.Listing {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw
}
