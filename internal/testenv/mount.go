package testenv

import (
	"testing"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// Mount mounts root with opts on a new directory under t.TempDir (after
// RequireFUSE) and returns the directory. The mount is unmounted when the
// test ends; an unmount that fails (a file still open on it, a mount left
// behind) fails the test.
func Mount(t testing.TB, root gofs.InodeEmbedder, opts *gofs.Options) string {
	t.Helper()
	RequireFUSE(t)
	dir := t.TempDir()
	server, err := gofs.Mount(dir, root, opts)
	if err != nil {
		t.Fatalf("mount %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := server.Unmount(); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// NoKernelCache turns off the kernel's entry, attribute and negative
// caches in opts, so every lookup and stat reaches the file system and a
// test sees the file system's own caching.
func NoKernelCache(opts *gofs.Options) {
	var zero time.Duration
	opts.EntryTimeout, opts.AttrTimeout, opts.NegativeTimeout = &zero, &zero, &zero
}
