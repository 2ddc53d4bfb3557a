package fs

import (
	"context"
	"errors"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// probe is the remembered answer for one name that the window its lookup
// fetched did not decide (see settle).
type probe struct {
	e     entry
	found bool
	at    time.Time
}

// maxProbes bounds the remembered probes of one directory; past it, the
// expired ones are dropped (a listing drops them all).
const maxProbes = 4096

// remember keeps the answer of a probe for name until the TTL ends.
func (c *dirCache) remember(name string, p probe) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probes == nil {
		c.probes = make(map[string]probe)
	}
	if len(c.probes) >= maxProbes {
		for k, old := range c.probes {
			if !c.fsys.fresh(old.at) {
				delete(c.probes, k)
			}
		}
	}
	c.probes[name] = p
}

// ask finds name with one request: a page of the listing that starts just
// below the name (a window, remembered for the TTL, which answers the
// next lookups in its range too). Only when the page stops between the
// file name and the folder name/ (a thousand "name.*" files between them)
// does it ask more (settle).
func (c *dirCache) ask(ctx context.Context, name string, seq uint64) (entry, bool, error) {
	at := c.fsys.opt.Clock()
	lo := startBelow(c.prefix, name)
	a := c.startAsking(lo)
	page, err := c.fsys.store.ListPage(ctx, c.prefix, lo, 0)
	if err != nil {
		shared := err
		if ctx.Err() != nil {
			shared = nil // interrupted: the lookups that waited ask for themselves
		}
		c.doneAsking(a, nil, shared)
		return entry{}, false, err
	}
	w := newWindow(c.prefix, lo, page, at, seq)
	c.doneAsking(a, w, nil)
	if e, found, known := w.answer(c.prefix+name, name); known {
		return e, found, nil
	}
	p, err := c.settle(ctx, name, w)
	if err != nil {
		return entry{}, false, err
	}
	c.remember(name, p)
	return p.e, p.found, nil
}

// settle decides name when its window did not: a LIST of name/ with
// max-keys 1 (a folder wins), and, if the window also stopped before the
// key name itself, a HEAD of it.
func (c *dirCache) settle(ctx context.Context, name string, w *window) (probe, error) {
	key := c.prefix + name
	now := c.fsys.opt.Clock()
	isDir, err := c.fsys.store.HasPrefix(ctx, key+"/")
	switch {
	case err != nil:
		return probe{}, err
	case isDir:
		return probe{e: entry{name: name, kind: kindDir, obj: s3backend.Object{Key: key + "/"}}, found: true, at: now}, nil
	case name == bzEmpty:
		return probe{at: now}, nil // B2's placeholder is never a file
	case key <= w.hi:
		e, found := w.l.lookup(name)
		return probe{e: e, found: found, at: now}, nil
	}
	obj, err := c.fsys.store.Stat(ctx, key)
	switch {
	case err == nil:
		return probe{e: entry{name: name, kind: kindFile, obj: obj}, found: true, at: now}, nil
	case errors.Is(err, s3backend.ErrNotExist):
		return probe{at: now}, nil
	default:
		return probe{}, err
	}
}
