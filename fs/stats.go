package fs

import (
	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// Stats is a snapshot of a mount's own counters, for metrics. The
// requests it sends are counted by the store (s3backend.Observer).
type Stats struct {
	// MemoryLimit is the memory budget (Options.Prefetch.MemoryBudget, in
	// whole 1 MiB blocks) that prefetch buffers and the parts of files
	// being written share; MemoryInUse is how much of it buffers hold
	// now, MemoryPeak the most they held at once. Bytes.
	MemoryLimit, MemoryInUse, MemoryPeak int64
	// PrefetchServed counts the bytes reads got from prefetch buffers
	// since the mount started; reads the buffers did not cover went
	// straight to the server.
	PrefetchServed int64
}

// MountStats returns the counters of the mount whose root NewRoot
// returned, and false for anything else. Safe for concurrent use with
// the mount's operations.
func MountStats(root gofs.InodeEmbedder) (Stats, bool) {
	d, ok := root.(*dirNode)
	if !ok {
		return Stats{}, false
	}
	sh := d.fsys.shared
	p := sh.pool.stats()
	return Stats{MemoryLimit: p.limit, MemoryInUse: p.inUse, MemoryPeak: p.peak, PrefetchServed: sh.served.Load()}, true
}
