package fs

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/b2mount/b2mount/s3backend"
)

// window is one page of a directory's listing that a lookup fetched
// (Store.ListPage, after a key just below the name looked up): it decides
// every name whose key and folder key both lie in the key range it
// covers, (lo, hi], or (lo, the folder's end) when the page was the last.
// A name outside that range may still be a directory it shows (a common
// prefix is a directory whatever else there is), but nothing else.
type window struct {
	lo  string            // the page's StartAfter; "" from the folder's start (its own marker included)
	hi  string            // the greatest key or common prefix on the page
	end bool              // the page reaches the folder's end
	l   *dirListing       // the page with the naming rules applied
	raw s3backend.Listing // the page, to join windows into a whole listing
	at  time.Time         // when it was asked for
	seq uint64            // the directory's last change when it was asked for
}

// maxWindows bounds the remembered windows of one directory (each up to
// a page, 1,000 entries); past it, the expired ones go, then the oldest.
const maxWindows = 64

// newWindow builds the window of page, listed after lo.
func newWindow(prefix, lo string, page s3backend.Listing, at time.Time, seq uint64) *window {
	w := &window{lo: lo, end: !page.Truncated, raw: page, at: at, seq: seq}
	w.l, _ = buildListing(prefix, page) // hidden keys are logged once, by a whole listing
	for _, p := range page.Prefixes {
		w.hi = max(w.hi, p)
	}
	for _, o := range page.Objects {
		w.hi = max(w.hi, o.Key)
	}
	return w
}

// covers reports whether the window decides the name whose key is key:
// both key and key+"/" (the folder of that name, which wins over the
// file) lie in its range. "a.txt" sorts between "a" and "a/", so a page
// that ends on "a.txt" does not decide "a".
func (w *window) covers(key string) bool {
	return w.lo < key && (w.end || key+"/" <= w.hi)
}

// answer tells what the window knows of name (key prefix+name): known is
// false when it cannot decide.
func (w *window) answer(key, name string) (e entry, found, known bool) {
	e, found = w.l.lookup(name)
	if w.covers(key) || (found && e.kind == kindDir) {
		return e, found, true
	}
	return entry{}, false, false
}

// startBelow is where a lookup's page starts for name: the key prefix+name
// without its last character (a key just below it, valid UTF-8 as S3 and
// B2 require; a name that is not valid UTF-8 is cut back until it is),
// or "" (the folder's start) when that leaves nothing of the name.
func startBelow(prefix, name string) string {
	_, size := utf8.DecodeLastRuneInString(name)
	stem := name[:len(name)-size]
	for stem != "" && !utf8.ValidString(stem) {
		stem = stem[:len(stem)-1]
	}
	if stem == "" {
		return ""
	}
	return prefix + stem
}

// windowAnswerLocked answers for name from the fresh windows; known is
// false when none decides it.
func (c *dirCache) windowAnswerLocked(name string) (e entry, found, known bool) {
	key := c.prefix + name
	for _, w := range c.windows {
		if !c.fsys.fresh(w.at) {
			continue
		}
		if e, found, known = w.answer(key, name); known {
			return e, found, true
		}
	}
	return entry{}, false, false
}

// expiredEntryLocked finds name in an expired window or probe that found
// it, for an outage (see staleEntry).
func (c *dirCache) expiredEntryLocked(name string) (entry, bool) {
	if p, ok := c.probes[name]; ok && p.found {
		return p.e, true
	}
	key := c.prefix + name
	for _, w := range c.windows {
		if e, found, known := w.answer(key, name); known && found {
			return e, true
		}
	}
	return entry{}, false
}

// addWindowLocked remembers w for the TTL, keeping at most maxWindows,
// and installs the windows as the directory's listing once together they
// cover the whole folder.
func (c *dirCache) addWindowLocked(w *window) {
	if c.listing != nil && c.fsys.fresh(c.listedAt) {
		return // a listing came meanwhile, and answers for every name
	}
	c.windows = slices.DeleteFunc(c.windows, func(o *window) bool { return !c.fsys.fresh(o.at) })
	if len(c.windows) >= maxWindows {
		c.windows = slices.Delete(c.windows, 0, len(c.windows)-maxWindows+1) // the oldest go
	}
	c.windows = append(c.windows, w)
	if l, at, seq, ok := c.wholeLocked(); ok {
		c.installLocked(l, seq)
		c.listedAt = at
	}
}

// wholeLocked joins the windows into the folder's whole listing when they
// cover it: one starts at the folder's start, each next one starts at or
// before where the ones before end, and the last reaches the folder's
// end. at and seq are those of the oldest window used.
func (c *dirCache) wholeLocked() (l *dirListing, at time.Time, seq uint64, ok bool) {
	ws := slices.Clone(c.windows)
	slices.SortFunc(ws, func(a, b *window) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	if len(ws) == 0 || ws[0].lo != "" {
		return nil, time.Time{}, 0, false
	}
	var used []*window
	reach, end := "", false
	for _, w := range ws {
		if end || (len(used) > 0 && w.lo > reach) {
			break
		}
		used = append(used, w)
		reach, end = max(reach, w.hi), end || w.end
	}
	if !end {
		return nil, time.Time{}, 0, false
	}
	var raw s3backend.Listing
	seenP, seenK := map[string]bool{}, map[string]bool{}
	at, seq = used[0].at, used[0].seq
	for _, w := range used {
		for _, p := range w.raw.Prefixes {
			if !seenP[p] {
				seenP[p] = true
				raw.Prefixes = append(raw.Prefixes, p)
			}
		}
		for _, o := range w.raw.Objects {
			if !seenK[o.Key] {
				seenK[o.Key] = true
				raw.Objects = append(raw.Objects, o)
			}
		}
		if w.at.Before(at) {
			at = w.at
		}
		seq = min(seq, w.seq)
	}
	slices.Sort(raw.Prefixes)
	slices.SortFunc(raw.Objects, func(a, b s3backend.Object) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	l, hidden := buildListing(c.prefix, raw)
	c.fsys.logHidden(hidden)
	return l, at, seq, true
}

// asking is a window being fetched: lookups of names above lo, which it
// may decide, wait for it rather than send a page of their own (a program
// opening a folder's files at once, cold, costs one LIST, not one each).
type asking struct {
	lo      string
	done    chan struct{} // closed once the window is in c.windows, or failed
	err     error         // set before done is closed: the store's failure, shared with the waiters
	waiters int           // lookups waiting for it; guarded by the dirCache's mu
}

// startAsking notes a window being fetched from lo.
func (c *dirCache) startAsking(lo string) *asking {
	a := &asking{lo: lo, done: make(chan struct{})}
	c.mu.Lock()
	c.asking = append(c.asking, a)
	c.mu.Unlock()
	return a
}

// doneAsking remembers w (nil when the fetch failed) and wakes the lookups
// that waited for it, with err, the store's failure, if any: in an outage
// they fail with it at once, rather than wait out a request of their own
// (nil: they ask for themselves).
func (c *dirCache) doneAsking(a *asking, w *window, err error) {
	a.err = err
	c.mu.Lock()
	c.asking = slices.DeleteFunc(c.asking, func(x *asking) bool { return x == a })
	if w != nil {
		c.addWindowLocked(w)
	}
	c.mu.Unlock()
	close(a.done)
}

// await waits for the windows being fetched that start below name, then
// answers from what the cache knows: known is false when they did not
// decide it, and the lookup asks for its own; err is the failure of one
// that failed (an outage's, which the lookup shares rather than wait again),
// or ctx's. Only the windows being fetched when it is called are waited
// for, so a lookup waits at most about one request's time before it sends
// its own.
func (c *dirCache) await(ctx context.Context, name string) (e entry, found, known bool, err error) {
	key := c.prefix + name
	c.mu.Lock()
	var waits []*asking
	for _, a := range c.asking {
		if a.lo < key {
			a.waiters++
			waits = append(waits, a)
		}
	}
	c.mu.Unlock()
	if len(waits) == 0 {
		return entry{}, false, false, nil
	}
	for _, a := range waits {
		select {
		case <-a.done:
		case <-ctx.Done():
			return entry{}, false, false, context.Cause(ctx)
		}
		if err := a.err; err != nil {
			return entry{}, false, false, err
		}
		c.mu.Lock()
		e, found, known = c.knownLocked(name)
		c.mu.Unlock()
		if known {
			return e, found, true, nil
		}
	}
	return entry{}, false, false, nil
}
