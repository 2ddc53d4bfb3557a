package fs

import (
	"context"
	"errors"
	"io"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/s3backend"
)

// writeHandle is one open of a file for writing. It owns a writer
// (writeSession) of its own: what this handle writes is this handle's
// content, so two programs writing one file never mix their bytes in the
// object; each close uploads its writer's whole content, and the last one
// wins.
//
// close(2) (FLUSH) and fsync(2) upload what changed and return only once
// the object is complete in the bucket: 0 means it is there, EIO that it
// is not (nothing partial is ever left under the name). A close by a
// process that is dying of a signal (a killed cp) uploads nothing: the
// program never finished, so its half-written file must not replace the
// object.
type writeHandle struct {
	node   *fileNode
	s      *writeSession
	rdwr   bool   // opened O_RDWR: reads see the handle's own content
	opener uint32 // the thread that opened it (see fileNode.openedBy)
	seq    uint64 // its place among the node's opens, for openedBy
}

var _ = (gofs.FileWriter)((*writeHandle)(nil))
var _ = (gofs.FileReader)((*writeHandle)(nil))
var _ = (gofs.FileFlusher)((*writeHandle)(nil))
var _ = (gofs.FileFsyncer)((*writeHandle)(nil))
var _ = (gofs.FileReleaser)((*writeHandle)(nil))

// openWriter counts a new writer of n, opened by thread pid, and returns
// its handle; base is the version it starts from (nil: empty).
func (n *fileNode) openWriter(base *s3backend.Object, flags uint32, pid uint32) *writeHandle {
	n.mu.Lock()
	key := n.obj.key
	w := n.writersLocked()
	if w.writers == 0 {
		w.liveSize = 0
		if base != nil {
			w.liveSize = base.Size
		}
	}
	w.writers++
	w.opens++
	h := &writeHandle{node: n, s: newWriteSession(n.fsys.w.deps, key, base), rdwr: flags&syscall.O_ACCMODE == syscall.O_RDWR,
		opener: pid, seq: w.opens}
	if w.handles == nil {
		w.handles = make(map[*writeHandle]struct{})
	}
	w.handles[h] = struct{}{}
	n.mu.Unlock()
	return h
}

// openedBy is the newest handle open for writing that thread pid opened,
// or nil. open(O_TRUNC) of an existing file reaches b2mount as an OPEN
// without O_TRUNC and then a SETATTR of size 0 from the same thread that
// names no handle: the kernel leaves the handle out of the truncation of
// an open (fs/fuse/dir.c, fuse_do_setattr, ATTR_OPEN) unless the file
// system takes O_TRUNC in OPEN (ATOMIC_O_TRUNC), which go-fuse does not
// offer. That truncation belongs to the handle just opened: applied to
// the object instead, it replaced the object with an empty one while the
// handle kept the old version as its base, so `cp` over a file failed at
// close (the base had changed) and left it empty.
func (n *fileNode) openedBy(pid uint32) *writeHandle {
	if pid == 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var newest *writeHandle
	for h := range n.writersLocked().handles {
		if h.opener == pid && (newest == nil || h.seq > newest.seq) {
			newest = h
		}
	}
	return newest
}

// Write writes data at off into the handle's content.
func (h *writeHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if err := h.s.WriteAt(ctx, data, off); err != nil {
		return 0, h.errno(ctx, "write", err)
	}
	h.node.written(h.s.Size())
	return uint32(len(data)), 0
}

// Read reads the handle's own content (what it wrote, over the version it
// started from).
func (h *writeHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if !h.rdwr {
		return nil, syscall.EBADF
	}
	n, err := h.s.ReadAt(ctx, dest, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, h.errno(ctx, "read", err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// Flush is close(2): upload what changed, unless the caller is dying.
func (h *writeHandle) Flush(ctx context.Context) syscall.Errno {
	return h.sync(ctx, "close")
}

// Fsync uploads what changed, like close.
func (h *writeHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return h.sync(ctx, "fsync")
}

// sync commits the handle's content if it changed. The upload does not
// stop when the kernel interrupts the call (a program's signal handler
// ran), only when the caller turns out to be dying.
func (h *writeHandle) sync(ctx context.Context, op string) syscall.Errno {
	if !h.s.Dirty() {
		return 0
	}
	pid := callerPID(ctx)
	if callerKilled(pid) {
		h.s.Abort()
		h.node.fsys.log.Info("not uploading a file whose writer was killed", "key", h.node.key())
		return syscall.EIO
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if callerKilled(pid) {
			cancel()
		}
	})
	defer stop()
	if err := h.node.commit(cctx, h.s); err != nil {
		if e := h.errno(ctx, op, err); e != syscall.ENOENT {
			return e
		}
		// "No such key" from an upload is the upload's failure, not the
		// file's absence (the name shows): the multipart upload or the
		// base version vanished meanwhile, or a complete retried after
		// its lost answer was not recognised. close and fsync say EIO.
		return syscall.EIO
	}
	return 0
}

// Release drops the writer: nothing more can reach the bucket through it.
func (h *writeHandle) Release(ctx context.Context) syscall.Errno {
	h.s.Abort()
	h.node.writerClosed(h)
	return 0
}

// errno maps a writer's failure for the kernel (toErrno) and logs it.
func (h *writeHandle) errno(ctx context.Context, op string, err error) syscall.Errno {
	return h.node.fsys.errno(ctx, op, h.node.key(), err)
}

// key is the file's key now.
func (n *fileNode) key() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.obj.key
}

// written notes the size of the content a writer has now, which Getattr
// shows while the file is open for writing (the kernel places O_APPEND
// writes at the size it knows).
func (n *fileNode) written(size int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.writersLocked().liveSize = size
}

// writerClosed counts a writer out. A file created here whose content
// never reached the bucket disappears with its last writer.
func (n *fileNode) writerClosed(h *writeHandle) {
	n.mu.Lock()
	w := n.writersLocked()
	delete(w.handles, h)
	w.writers--
	last := w.writers == 0
	drop := last && n.pending && !n.gone
	if last {
		w.setMtime = time.Time{}
	}
	if drop {
		n.gone = true
	}
	n.mu.Unlock()
	if drop {
		if name, parent := n.Parent(); parent != nil {
			if d, ok := parent.Operations().(*dirNode); ok {
				d.dc().noteRemoved(name)
			}
			go parent.NotifyEntry(name) // the kernel forgets the name too
		}
	}
}

// commit uploads s under the file's key (with the time a program set, if
// any) and makes the result the file's version. A file unlinked or
// overwritten meanwhile commits nothing.
func (n *fileNode) commit(ctx context.Context, s *writeSession) error {
	if err := n.lock(ctx); err != nil {
		return err
	}
	defer n.unlock()
	n.mu.Lock()
	w := n.writersLocked()
	key, gone, meta, shared := n.obj.key, n.gone, s3backend.Meta{MTime: w.setMtime}, w.writers > 1
	n.mu.Unlock()
	if gone {
		s.Abort()
		return nil
	}
	obj, err := s.Commit(ctx, key, meta)
	if err != nil {
		return err
	}
	if !meta.MTime.IsZero() && obj.MTime.IsZero() {
		obj = n.fsys.w.restamp(ctx, obj, meta)
	}
	n.committed(obj, meta.MTime, shared)
	return nil
}

// restamp stores meta's time with obj, which a streamed upload could not
// carry (the multipart upload started before the program set the time, as
// cp -p does just before close): a server-side copy of the object onto
// itself with the time, then the delete of the version copied, so the
// bytes are not billed twice. On failure the object stays as it is (the
// time is still shown here, from the mount's table) and the failure is
// logged.
func (w *writes) restamp(ctx context.Context, obj s3backend.Object, meta s3backend.Meta) s3backend.Object {
	stamped, version, err := w.store.Copy(ctx, obj, obj.Key, &meta)
	if err != nil {
		w.deps.log.Warn("cannot store the modification time with the object", "key", obj.Key, "err", err)
		return obj
	}
	if version == "" {
		version = obj.VersionID
	}
	if version != "" && version != stamped.VersionID {
		if err := w.store.Delete(ctx, obj.Key, version); err != nil {
			w.deps.log.Warn("cannot delete the version a copy replaced", "key", obj.Key, "err", err)
		}
	}
	stamped.MTime = meta.MTime
	return stamped
}

// committed makes obj, just written by this mount, the file's version: the
// node keeps its inode number, the directory shows the new version at
// once, and a time a program set is remembered for it. The kernel's
// attributes are refreshed; its pages hold what was written through this
// node, unless several writers had it open (their writes went through one
// page cache while each uploads its own content): then they are dropped.
func (n *fileNode) committed(obj s3backend.Object, mtime time.Time, shared bool) {
	if obj.ModTime.IsZero() {
		obj.ModTime = n.fsys.opt.Clock().Truncate(time.Second)
	}
	n.mu.Lock()
	n.setObjectLocked(obj) // the node keeps its inode number: see dirNode.known
	n.mu.Unlock()
	if !mtime.IsZero() {
		if err := n.fsys.w.mtimes.set(obj.Key, obj.ETag, mtime); err != nil {
			n.fsys.log.Warn("cannot record a modification time", "key", obj.Key, "err", err)
		}
	}
	if name, parent := n.Parent(); parent != nil {
		if d, ok := parent.Operations().(*dirNode); ok {
			d.dc().noteAdded(entry{name: name, kind: kindFile, obj: obj, id: fileID(obj.Key, obj.ETag)}, false)
		}
	}
	if shared {
		go n.NotifyContent(0, 0)
	} else {
		go n.NotifyContent(-1, 0)
	}
}

// markGone stops open handles from committing (the name was unlinked or
// overwritten). n may be nil (no live node).
func (n *fileNode) markGone() {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gone = true
}
