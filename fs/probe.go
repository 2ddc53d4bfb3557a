package fs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// probe is the remembered answer for one name looked up without a listing.
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

// probe asks the store about one name, the directory winning over a file:
// a HEAD of the key and a LIST of key+"/" with max-keys 1, sent together.
func (c *dirCache) probe(ctx context.Context, name string) (probe, error) {
	key := c.prefix + name
	type statResult struct {
		obj s3backend.Object
		err error
	}
	statc := make(chan statResult, 1)
	if name == bzEmpty {
		// B2's folder placeholder is never a file, but a directory of
		// that name is (as a listing shows it): only ask for that.
		statc <- statResult{err: fmt.Errorf("%q is a placeholder: %w", key, s3backend.ErrNotExist)}
	} else {
		go func() {
			obj, err := c.fsys.store.Stat(ctx, key)
			statc <- statResult{obj, err}
		}()
	}
	isDir, dirErr := c.fsys.store.HasPrefix(ctx, key+"/")
	st := <-statc
	now := c.fsys.opt.Clock()
	switch {
	case dirErr != nil:
		return probe{}, dirErr
	case isDir:
		return probe{e: entry{name: name, kind: kindDir, obj: s3backend.Object{Key: key + "/"}}, found: true, at: now}, nil
	case st.err == nil:
		return probe{e: entry{name: name, kind: kindFile, obj: st.obj}, found: true, at: now}, nil
	case errors.Is(st.err, s3backend.ErrNotExist):
		return probe{at: now}, nil
	default:
		return probe{}, st.err
	}
}
