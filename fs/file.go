package fs

import (
	"context"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/s3backend"
)

// fileNode is one file: the version of its object the mount knows, and,
// on a read-write mount, what the mount is doing to it. Readers are pinned
// to the version they opened (its ETag), whatever happens to the node
// afterwards. A version replaced by another client is a new fileNode with
// a new inode number once the directory is listed again; a version this
// mount writes keeps the node and its number (the kernel's pages were
// written through it).
type fileNode struct {
	gofs.Inode
	fsys *fileSystem // constant

	mu      sync.Mutex   // guards the fields below; never held across a request
	wr      *fileWriters // nil until the node is written, locked or made by this mount: most nodes are only listed
	obj     nodeObject   // the version in the bucket; key follows renames; only key is set while pending
	pending bool         // created here, not in the bucket yet
	gone    bool         // unlinked, or overwritten by a rename: open handles commit nothing
}

// fileWriters is what a fileNode knows of what this mount does to it:
// its handles open for writing, and what serialises its changes. Guarded
// by the node's mu, but for busy.
type fileWriters struct {
	setMtime time.Time                 // set by utimes while open for writing: stored with the next commit
	writers  int                       // handles open for writing
	handles  map[*writeHandle]struct{} // the same handles, told when the object moves
	opens    uint64                    // write handles opened so far (writeHandle.seq)
	liveSize int64                     // the size of the content written last, while writers > 0
	// busy serialises what changes the file's object (a commit, a
	// truncation, a rename, an unlink), across their requests: acquired
	// with lock(ctx), so a waiting call can still be interrupted. Set once,
	// when wr is made.
	busy chan struct{}
	// id is the node's identity (see inoTable and dirNode.known) when it
	// is not fileID(key, ETag): a file created here and not in the bucket
	// yet (newFileID). Zero otherwise.
	id inoID
}

// writersLocked is n.wr, made if need be. n.mu must be held.
func (n *fileNode) writersLocked() *fileWriters {
	if n.wr == nil {
		n.wr = &fileWriters{busy: make(chan struct{}, 1)}
	}
	return n.wr
}

// newFileNode is the node of obj; id is its identity in the inoTable when
// that is not fileID(obj.Key, obj.ETag), else zero.
func newFileNode(fsys *fileSystem, obj s3backend.Object, id inoID, pending bool) *fileNode {
	n := &fileNode{fsys: fsys, obj: newNodeObject(obj), pending: pending}
	if id != (inoID{}) {
		n.writersLocked().id = id
	}
	return n
}

var _ = (gofs.NodeGetattrer)((*fileNode)(nil))
var _ = (gofs.NodeOpener)((*fileNode)(nil))
var _ = (gofs.NodeStatfser)((*fileNode)(nil))
var _ = (gofs.NodeOnForgetter)((*fileNode)(nil))

// lock takes the file's busy token, or fails with ctx.
func (n *fileNode) lock(ctx context.Context) error {
	select {
	case n.busyToken() <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *fileNode) unlock() { <-n.busyToken() }

// busyToken is the channel of lock and unlock.
func (n *fileNode) busyToken() chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.writersLocked().busy
}

// OnForget gives the file's inode number back to the inoTable once the
// kernel has forgotten it, under the identity the node has now.
func (n *fileNode) OnForget() {
	n.fsys.inos.release(n.identity(), n.StableAttr().Ino)
}

// identity is the node's identity in the inoTable.
func (n *fileNode) identity() inoID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.identityLocked()
}

func (n *fileNode) identityLocked() inoID {
	if w := n.wr; w != nil && w.id != (inoID{}) {
		return w.id
	}
	return fileID(n.obj.key, n.obj.etag())
}

// setObjectLocked makes obj, in the bucket now, the node's version.
func (n *fileNode) setObjectLocked(obj s3backend.Object) {
	n.obj, n.pending = newNodeObject(obj), false
	if n.wr != nil {
		n.wr.id = inoID{}
	}
}

// snapshot is the node's version in the bucket, and whether it has none
// yet.
func (n *fileNode) snapshot() (s3backend.Object, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.obj.object(), n.pending
}

// Getattr reports the file, with no request: FileMode, owned by UID/GID;
// the size of its object, or, while it is open for writing, of the content
// written last; as mtime (and ctime and atime): the time a program set
// (utimes) if this machine set one on this version, else the time B2
// stored with it (src_last_modified_millis, known from a HEAD), else
// LastModified from the listing.
func (n *fileNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fillAttr(&out.Attr)
	return 0
}

func (n *fileNode) fillAttr(out *fuse.Attr) {
	n.mu.Lock()
	obj, size := n.obj, n.obj.size
	var mtime time.Time
	if w := n.wr; w != nil {
		mtime = w.setMtime
		if w.writers > 0 {
			size = w.liveSize
		}
	}
	n.mu.Unlock()
	if mtime.IsZero() {
		mtime = n.fsys.nodeMtime(obj)
	}
	n.fsys.fillAttr(out, syscall.S_IFREG|n.fsys.opt.FileMode, size, mtime)
}

// Open sends no request. A read-only open reads the version the file has
// now, pinned to its ETag; the kernel may keep the file's pages across
// opens (FOPEN_KEEP_CACHE), since they are dropped whenever this mount
// writes a new version. An open for writing (a read-write mount; EROFS
// otherwise) gets a write handle with a writer of its own (see
// writeHandle). The kernel never passes O_TRUNC here: it truncates with a
// SETATTR of size 0 that names no handle, right after this open, from the
// same thread (see fileNode.openedBy).
func (n *fileNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	obj, pending := n.snapshot()
	if flags&syscall.O_ACCMODE == syscall.O_RDONLY && flags&syscall.O_TRUNC == 0 {
		if pending {
			obj.Size = 0 // nothing in the bucket yet
		}
		h := &fileHandle{fsys: n.fsys, key: obj.Key,
			r: newPrefetcher(n.fsys.store, obj, n.fsys.opt.Prefetch, n.fsys.shared)}
		return h, fuse.FOPEN_KEEP_CACHE, 0
	}
	if n.fsys.w == nil {
		return nil, 0, syscall.EROFS
	}
	var base *s3backend.Object
	if !pending {
		base = &obj
	}
	return n.openWriter(base, flags, callerPID(ctx)), 0, 0
}

// Statfs reports a bucket as a huge, empty-looking file system.
func (n *fileNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	statfs(out)
	return 0
}

// nodeMtime is mtimeOf(v.object()), without making the ETag string on a
// read-only mount, which Getattr of every listed name would.
func (f *fileSystem) nodeMtime(v nodeObject) time.Time {
	if f.w != nil || v.rare != nil {
		return f.mtimeOf(v.object())
	}
	return v.modTime()
}

// mtimeOf is the modification time shown for obj: see fileNode.Getattr.
func (f *fileSystem) mtimeOf(obj s3backend.Object) time.Time {
	if f.w != nil {
		if t, ok := f.w.mtimes.get(obj.Key, obj.ETag); ok {
			return t
		}
	}
	if !obj.MTime.IsZero() {
		return obj.MTime
	}
	return obj.ModTime
}
