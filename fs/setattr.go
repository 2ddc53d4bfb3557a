package fs

import (
	"context"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/s3backend"
)

var _ = (gofs.NodeSetattrer)((*fileNode)(nil))
var _ = (gofs.NodeSetattrer)((*dirNode)(nil))

// Setattr changes a file (a read-write mount; EROFS otherwise):
//   - size: through a handle open for writing (ftruncate), the handle's
//     content, uploaded at its close; so is a truncation to 0 without a
//     handle from a thread that has the file open for writing (open with
//     O_TRUNC arrives so: see fileNode.openedBy), on its newest handle;
//     otherwise (truncate(2) of a path), the object at once: one upload
//     before it returns.
//   - mtime: while the file is open for writing, stored with the next
//     upload as B2's src_last_modified_millis (cp -p, tar and touch set it
//     before close); after, remembered by this machine for this version of
//     the object and shown from then on (rsync sets it after close), with
//     no request, and written into B2 with the next copy of the file (a
//     rename).
//   - mode, owner, atime: accepted and not kept (they come from the mount's
//     flags), so cp -p, rsync -a and tar as root succeed.
func (n *fileNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if n.fsys.w == nil {
		return syscall.EROFS
	}
	if size, ok := in.GetSize(); ok {
		if e := n.truncate(ctx, f, int64(size)); e != 0 {
			return e
		}
	}
	if t, ok := n.fsys.setTime(in); ok {
		n.touch(t)
	}
	n.fillAttr(&out.Attr)
	return 0
}

// Setattr on a directory is accepted and changes nothing: a folder's time
// is its marker's, and its modes come from the mount's flags (tar and
// rsync set both).
func (n *dirNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if n.fsys.w == nil {
		return syscall.EROFS
	}
	n.fsys.fillAttr(&out.Attr, syscall.S_IFDIR|n.fsys.opt.DirMode, 0, n.mtime())
	return 0
}

// setTime is the mtime a SETATTR asks for, "now" from the mount's clock.
func (f *fileSystem) setTime(in *fuse.SetAttrIn) (time.Time, bool) {
	if in.Valid&fuse.FATTR_MTIME == 0 {
		return time.Time{}, false
	}
	if in.Valid&fuse.FATTR_MTIME_NOW != 0 {
		return f.opt.Clock(), true
	}
	return time.Unix(int64(in.Mtime), int64(in.Mtimensec)), true
}

// truncate sets the file's size: in the handle's content if f is a write
// handle, else in the object, at once.
func (n *fileNode) truncate(ctx context.Context, f gofs.FileHandle, size int64) syscall.Errno {
	h, ok := f.(*writeHandle)
	if !ok && f == nil && size == 0 {
		h = n.openedBy(callerPID(ctx))
		ok = h != nil
	}
	if ok {
		if err := h.s.Truncate(ctx, size); err != nil {
			return h.errno(ctx, "truncate", err)
		}
		n.written(h.s.Size())
		return 0
	}
	obj, pending := n.snapshot()
	if !pending && obj.Size == size {
		return 0
	}
	var base *s3backend.Object
	if !pending {
		base = &obj
	}
	s := newWriteSession(n.fsys.w.deps, obj.Key, base)
	defer s.Abort()
	err := s.Truncate(ctx, size)
	if err == nil {
		err = n.commit(ctx, s)
	}
	if err != nil {
		return n.fsys.errno(ctx, "truncate", obj.Key, err)
	}
	return 0
}

// touch sets the file's modification time (see Setattr).
func (n *fileNode) touch(t time.Time) {
	n.mu.Lock()
	obj, pending := n.obj.object(), n.pending
	if w := n.wr; w != nil && w.writers > 0 {
		w.setMtime = t
	}
	n.mu.Unlock()
	if pending {
		return
	}
	if err := n.fsys.w.mtimes.set(obj.Key, obj.ETag, t); err != nil {
		n.fsys.log.Warn("cannot record a modification time", "key", obj.Key, "err", err)
	}
}
