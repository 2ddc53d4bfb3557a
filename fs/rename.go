package fs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/b2mount/b2mount/s3backend"
)

var _ = (gofs.NodeRenamer)((*dirNode)(nil))

// renameParallel is how many objects a folder rename copies at once.
const renameParallel = 8

// renameNoReplace is Linux's RENAME_NOREPLACE flag of renameat2(2).
const renameNoReplace = 1

// Rename moves a file or a folder (a read-write mount; EROFS otherwise).
// B2 has no rename: a file is copied server-side (one COPY, pinned to the
// version the mount knows; a multipart copy above 5 GB) and its old name
// deleted (one DELETE that hides it, and one that deletes the copied
// version, so the bytes are not billed twice; older versions stay hidden).
// Renaming over a file replaces it. A file created here and not uploaded
// yet moves with no request. A folder moves key by key, up to
// WriteOptions.RenameDirLimit objects (EXDEV beyond, and mv then copies and
// deletes file by file); if it fails midway, every object is under one of
// the two names, and the log says how far it got. RENAME_EXCHANGE is
// EINVAL.
func (n *dirNode) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	w := n.fsys.w
	if w == nil {
		return syscall.EROFS
	}
	np, ok := newParent.(*dirNode)
	if !ok || flags&gofs.RENAME_EXCHANGE != 0 {
		return syscall.EINVAL
	}
	src, dst := n.dc(), np.dc()
	e, found, err := src.lookup(ctx, name)
	switch {
	case err != nil:
		return n.fsys.errno(ctx, "rename", src.prefix+name, err)
	case !found:
		return syscall.ENOENT
	}
	de, dfound, err := dst.lookup(ctx, newName)
	switch {
	case err != nil:
		return n.fsys.errno(ctx, "rename", dst.prefix+newName, err)
	case dfound && flags&renameNoReplace != 0:
		return syscall.EEXIST
	case src == dst && name == newName:
		return 0
	}
	if e.kind == kindDir {
		switch {
		case dfound && de.kind != kindDir:
			return syscall.ENOTDIR
		case newKeyErrno(dst.prefix+newName+"/"+bzEmpty, newName) != 0:
			return newKeyErrno(dst.prefix+newName+"/"+bzEmpty, newName)
		}
		return n.renameDir(ctx, name, np, newName, dfound)
	}
	switch {
	case dfound && de.kind == kindDir:
		return syscall.EISDIR
	case newKeyErrno(dst.prefix+newName, newName) != 0:
		return newKeyErrno(dst.prefix+newName, newName)
	}
	return n.renameFile(ctx, name, e, np, newName)
}

// renameFile moves the file name to newName in np.
func (n *dirNode) renameFile(ctx context.Context, name string, e entry, np *dirNode, newName string) syscall.Errno {
	w := n.fsys.w
	src, dst := n.dc(), np.dc()
	dstKey := dst.prefix + newName
	node, target := n.liveFile(name), np.liveFile(newName)
	if node != nil {
		if err := node.lock(ctx); err != nil {
			return n.fsys.errno(ctx, "rename", e.obj.Key, err)
		}
		defer node.unlock()
		var pending bool
		if e.obj, pending = node.snapshot(); pending {
			node.moved(s3backend.Object{Key: dstKey})
			target.markGone()
			src.noteRemoved(name)
			dst.noteAdded(entry{name: newName, kind: kindFile, obj: s3backend.Object{Key: dstKey}, id: node.identity()}, true)
			return 0
		}
	}
	obj := e.obj
	var moved s3backend.Object
	move := func() error {
		var err error
		moved, err = w.move(ctx, obj, dstKey)
		return err
	}
	var err error
	if src != dst {
		err = n.keepFolder(ctx, name, move)
	} else {
		err = move()
	}
	if moved.Key != "" { // copied, whether or not the old name went
		dst.noteAdded(entry{name: newName, kind: kindFile, obj: moved}, false)
		target.markGone()
	}
	if err != nil {
		return n.fsys.errno(ctx, "rename", obj.Key, err)
	}
	src.noteRemoved(name)
	if node != nil {
		node.moved(moved)
	}
	return 0
}

// move copies obj to dst and deletes it under its old key, carrying over a
// modification time set on it. The returned object is set once the copy
// is done, even if the delete then failed (both names hold it: the error
// says so).
func (w *writes) move(ctx context.Context, obj s3backend.Object, dst string) (s3backend.Object, error) {
	var meta *s3backend.Meta
	t, hasTime := w.mtimes.get(obj.Key, obj.ETag)
	if hasTime {
		meta = &s3backend.Meta{MTime: t}
	}
	moved, version, err := w.store.Copy(ctx, obj, dst, meta)
	if err != nil {
		return s3backend.Object{}, err
	}
	if hasTime {
		_ = w.mtimes.set(dst, moved.ETag, t)
	}
	if err := w.deleteMoved(ctx, obj.Key, version); err != nil {
		return moved, fmt.Errorf("copied to %q, but the old name stays: %w", dst, err)
	}
	_ = w.mtimes.forget(obj.Key)
	return moved, nil
}

// deleteMoved deletes key after its version was copied elsewhere: it hides
// the key, then deletes the copied version, so the bytes are not billed
// twice while older versions stay (hidden) as they were. Deleting the
// copied version alone would bring an older one back under the name.
func (w *writes) deleteMoved(ctx context.Context, key, version string) error {
	if w.hardDelete || version == "" {
		return w.deleteKey(ctx, key)
	}
	if err := w.store.Delete(ctx, key, ""); err != nil {
		return err
	}
	return w.store.Delete(ctx, key, version)
}

// moved makes obj (at a new key) the file's version; a file not in the
// bucket yet only changes key.
func (n *fileNode) moved(obj s3backend.Object) {
	n.mu.Lock()
	if n.pending {
		n.obj.key = obj.Key
		n.mu.Unlock()
		return
	}
	n.setObjectLocked(obj) // the node keeps its inode number: see dirNode.known
	for h := range n.writersLocked().handles {
		h.s.BaseMoved(obj) // what they download of the old version is here now
	}
	n.mu.Unlock()
}

// renameDir moves the folder name to newName in np, object by object.
func (n *dirNode) renameDir(ctx context.Context, name string, np *dirNode, newName string, dstExists bool) syscall.Errno {
	w := n.fsys.w
	from, to := n.dc().prefix+name+"/", np.dc().prefix+newName+"/"
	if strings.HasPrefix(to, from) {
		return syscall.EINVAL
	}
	if dstExists {
		l, err := np.childCache(newName).complete(ctx)
		if err != nil {
			return n.fsys.errno(ctx, "rename", to, err)
		}
		if l.len() > 0 || l.hidden > 0 {
			return syscall.ENOTEMPTY
		}
	}
	limit := n.fsys.opt.Writes.RenameDirLimit
	objs, err := n.fsys.walk(ctx, from, limit+1)
	if err != nil {
		return n.fsys.errno(ctx, "rename", from, err)
	}
	if len(objs) > limit {
		n.fsys.log.Info("folder too large to rename here; mv copies it file by file", "prefix", from, "limit", limit)
		return syscall.EXDEV
	}
	moved := map[string]s3backend.Object{}
	err = n.keepFolder(ctx, name, func() error { return w.moveAll(ctx, objs, from, to, moved) })
	if err != nil {
		n.fsys.log.Warn("folder rename stopped; every object is under one of the two names",
			"from", from, "to", to, "moved", len(moved), "objects", len(objs), "err", err)
		n.dc().forget()
		np.dc().forget()
		return n.fsys.errno(ctx, "rename", from, err)
	}
	if d := n.liveDir(name); d != nil {
		d.rekey(to, moved)
	}
	n.dc().noteRemoved(name)
	np.dc().noteAdded(entry{name: newName, kind: kindDir, obj: s3backend.Object{Key: to}}, false)
	return 0
}

// moveAll moves every object from the prefix from to the prefix to, a few
// at a time, recording each one moved; it stops at the first failure.
func (w *writes) moveAll(ctx context.Context, objs []s3backend.Object, from, to string, moved map[string]s3backend.Object) error {
	var mu sync.Mutex // guards moved and first
	var first error
	var wg sync.WaitGroup
	slots := make(chan struct{}, renameParallel)
	for _, o := range objs {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			m, err := w.move(ctx, o, to+strings.TrimPrefix(o.Key, from))
			mu.Lock()
			defer mu.Unlock()
			if m.Key != "" {
				moved[o.Key] = m
			}
			if err != nil && first == nil {
				first = err
			}
		})
	}
	wg.Wait()
	return first
}

// walk lists every object under prefix, however deep (one listing per
// folder), stopping once it has more than max.
func (f *fileSystem) walk(ctx context.Context, prefix string, max int) ([]s3backend.Object, error) {
	var objs []s3backend.Object
	queue := []string{prefix}
	for len(queue) > 0 && len(objs) < max {
		p := queue[0]
		queue = queue[1:]
		err := f.store.ListPages(ctx, p, func(page s3backend.Listing) error {
			objs = append(objs, page.Objects...)
			queue = append(queue, page.Prefixes...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// rekey gives a renamed directory, and what the kernel knows below it, the
// keys under its new prefix: fresh caches, and each file the version moved
// for it.
func (n *dirNode) rekey(prefix string, moved map[string]s3backend.Object) {
	n.cache.Store(newDirCache(n.fsys, prefix)) // the node keeps its inode number: see dirNode.known
	for name, ch := range n.Children() {
		switch x := ch.Operations().(type) {
		case *dirNode:
			x.rekey(prefix+name+"/", moved)
		case *fileNode:
			obj, _ := x.snapshot()
			if m, ok := moved[obj.Key]; ok {
				x.moved(m)
			} else {
				x.moved(s3backend.Object{Key: prefix + name}) // not in the bucket yet
			}
		}
	}
}
