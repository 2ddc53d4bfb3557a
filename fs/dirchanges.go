package fs

import (
	"context"
	"errors"
	"sort"
)

// errNoListing: the store did not answer for the whole directory.
var errNoListing = errors.New("no listing of the directory")

// change is one name of a directory that this mount changed: the entry the
// name has now, or its removal. A listing that started after the change
// shows it (S3 and B2 list what they were told, at once), so the change
// is dropped then; one that started before must not undo it, so the change
// is kept over it. A pending change is an entry the bucket does not hold
// yet (a file being written for the first time): no listing shows it, so
// it stays until it is committed (noteAdded again) or removed.
type change struct {
	e       entry
	removed bool
	pending bool
	seq     uint64 // dirCache.seq when it was made
}

// noteAdded records that name now holds e (created, written, renamed in,
// a folder made). pending says the bucket does not hold e yet.
func (c *dirCache) noteAdded(e entry, pending bool) {
	c.note(e.name, change{e: e, pending: pending})
}

// noteRemoved records that name is gone (unlinked, renamed away, a folder
// removed).
func (c *dirCache) noteRemoved(name string) {
	c.note(name, change{e: entry{name: name}, removed: true})
}

func (c *dirCache) note(name string, ch change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	ch.seq = c.seq
	if c.changes == nil {
		c.changes = make(map[string]change)
	}
	c.changes[name] = ch
	delete(c.probes, name)
}

// noteEmpty records that the directory was just made by this mount and
// holds nothing: it answers from that, with no request, for the TTL.
func (c *dirCache) noteEmpty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.installLocked(&dirListing{prefix: c.prefix}, c.seq)
}

// dropSeenLocked drops the changes a listing that started at seq shows.
func (c *dirCache) dropSeenLocked(seq uint64) {
	for name, ch := range c.changes {
		if ch.seq <= seq && !ch.pending {
			delete(c.changes, name)
		}
	}
}

// changesLocked is a copy of the changes, or nil when there are none.
func (c *dirCache) changesLocked() map[string]change {
	if len(c.changes) == 0 {
		return nil
	}
	m := make(map[string]change, len(c.changes))
	for k, v := range c.changes {
		m[k] = v
	}
	return m
}

// merged is l with the changes applied: removed names gone, changed ones
// replaced, added ones in.
func merged(l *dirListing, changes map[string]change) *dirListing {
	if len(changes) == 0 {
		return l
	}
	all := make([]entry, 0, l.len()+len(changes))
	for i := range l.len() {
		if _, changed := changes[l.names[i]]; !changed {
			all = append(all, l.at(i))
		}
	}
	for _, ch := range changes {
		if !ch.removed {
			all = append(all, ch.e)
		}
	}
	return listingOf(l, all)
}

// pullLocked moves into s.out what the listing being fetched has decided
// past s.next, each through the changes; once the listing has ended, the
// added names it lacked follow. wait says whether to wait for the next
// entry when none is decided. Only for a source with changes.
func (s *dirSource) pull(ctx context.Context, wait bool) error {
	for !s.done {
		if !wait && s.next >= s.call.ready() && !s.call.ended() {
			return nil
		}
		e, ok, err := s.call.entry(ctx, s.next)
		if err != nil {
			return err
		}
		if !ok {
			s.done = true
			var extra []string
			for name, ch := range s.changes {
				if !ch.removed && !s.seen[name] {
					extra = append(extra, name)
				}
			}
			sort.Strings(extra)
			for _, name := range extra {
				s.out = append(s.out, s.changes[name].e)
			}
			return nil
		}
		s.next++
		s.seen[e.name] = true
		if ch, ok := s.changes[e.name]; ok {
			if ch.removed {
				continue
			}
			e = ch.e
		}
		s.out = append(s.out, e)
		if wait {
			return nil
		}
	}
	return nil
}

// complete returns the directory's whole listing with the changes applied,
// listing it if the cache has no fresh one (one LIST per 1,000 entries),
// as of now: for rmdir and rename, which must know every name.
func (c *dirCache) complete(ctx context.Context) (*dirListing, error) {
	src := c.source(ctx)
	for i := 0; ; i++ {
		_, ok, err := src.entry(ctx, i)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listing == nil {
		return nil, errNoListing
	}
	return merged(c.listing, c.changesLocked()), nil
}

// soleEntry reports, from a fresh listing with the changes applied,
// whether name is the only thing in the directory (no other name, no
// marker, no placeholder, no hidden key); known is false without a fresh
// listing.
func (c *dirCache) soleEntry(name string) (sole, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listing == nil || !c.fsys.fresh(c.listedAt) {
		return false, false
	}
	l := merged(c.listing, c.changes)
	_, has := l.lookup(name)
	return has && l.len() == 1 && !l.marker && !l.bzEmpty && l.hidden == 0, true
}

// notePlaceholder records that the directory's ".bzEmpty" was just put, so
// that the fresh listing (if any) knows the folder is kept by it.
func (c *dirCache) notePlaceholder() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listing != nil && !c.listing.bzEmpty {
		l := *c.listing
		l.bzEmpty = true
		c.listing = &l
	}
}

// forget drops the listing, the windows and the probes (after a change that failed
// midway, what the mount knew may be wrong); the changes stay.
func (c *dirCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listing, c.windows, c.probes = nil, nil, nil
}
