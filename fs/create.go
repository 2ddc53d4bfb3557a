package fs

import (
	"bytes"
	"context"
	"syscall"
	"unicode/utf8"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/s3backend"
)

// maxKeyLen is the longest key B2 takes, in bytes of UTF-8.
const maxKeyLen = 1024

// newKeyErrno says whether key, whose last component is name, may be
// created: B2 takes keys of valid UTF-8 up to 1,024 bytes with no
// character below 32 and no DEL (and no "//" or trailing "/", which one
// component cannot hold); a component longer than 255 bytes is not a
// Linux name. ".bzEmpty" is B2's folder placeholder and never a file
// here. Checked before any request: EINVAL, or ENAMETOOLONG for length.
func newKeyErrno(key, name string) syscall.Errno {
	switch {
	case len(name) > maxNameLen || len(key) > maxKeyLen:
		return syscall.ENAMETOOLONG
	case !utf8.ValidString(name) || name == bzEmpty || hiddenReason(name) != "":
		return syscall.EINVAL
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] == 0x7f {
			return syscall.EINVAL
		}
	}
	return 0
}

var _ = (gofs.NodeCreater)((*dirNode)(nil))
var _ = (gofs.NodeMkdirer)((*dirNode)(nil))

// Create makes a new file and opens it for writing; it sends nothing. The
// name shows in the directory at once; the object appears in the bucket
// at the first close (or fsync) of a handle, which uploads what was
// written (an empty file: one empty PUT). A file whose first upload never
// happens or fails disappears with its last handle. EROFS on a read-only
// mount; EINVAL or ENAMETOOLONG for a name B2 does not take.
func (n *dirNode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	w := n.fsys.w
	if w == nil {
		return nil, nil, 0, syscall.EROFS
	}
	c := n.dc()
	key := c.prefix + name
	if e := newKeyErrno(key, name); e != 0 {
		return nil, nil, 0, e
	}
	id := newFileID(key, w.newIDs.Add(1))
	obj := s3backend.Object{Key: key, ModTime: n.fsys.opt.Clock()}
	node := newFileNode(n.fsys, obj, id, true)
	ch := n.NewInode(ctx, node, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: n.fsys.inos.take(id), Gen: 1})
	c.noteAdded(entry{name: name, kind: kindFile, obj: obj, id: id}, true)
	h := node.openWriter(nil, flags, callerPID(ctx))
	node.fillAttr(&out.Attr)
	return ch, h, 0, 0
}

// Mkdir makes a folder the way B2's web UI does: an empty "name/.bzEmpty"
// placeholder (B2 refuses keys ending in "/"), hidden in listings. One
// PUT; the folder shows at once, is known to be empty (no request to list
// it), and stays after a remount.
func (n *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	w := n.fsys.w
	if w == nil {
		return nil, syscall.EROFS
	}
	c := n.dc()
	prefix := c.prefix + name + "/"
	if e := newKeyErrno(prefix+bzEmpty, name); e != 0 {
		return nil, e
	}
	if _, err := w.store.Put(ctx, prefix+bzEmpty, bytes.NewReader(nil), 0, s3backend.Meta{}); err != nil {
		return nil, n.fsys.errno(ctx, "mkdir", prefix, err)
	}
	e := entry{name: name, kind: kindDir, obj: s3backend.Object{Key: prefix}}
	c.noteAdded(e, false)
	ch := n.child(ctx, e, out)
	if d, ok := ch.Operations().(*dirNode); ok {
		d.dc().noteEmpty()
	}
	return ch, 0
}
