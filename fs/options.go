package fs

import (
	"fmt"
	"log/slog"
	"time"
)

// Options configure a mount. Start from DefaultOptions; the zero value of a
// field is not a valid default.
type Options struct {
	// MetadataTTL is how long a directory listing, a looked-up name and a
	// miss are trusted, by b2mount and by the kernel (entry, attribute and
	// negative timeouts). Default 60s. 0 makes the kernel ask every time;
	// b2mount still keeps a listing for 1s so that one `ls -l` costs one
	// listing.
	MetadataTTL time.Duration
	// UID and GID own every file and directory. Default: the mounting user.
	UID, GID uint32
	// FileMode and DirMode are the permission bits. Defaults 0444 and 0555.
	FileMode, DirMode uint32
	// PlusEntries is how many names of a directory READDIRPLUS gives with
	// their attributes (the kernel then makes an inode, and go-fuse a
	// node, for each); past it, names alone, and a program that stats one
	// sends a LOOKUP, answered from the same listing (see the package doc,
	// "Memory of big folders"). Default 100,000: a folder up to that size
	// lists in batches as before; a bigger one costs a name-only walk
	// (ls -f, find -name) at most that many nodes, not one per key.
	PlusEntries int
	// Prefetch tunes b2mount's own prefetcher (the kernel's read-ahead is separate: see RaiseReadAhead).
	Prefetch PrefetchOptions
	// Writes turns write mode on and tunes it. The zero value is a
	// read-only mount.
	Writes WriteOptions
	// Clock returns the current time, for the TTLs, a failed read's repeat
	// window and the time GETs take to answer (which shapes the prefetch
	// window); tests inject a fake. Default time.Now.
	Clock func() time.Time
	// Logger gets one line per hidden key and per failed operation.
	// Default: discard.
	Logger *slog.Logger
}

// WriteOptions tune a read-write mount.
type WriteOptions struct {
	// Enabled makes the mount read-write (b2mount --read-write). Off
	// (the default), the kernel mount is "ro", every change answers EROFS,
	// and no request that changes the bucket is ever sent.
	Enabled bool
	// StateDir is where the mounts of one bucket and prefix on this
	// machine keep what must outlive a mount: files staged for upload,
	// the journal of their multipart uploads, the modification times they
	// set (see stateDir). Required when Enabled; the CLI picks a directory
	// per bucket and prefix under the user's cache directory.
	StateDir string
	// HardDelete makes unlink delete every version of a file. Off (the
	// default), unlink hides the file as B2's DeleteObject does, and B2
	// keeps (and bills) its older versions.
	HardDelete bool
	// RenameDirLimit is the most objects a folder rename moves, each with
	// a server-side copy and a delete; a larger folder answers EXDEV, and
	// mv then copies and deletes file by file. Default 1,000.
	RenameDirLimit int
}

// PrefetchOptions tune how sequential reads are prefetched.
type PrefetchOptions struct {
	// InitialWindow is the first prefetch after a sequential start. Default 1 MiB.
	InitialWindow int64
	// MaxWindow caps the window, which doubles while reads stay sequential
	// (jumps to MaxWindow when GETs take 25 ms or more to answer).
	// Default 64 MiB.
	MaxWindow int64
	// PartSize caps one ranged GET of the window; parts are fetched in
	// parallel, each on its own connection. A window is split into 8
	// parts of whole MiB (1 MiB while it is small), 32 when GETs take 25 ms
	// or more to answer, so a full default window of 64 MiB is 8 GETs of
	// 8 MiB nearby and 32 of 2 MiB far away. Default 8 MiB.
	PartSize int64
	// MemoryBudget bounds the bytes buffered by all open files together,
	// in blocks of 1 MiB mapped outside the Go heap. Each sequential reader
	// may hold an equal share of it beyond what its current read needs.
	// When it is used up, prefetching pauses and reads go straight to the
	// server. A file written in order takes its parts from it too (see
	// writeSession): 96 MiB holds part 1, the part being filled and the 16
	// parts of 5 MiB one file uploads at once (partsInFlight), which a
	// distant server needs: at 50 MB/s and 30 ms per connection a part
	// takes 135 ms, so 10 in flight (all that 64 MiB held) carry at most
	// 390 MB/s, 16 carry 620. Default 96 MiB.
	MemoryBudget int64
}

// minListingTTL keeps one listing alive long enough to answer the
// READDIRPLUS lookups that follow the READDIR that fetched it.
const minListingTTL = time.Second

// DefaultOptions returns the defaults documented on Options.
func DefaultOptions() Options {
	return Options{
		MetadataTTL: 60 * time.Second,
		UID:         0,
		GID:         0,
		FileMode:    0o444,
		DirMode:     0o555,
		PlusEntries: 100_000,
		Prefetch: PrefetchOptions{
			InitialWindow: 1 << 20,
			MaxWindow:     64 << 20,
			PartSize:      8 << 20,
			MemoryBudget:  96 << 20,
		},
		Writes: WriteOptions{RenameDirLimit: 1000},
		Clock:  time.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
}

// Validate reports the first option that cannot work.
func (o Options) Validate() error {
	switch {
	case o.MetadataTTL < 0:
		return fmt.Errorf("metadata TTL %v is negative", o.MetadataTTL)
	case o.FileMode&^0o777 != 0:
		return fmt.Errorf("file mode %#o has bits beyond 0777", o.FileMode)
	case o.DirMode&^0o777 != 0:
		return fmt.Errorf("dir mode %#o has bits beyond 0777", o.DirMode)
	case o.Prefetch.InitialWindow <= 0 || o.Prefetch.MaxWindow < o.Prefetch.InitialWindow:
		return fmt.Errorf("prefetch window %d..%d is not a range", o.Prefetch.InitialWindow, o.Prefetch.MaxWindow)
	case o.PlusEntries < 0:
		return fmt.Errorf("READDIRPLUS bound %d is negative", o.PlusEntries)
	case o.Prefetch.PartSize <= 0:
		return fmt.Errorf("part size %d is not positive", o.Prefetch.PartSize)
	case o.Prefetch.MemoryBudget < 0:
		return fmt.Errorf("memory budget %d is negative", o.Prefetch.MemoryBudget)
	case o.Writes.Enabled && o.Writes.StateDir == "":
		return fmt.Errorf("a read-write mount needs a state directory")
	case o.Writes.RenameDirLimit < 0:
		return fmt.Errorf("rename limit %d is negative", o.Writes.RenameDirLimit)
	case o.Clock == nil || o.Logger == nil:
		return fmt.Errorf("options need a Clock and a Logger (start from DefaultOptions)")
	}
	return nil
}

// listingTTL is how long b2mount itself trusts a listing or a lookup.
func (o Options) listingTTL() time.Duration {
	return max(o.MetadataTTL, minListingTTL)
}
