package fs

import (
	"context"
	"sync"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// dirCache is what the mount knows of one directory (a key prefix), and
// the only owner of it: the last whole listing, the listing being fetched,
// the pages lookups listed without a listing (windows, window.go) and the
// rare names they did not decide (probes, probe.go), and whether an outage
// was logged. Every lookup (lookup) and every directory handle
// (source) is answered from here; dirNode and dirHandle keep nothing of
// their own about the directory's names.
//
// A listing is fetched on a directory handle's first READDIR, page by page
// (listCall), shared by every reader, and kept for the TTL (then, during an
// outage, beyond it: see stale). It replaces the windows and probes.
//
// # This mount's own changes
//
// A read-write mount shows its own changes at once: a name created or
// renamed in is found and listed, a name removed or renamed away is gone,
// even while a listing that started before the change is still arriving,
// or once it is installed. The changes (dirchanges.go) are kept by name,
// each with a sequence number: knownLocked answers from them before
// anything the store said; a directory handle's source passes every
// listed entry through them and lists the added names after; and a
// listing, once installed, drops the changes made before it started (it
// shows them) and keeps the later ones.
type dirCache struct {
	// Constant.
	fsys   *fileSystem
	prefix string // "" for the bucket root, else ends in "/"

	mu       sync.Mutex        // guards the fields below; never held across a request
	listing  *dirListing       // nil until listed; kept past the TTL for outages
	listedAt time.Time         // when listing was fetched
	staleLog bool              // an outage was logged since the last listing
	inflight *listCall         // the listing being fetched, if any
	windows  []*window         // pages listed by lookups while no fresh listing existed (window.go)
	asking   []*asking         // windows being fetched (window.go)
	probes   map[string]probe  // names their windows did not decide (probe.go)
	changes  map[string]change // this mount's changes a listing may not show yet (dirchanges.go)
	seq      uint64            // number of the last change
}

func newDirCache(fsys *fileSystem, prefix string) *dirCache {
	return &dirCache{fsys: fsys, prefix: prefix}
}

// lookup finds one name of the directory: found is false if it has none
// (ENOENT); err is a failure to find out (an outage, a denied key). It
// answers, in this order: from a fresh listing; from the pages so far of
// a listing being fetched, once they decide the name; from a fresh
// remembered window or probe (all with no request); else with one window,
// a page of the listing from just below the name (window.go, probe.go),
// remembered for the TTL, hit or miss, and answering the names after it
// too; a lookup that comes while such a page below its name is being
// fetched waits for it first (await). A lookup that fails in an outage is answered from an expired
// window or probe that found the name, or else from the expired listing
// (see stale).
func (c *dirCache) lookup(ctx context.Context, name string) (e entry, found bool, err error) {
	if hiddenReason(name) != "" {
		return entry{}, false, nil
	}
	c.mu.Lock()
	e, found, known := c.knownLocked(name)
	old, oldFound := c.expiredEntryLocked(name) // for an outage
	seq := c.seq
	c.mu.Unlock()
	if known {
		return e, found, nil
	}
	e, found, known, err = c.await(ctx, name)
	if !known && err == nil {
		e, found, err = c.ask(ctx, name, seq)
	}
	if err != nil {
		if isOutage(err) && oldFound {
			return old, true, nil
		}
		if l := c.stale(err); l != nil {
			if e, ok := l.lookup(name); ok {
				return e, true, nil
			}
		}
		return entry{}, false, err
	}
	return e, found, nil
}

// knownLocked answers for name without a request, if the cache can: from
// a fresh listing, the decided pages of the listing being fetched, or a
// fresh window or probe. known is false when only a request can tell.
func (c *dirCache) knownLocked(name string) (e entry, found, known bool) {
	if ch, ok := c.changes[name]; ok {
		return ch.e, !ch.removed, true
	}
	if c.listing != nil && c.fsys.fresh(c.listedAt) {
		e, found = c.listing.lookup(name)
		return e, found, true
	}
	if c.inflight != nil {
		if e, found, known = c.inflight.lookup(name); known {
			return e, found, true
		}
	}
	if e, found, known = c.windowAnswerLocked(name); known {
		return e, found, true
	}
	if p, ok := c.probes[name]; ok && c.fsys.fresh(p.at) {
		return p.e, p.found, true
	}
	return entry{}, false, false
}

// markerTime is the LastModified of the directory's own "dir/" marker,
// from its last listing, or zero.
func (c *dirCache) markerTime() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listing == nil {
		return time.Time{}
	}
	return c.listing.markerT
}

// source returns what a directory handle reads: the fresh listing if
// there is one (no request), else the listing being fetched (one LIST per
// 1,000 entries), starting the fetch if no one has; concurrent readers
// share one fetch.
func (c *dirCache) source(ctx context.Context) *dirSource {
	c.mu.Lock()
	defer c.mu.Unlock()
	changes := c.changesLocked()
	if c.listing != nil && c.fsys.fresh(c.listedAt) {
		return &dirSource{c: c, static: merged(c.listing, changes)}
	}
	call := c.inflight
	if call == nil {
		call = newListCall(c.prefix)
		call.seq = c.seq
		c.inflight = call
		// The fetch is shared, so one caller's interrupt must not fail it
		// for the others; the store bounds its time.
		go c.fetch(context.WithoutCancel(ctx), call)
	}
	return &dirSource{c: c, call: call, changes: changes, seen: map[string]bool{}}
}

// fetch lists the directory page by page into call, then keeps the whole
// listing for the TTL.
func (c *dirCache) fetch(ctx context.Context, call *listCall) {
	err := c.fsys.store.ListPages(ctx, c.prefix, func(page s3backend.Listing) error {
		c.fsys.logHidden(call.addPage(page))
		return nil
	})
	c.mu.Lock()
	if err == nil {
		c.installLocked(call.listing(), call.seq)
	}
	c.inflight = nil
	c.mu.Unlock()
	call.finish(err)
}

// installLocked makes l the directory's listing, fetched now by a listing
// that started after change seq. It answers for every name, so the windows
// and probes go, and so do the changes it shows.
func (c *dirCache) installLocked(l *dirListing, seq uint64) {
	c.listing = l
	c.listedAt = c.fsys.opt.Clock()
	c.windows, c.probes = nil, nil
	c.staleLog = false
	c.dropSeenLocked(seq)
}

// stale returns the directory's last listing, even past its TTL, when err
// is an outage (see isOutage), or nil. During an outage a name it holds is
// still shown, so a photo whose pages the kernel still caches opens
// offline; a name it lacks gets the outage's EIO, never ENOENT. The first
// use per outage is logged.
func (c *dirCache) stale(err error) *dirListing {
	if !isOutage(err) {
		return nil
	}
	c.mu.Lock()
	l, logged, at := c.listing, c.staleLog, c.listedAt
	if l != nil {
		c.staleLog = true
	}
	c.mu.Unlock()
	if l != nil && !logged {
		c.fsys.log.Warn("showing an expired listing: the store does not answer", "prefix", c.prefix, "listed", at, "err", err)
	}
	return l
}

// dirSource is the listing one directory handle reads: a whole listing
// (fresh, or expired during an outage) or the listing being fetched. Not
// safe for concurrent use: go-fuse serialises the calls on one handle.
type dirSource struct {
	c      *dirCache
	static *dirListing // a whole listing (with the changes applied), or nil
	call   *listCall   // the listing being fetched, when static is nil

	// With changes to apply to the listing being fetched, its entries go
	// through them into out, which entry and ready answer from.
	changes map[string]change // nil: none
	out     []entry           // entries handed out so far, changes applied
	next    int               // index in call of the next entry to pull
	seen    map[string]bool   // names the listing gave
	done    bool              // the listing ended, and the added names followed
}

// entry returns the i-th entry, waiting for it while the listing is being
// fetched; ok is false past the end. err is the listing's failure (or
// ctx's), after the entries it decided. A listing that fails in an outage
// before its first entry is replaced by the directory's expired listing,
// if there is one (dirCache.stale).
func (s *dirSource) entry(ctx context.Context, i int) (e entry, ok bool, err error) {
	if s.static != nil {
		if i >= s.static.len() {
			return entry{}, false, nil
		}
		return s.static.at(i), true, nil
	}
	if s.changes != nil {
		for len(s.out) <= i && !s.done {
			if err = s.pull(ctx, true); err != nil {
				break
			}
		}
		if i < len(s.out) {
			return s.out[i], true, nil
		}
	} else {
		e, ok, err = s.call.entry(ctx, i)
	}
	if err != nil && i == 0 {
		if l := s.c.stale(err); l != nil {
			s.static, s.call = merged(l, s.changes), nil
			return s.entry(ctx, i)
		}
	}
	return e, ok, err
}

// ready is how many entries entry hands out now without waiting.
func (s *dirSource) ready() int {
	if s.static != nil {
		return s.static.len()
	}
	if s.changes != nil {
		_ = s.pull(context.Background(), false) // decided entries only: no wait, so no failure but the listing's, which entry reports
		return len(s.out)
	}
	return s.call.ready()
}
