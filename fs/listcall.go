package fs

import (
	"context"
	"sort"
	"strings"
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

	mu       sync.Mutex       // guards the fields below
	pending  map[string]entry // names a later page may still change
	names    []string         // decided names, in the order they were decided
	cols     listingColumns   // their entries, in the same order
	decided  map[string]int   // index of each decided name; nil once finished
	facts    dirListing       // the directory's own marker, placeholder, hidden count so far
	frontier string           // the greatest key or prefix listed so far
	finished bool             // no more pages
	failed   error            // why the listing failed, once finished
	changed  chan struct{}    // closed and replaced whenever names grows or finished is set
}

func newListCall(prefix string) *listCall {
	return &listCall{prefix: prefix, pending: map[string]entry{}, decided: map[string]int{}, changed: make(chan struct{}),
		facts: dirListing{prefix: prefix}}
}

// addPage takes one page of the listing; names no later page can change
// become decided, in name order. It returns the keys of the page that
// cannot be shown, to log. The pages themselves are not kept: the
// decided names and their columns are the listing (see listing).
func (c *listCall) addPage(page s3backend.Listing) []hiddenKey {
	pl, hidden := buildListing(c.prefix, page) // the naming rules within the page
	c.mu.Lock()
	defer c.mu.Unlock()
	if pl.marker {
		c.facts.marker, c.facts.markerT = true, pl.markerT
	}
	c.facts.bzEmpty = c.facts.bzEmpty || pl.bzEmpty
	for i, name := range pl.names {
		e := pl.at(i)
		if old, ok := c.pending[name]; ok && (old.kind == kindDir) != (e.kind == kindDir) {
			// A file and a directory of the same name on two pages: the
			// directory wins, as within one page.
			lost := e
			if e.kind == kindDir {
				lost = old
			} else {
				e = old
			}
			hidden = append(hidden, hiddenKey{lost.obj.Key, "a directory of the same name wins"})
		}
		e.name = strings.Clone(name) // not the page's key, which holds the prefix too
		c.pending[e.name] = e
	}
	c.facts.hidden += len(hidden)
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
	return hidden
}

// decideLocked moves names from pending to the decided ones, sorted, and
// wakes readers.
func (c *listCall) decideLocked(names []string) {
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	c.cols.grow(len(names))
	for _, name := range names {
		c.decided[name] = len(c.names)
		c.names = append(c.names, name)
		c.cols.add(c.prefix, c.pending[name])
		delete(c.pending, name)
	}
	c.notifyLocked()
}

// decideRestLocked decides every name left, at the end of the listing.
func (c *listCall) decideRestLocked() {
	var rest []string
	for name := range c.pending {
		rest = append(rest, name)
	}
	c.decideLocked(rest)
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
		c.decideRestLocked()
	}
	c.finished, c.failed, c.decided = true, err, nil
	c.notifyLocked()
	c.mu.Unlock()
}

// entry returns the i-th decided entry, waiting for it while the listing
// goes on. ok is false at the end of the listing; err is the listing's
// failure, or ctx's.
func (c *listCall) entry(ctx context.Context, i int) (e entry, ok bool, err error) {
	for {
		c.mu.Lock()
		n, finished, failed, ch := len(c.names), c.finished, c.failed, c.changed
		if i < n {
			e = c.cols.entry(c.prefix, c.names[i], i)
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
	if i, ok := c.decided[name]; ok {
		return c.cols.entry(c.prefix, c.names[i], i), true, true
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
	return len(c.names)
}

// ended reports whether the listing has ended (every name decided, or
// failed).
func (c *listCall) ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.finished
}

// listing is the whole listing, once the last page is in (every name left
// is decided): the decided names sorted (in place when they were decided in name order,
// as they are unless names sort differently from their keys).
func (c *listCall) listing() *dirListing {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.decideRestLocked()
	l := sortedListing(c.prefix, c.names, c.cols)
	l.marker, l.markerT, l.bzEmpty, l.hidden = c.facts.marker, c.facts.markerT, c.facts.bzEmpty, c.facts.hidden
	return l
}
