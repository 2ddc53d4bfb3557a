package fs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fileSystem is what every node of one mount shares.
type fileSystem struct {
	store   Store
	opt     Options
	log     *slog.Logger
	inos    *inoTable
	shared  *prefetchShared // the prefetch engine's memory budget, latency meter and counters
	mounted time.Time       // the times of directories without a marker
	w       *writes         // nil on a read-only mount

	hiddenMu sync.Mutex      // guards hidden
	hidden   map[string]bool // keys already logged as hidden
}

// NewRoot returns the root directory of a mount of the keys under prefix:
// "" for the whole bucket, else a prefix ending in "/" (the CLI normalises
// what the user typed). A read-write mount (opt.Writes.Enabled) needs a
// WriteStore, and takes a directory of its own under opt.Writes.StateDir
// (call RecoverWrites first).
func NewRoot(store Store, prefix string, opt Options) (gofs.InodeEmbedder, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("prefix %q does not end in /", prefix)
	}
	fsys := &fileSystem{
		store:   store,
		opt:     opt,
		log:     opt.Logger,
		inos:    newInoTable(),
		shared:  newPrefetchShared(opt.Prefetch.MemoryBudget, opt.Clock),
		mounted: opt.Clock(),
		hidden:  make(map[string]bool),
	}
	if opt.Writes.Enabled {
		ws, ok := store.(WriteStore)
		if !ok {
			return nil, fmt.Errorf("a read-write mount needs a store that writes")
		}
		w, err := openWrites(fsys, ws)
		if err != nil {
			return nil, err
		}
		fsys.w = w
	}
	return newDirNode(fsys, prefix), nil
}

// GoFuseOptions returns the go-fuse options for a mount with these
// options: kernel caches for MetadataTTL, a read-only mount ("ro") unless
// writes are enabled (never the kernel's writeback cache: it would merge
// and reorder writes, and a failed write would never reach close), 1 MiB
// reads and read-ahead (see RaiseReadAhead), and the mounting user as owner.
func GoFuseOptions(opt Options, fsName string, allowOther bool) *gofs.Options {
	ttl := opt.MetadataTTL
	mo := fuse.MountOptions{
		FsName:       fsName,
		Name:         "b2mount",
		Options:      []string{"ro"},
		MaxWrite:     1 << 20,
		MaxReadAhead: 1 << 20,
		AllowOther:   allowOther,
		// Replies come from memory: splicing them through a pipe only adds
		// copies (and fails, logging each time, for 1 MiB replies).
		DisableSplice: true,
	}
	if opt.Writes.Enabled {
		mo.Options = []string{"rw"}
	}
	if allowOther {
		// Let the kernel enforce the modes for other users.
		mo.Options = append(mo.Options, "default_permissions")
	}
	return &gofs.Options{
		MountOptions:    mo,
		EntryTimeout:    &ttl,
		AttrTimeout:     &ttl,
		NegativeTimeout: &ttl,
		UID:             opt.UID,
		GID:             opt.GID,
		// Mode 0 means mode 0: without this go-fuse shows 0644 and 0755
		// instead, opening to others what --file-mode 0 meant to close.
		NullPermissions: true,
		// go-fuse leaves the root's inode number 0 unless told, so stat
		// and "." showed 0; inoTable numbers the rest from 2.
		RootStableAttr: &gofs.StableAttr{Ino: 1},
	}
}

// errno maps err, the failure of the request ctx belongs to, for the
// kernel and logs it once, unless it is a plain "not found" or an
// interrupted call. EINTR is only for a request the kernel interrupted: a
// cancellation the request did not ask for is EIO, since programs retry
// EINTR forever.
func (f *fileSystem) errno(ctx context.Context, op, key string, err error) syscall.Errno {
	e := toErrno(err)
	if e == syscall.EINTR && ctx.Err() == nil {
		e = syscall.EIO
	}
	if e != syscall.ENOENT && e != syscall.EINTR {
		f.log.Warn(op+" failed", "key", key, "errno", e.Error(), "err", err)
	}
	return e
}

// logHidden logs each hidden key once per mount.
func (f *fileSystem) logHidden(keys []hiddenKey) {
	if len(keys) == 0 {
		return
	}
	f.hiddenMu.Lock()
	var fresh []hiddenKey
	for _, k := range keys {
		if !f.hidden[k.key] {
			f.hidden[k.key] = true
			fresh = append(fresh, k)
		}
	}
	f.hiddenMu.Unlock()
	for _, k := range fresh {
		f.log.Info("key hidden", "key", k.key, "reason", k.reason)
	}
}

// fresh reports whether something fetched at t is still within the TTL.
func (f *fileSystem) fresh(t time.Time) bool {
	return !t.IsZero() && f.opt.Clock().Sub(t) < f.opt.listingTTL()
}

func (f *fileSystem) fillAttr(out *fuse.Attr, mode uint32, size int64, mtime time.Time) {
	out.Mode = mode
	out.Size = uint64(size)
	out.Blocks = (uint64(size) + 511) / 512
	out.Blksize = 1 << 20
	out.Owner = fuse.Owner{Uid: f.opt.UID, Gid: f.opt.GID}
	out.SetTimes(&mtime, &mtime, &mtime)
	out.Nlink = 1
	if mode&syscall.S_IFDIR != 0 {
		out.Nlink = 2
	}
}

// statfs answers statfs(2) for every node: a bucket has no fixed size, so
// it reports 1 PiB free and a billion free inodes, which keeps df and cp
// (which check free space) content.
func statfs(out *fuse.StatfsOut) {
	const bsize = 4096
	const blocks = (1 << 50) / bsize
	out.Bsize = bsize
	out.Frsize = bsize
	out.Blocks = blocks
	out.Bfree = blocks
	out.Bavail = blocks
	out.Files = 1e9
	out.Ffree = 1e9
	out.NameLen = maxNameLen
}
