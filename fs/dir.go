package fs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/s3backend"
)

// dirNode is a directory: a key prefix. Its listing is fetched on first
// use and kept for the TTL; Lookup and READDIRPLUS are answered from it.
type dirNode struct {
	gofs.Inode

	// Constant.
	fsys   *fileSystem
	prefix string // "" for the bucket root, else ends in "/"

	mu       sync.Mutex       // guards the fields below
	listing  *dirListing      // nil until listed; kept past the TTL for outages
	listedAt time.Time        // when listing was fetched
	staleLog bool             // an outage was logged since the last listing
	inflight *listCall        // the listing being fetched, if any
	probes   map[string]probe // names looked up while no fresh listing existed
}

// probe is the remembered answer for one name looked up without a listing.
type probe struct {
	e     entry
	found bool
	at    time.Time
}

var _ = (gofs.NodeLookuper)((*dirNode)(nil))
var _ = (gofs.NodeOpendirHandler)((*dirNode)(nil))
var _ = (gofs.NodeGetattrer)((*dirNode)(nil))
var _ = (gofs.NodeStatfser)((*dirNode)(nil))
var _ = (gofs.NodeOnForgetter)((*dirNode)(nil))

// Getattr reports the directory: DirMode, owned by UID/GID, with the time
// of its "dir/" marker if it has one, else the mount time. No request.
func (n *dirNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fsys.fillAttr(&out.Attr, syscall.S_IFDIR|n.fsys.opt.DirMode, 0, n.mtime())
	return 0
}

func (n *dirNode) mtime() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.listing != nil && !n.listing.markerT.IsZero() {
		return n.listing.markerT
	}
	return n.fsys.mounted
}

// Statfs reports a bucket as a huge, empty-looking file system.
func (n *dirNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	statfs(out)
	return 0
}

// OpendirHandle opens the directory for readdir(3): see dirHandle. It
// sends nothing; the first READDIR does.
func (n *dirNode) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return &dirHandle{n: n}, 0, 0
}

// dirEntry is e as readdir(3) shows it.
func (n *dirNode) dirEntry(e entry) fuse.DirEntry {
	if e.kind == kindDir {
		return fuse.DirEntry{Name: e.name, Mode: syscall.S_IFDIR, Ino: n.fsys.inos.number(dirID(e.obj.Key))}
	}
	return fuse.DirEntry{Name: e.name, Mode: syscall.S_IFREG, Ino: n.fsys.inos.number(fileID(e.obj.Key, e.obj.ETag))}
}

// Lookup finds one name: from a fresh listing if there is one (no
// request), or from the pages so far of one being fetched once they
// decide the name (no request either), else from a remembered probe, else
// with one probe (HEAD name and LIST name/ with max-keys 1, together) whose
// answer, hit or miss, is kept for the TTL.
func (n *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if hiddenReason(name) != "" {
		return nil, syscall.ENOENT
	}
	n.mu.Lock()
	if n.listing != nil && n.fsys.fresh(n.listedAt) {
		e, ok := n.listing.entries[name]
		n.mu.Unlock()
		if !ok {
			return nil, syscall.ENOENT
		}
		return n.child(ctx, e, out), 0
	}
	if c := n.inflight; c != nil {
		// Being listed: a name the pages so far decide needs no request.
		if e, found, known := c.lookup(name); known {
			n.mu.Unlock()
			if !found {
				return nil, syscall.ENOENT
			}
			return n.child(ctx, e, out), 0
		}
	}
	p, ok := n.probes[name]
	n.mu.Unlock()
	if !ok || !n.fsys.fresh(p.at) {
		old := p
		var err error
		p, err = n.probe(ctx, name)
		if err != nil {
			if e, ok := n.staleEntry(err, name, old); ok {
				return n.child(ctx, e, out), 0
			}
			return nil, n.fsys.errno(ctx, "lookup", n.prefix+name, err)
		}
		n.rememberProbe(name, p)
	}
	if !p.found {
		return nil, syscall.ENOENT
	}
	return n.child(ctx, p.e, out), 0
}

// maxProbes bounds the remembered probes of one directory; past it, the
// expired ones are dropped (a listing drops them all).
const maxProbes = 4096

// rememberProbe keeps the answer for name until the TTL ends.
func (n *dirNode) rememberProbe(name string, p probe) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.probes == nil {
		n.probes = make(map[string]probe)
	}
	if len(n.probes) >= maxProbes {
		for k, old := range n.probes {
			if !n.fsys.fresh(old.at) {
				delete(n.probes, k)
			}
		}
	}
	n.probes[name] = p
}

// probe asks the store about one name, the directory winning over a file.
func (n *dirNode) probe(ctx context.Context, name string) (probe, error) {
	key := n.prefix + name
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
			obj, err := n.fsys.store.Stat(ctx, key)
			statc <- statResult{obj, err}
		}()
	}
	isDir, dirErr := n.fsys.store.HasPrefix(ctx, key+"/")
	st := <-statc
	now := n.fsys.opt.Clock()
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

// child returns the inode for an entry, reusing the live one if the kernel
// knows it already, and fills out with its attributes. A new node holds
// its inode number until go-fuse forgets it (OnForget).
func (n *dirNode) child(ctx context.Context, e entry, out *fuse.EntryOut) *gofs.Inode {
	if e.kind == kindDir {
		id := dirID(e.obj.Key)
		ino := n.fsys.inos.number(id)
		nd := &dirNode{fsys: n.fsys, prefix: e.obj.Key}
		ch := n.NewInode(ctx, nd, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino, Gen: 1})
		d := ch.Operations().(*dirNode)
		if d == nd {
			n.fsys.inos.pin(id, ino)
		}
		n.fsys.fillAttr(&out.Attr, syscall.S_IFDIR|n.fsys.opt.DirMode, 0, d.mtime())
		return ch
	}
	id := fileID(e.obj.Key, e.obj.ETag)
	ino := n.fsys.inos.number(id)
	nf := &fileNode{fsys: n.fsys, obj: e.obj}
	ch := n.NewInode(ctx, nf, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: ino, Gen: 1})
	f := ch.Operations().(*fileNode)
	if f == nf {
		n.fsys.inos.pin(id, ino)
	}
	f.fillAttr(&out.Attr)
	return ch
}

// OnForget lets the directory's inode number go once the kernel has
// forgotten it (see inoTable).
func (n *dirNode) OnForget() { n.fsys.inos.unpin(dirID(n.prefix), n.StableAttr().Ino) }

// staleFor returns the directory's last listing, even past its TTL, when
// err is an outage (see isOutage), or nil. During an outage a name it
// holds is still shown, so a photo whose pages the kernel still caches
// opens offline; a name it lacks gets the outage's EIO, never ENOENT.
// The first use per outage is logged.
func (n *dirNode) staleFor(err error) *dirListing {
	if !isOutage(err) {
		return nil
	}
	n.mu.Lock()
	l, logged := n.listing, n.staleLog
	if l != nil {
		n.staleLog = true
	}
	at := n.listedAt
	n.mu.Unlock()
	if l != nil && !logged {
		n.fsys.log.Warn("showing an expired listing: the store does not answer", "prefix", n.prefix, "listed", at, "err", err)
	}
	return l
}

// staleEntry finds name, in an outage (err), in an expired probe that
// found it (old; probes are newer than the listing, which drops them) or
// else in the directory's expired listing.
func (n *dirNode) staleEntry(err error, name string, old probe) (entry, bool) {
	if isOutage(err) && old.found {
		return old.e, true
	}
	if l := n.staleFor(err); l != nil {
		e, ok := l.entries[name]
		return e, ok
	}
	return entry{}, false
}

// listingFor returns the fresh listing if there is one, else the listing
// being fetched (one LIST per 1,000 entries), starting the fetch if no one
// has; concurrent readers share one fetch.
func (n *dirNode) listingFor(ctx context.Context) (*dirListing, *listCall) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.listing != nil && n.fsys.fresh(n.listedAt) {
		return n.listing, nil
	}
	c := n.inflight
	if c == nil {
		c = newListCall(n.prefix)
		n.inflight = c
		// The fetch is shared, so one caller's interrupt must not fail it
		// for the others; the store bounds its time.
		go n.fetchListing(context.WithoutCancel(ctx), c)
	}
	return nil, c
}

// fetchListing lists the directory page by page into c, then keeps the
// whole listing for the TTL.
func (n *dirNode) fetchListing(ctx context.Context, c *listCall) {
	err := n.fsys.store.ListPages(ctx, n.prefix, func(page s3backend.Listing) error {
		c.addPage(page)
		return nil
	})
	var l *dirListing
	if err == nil {
		var hidden []hiddenKey
		l, hidden = buildListing(n.prefix, c.whole())
		n.fsys.logHidden(hidden)
	}
	n.mu.Lock()
	if err == nil {
		n.listing = l
		n.listedAt = n.fsys.opt.Clock()
		n.probes = nil
		n.staleLog = false
	}
	n.inflight = nil
	n.mu.Unlock()
	c.finish(err)
}
