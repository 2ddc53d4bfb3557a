package fs

import (
	"bytes"
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/b2mount/b2mount/s3backend"
)

var _ = (gofs.NodeUnlinker)((*dirNode)(nil))
var _ = (gofs.NodeRmdirer)((*dirNode)(nil))

// Unlink deletes the file's object (a read-write mount; EROFS otherwise):
// one DELETE, which on B2 hides the file and keeps its older versions (B2
// bills them until a lifecycle rule or --hard-delete removes them; with
// WriteOptions.HardDelete every version is deleted). A file created here
// and not uploaded yet needs no request. Handles still open on it upload
// nothing more. When the file is the folder's last entry, the folder is
// kept (see keepFolder).
func (n *dirNode) Unlink(ctx context.Context, name string) syscall.Errno {
	w := n.fsys.w
	if w == nil {
		return syscall.EROFS
	}
	c := n.dc()
	key := c.prefix + name
	e, found, err := c.lookup(ctx, name)
	switch {
	case err != nil:
		return n.fsys.errno(ctx, "unlink", key, err)
	case !found:
		return syscall.ENOENT
	case e.kind == kindDir:
		return syscall.EISDIR
	}
	node := n.liveFile(name)
	if node != nil {
		if err := node.lock(ctx); err != nil {
			return n.fsys.errno(ctx, "unlink", key, err)
		}
		defer node.unlock()
		if _, pending := node.snapshot(); pending {
			node.markGone()
			c.noteRemoved(name)
			return 0
		}
	}
	if err := n.keepFolder(ctx, name, func() error { return n.fsys.w.deleteKey(ctx, key) }); err != nil {
		return n.fsys.errno(ctx, "unlink", key, err)
	}
	if node != nil {
		node.markGone()
	}
	c.noteRemoved(name)
	_ = w.mtimes.forget(key)
	return 0
}

// deleteKey deletes key: hides it, or deletes every version with
// HardDelete.
func (w *writes) deleteKey(ctx context.Context, key string) error {
	if w.hardDelete {
		return w.store.DeleteAllVersions(ctx, key)
	}
	return w.store.Delete(ctx, key, "")
}

// Rmdir removes an empty folder (a read-write mount; EROFS otherwise): it
// lists it (unless a fresh listing is at hand) and answers ENOTEMPTY if it
// holds anything, a key that cannot be shown included; else it deletes its
// ".bzEmpty" placeholder and "dir/" marker. The parent is kept if the
// folder was its last entry (see keepFolder).
func (n *dirNode) Rmdir(ctx context.Context, name string) syscall.Errno {
	w := n.fsys.w
	if w == nil {
		return syscall.EROFS
	}
	c := n.dc()
	prefix := c.prefix + name + "/"
	e, found, err := c.lookup(ctx, name)
	switch {
	case err != nil:
		return n.fsys.errno(ctx, "rmdir", prefix, err)
	case !found:
		return syscall.ENOENT
	case e.kind != kindDir:
		return syscall.ENOTDIR
	}
	l, err := n.childCache(name).complete(ctx)
	if err != nil {
		return n.fsys.errno(ctx, "rmdir", prefix, err)
	}
	if l.len() > 0 || l.hidden > 0 {
		return syscall.ENOTEMPTY
	}
	err = n.keepFolder(ctx, name, func() error {
		if err := w.deleteKey(ctx, prefix+bzEmpty); err != nil {
			return err
		}
		if l.marker {
			return w.deleteKey(ctx, prefix)
		}
		return nil
	})
	if err != nil {
		return n.fsys.errno(ctx, "rmdir", prefix, err)
	}
	c.noteRemoved(name)
	return 0
}

// keepFolder runs remove, which takes name away from the directory, and
// keeps the directory in the bucket if name was its last entry: B2 has
// folders only as key prefixes, so a folder whose last key goes would
// vanish, and users expect an emptied folder to stay until rmdir (as
// `rm dir/*` leaves it). It puts the directory's ".bzEmpty" placeholder, as
// B2's web UI does for an empty folder: before the removal when a fresh
// listing shows name alone, else after it, when one LIST (max-keys 1)
// finds nothing left. The mount's root needs none.
func (n *dirNode) keepFolder(ctx context.Context, name string, remove func() error) error {
	c := n.dc()
	if n.IsRoot() {
		return remove()
	}
	sole, known := c.soleEntry(name)
	if known && sole {
		if err := n.putPlaceholder(ctx); err != nil {
			return err
		}
	}
	if err := remove(); err != nil {
		return err
	}
	if known {
		return nil
	}
	has, err := n.fsys.store.HasPrefix(ctx, c.prefix)
	if err != nil || has {
		return err
	}
	return n.putPlaceholder(ctx)
}

// putPlaceholder puts the directory's ".bzEmpty".
func (n *dirNode) putPlaceholder(ctx context.Context) error {
	c := n.dc()
	_, err := n.fsys.w.store.Put(ctx, c.prefix+bzEmpty, bytes.NewReader(nil), 0, s3backend.Meta{})
	if err == nil {
		c.notePlaceholder()
	}
	return err
}

// liveFile and liveDir are the node the kernel knows under name, if it
// knows one of that kind.
func (n *dirNode) liveFile(name string) *fileNode {
	if ch := n.GetChild(name); ch != nil {
		f, _ := ch.Operations().(*fileNode)
		return f
	}
	return nil
}

func (n *dirNode) liveDir(name string) *dirNode {
	if ch := n.GetChild(name); ch != nil {
		d, _ := ch.Operations().(*dirNode)
		return d
	}
	return nil
}

// childCache is the cache of the subdirectory name: the live node's if
// the kernel knows it, else a new one.
func (n *dirNode) childCache(name string) *dirCache {
	if d := n.liveDir(name); d != nil {
		return d.dc()
	}
	return newDirCache(n.fsys, n.dc().prefix+name+"/")
}
