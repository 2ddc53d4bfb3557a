package fs

import (
	"testing"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/b2mount/b2mount/internal/testenv"
)

// testMount mounts store at a fresh directory and unmounts it when the
// test ends. With kernelCache false the kernel caches nothing, so the
// test sees b2mount's own caching (driven by opt.Clock).
func testMount(t *testing.T, store Store, prefix string, opt Options, kernelCache bool) string {
	t.Helper()
	testenv.RequireFUSE(t)
	root, err := NewRoot(store, prefix, opt)
	if err != nil {
		t.Fatal(err)
	}
	return mountRoot(t, root, opt, kernelCache)
}

// mountRoot mounts root (from NewRoot) on a temporary directory until the
// test ends.
func mountRoot(t *testing.T, root gofs.InodeEmbedder, opt Options, kernelCache bool) string {
	t.Helper()
	mo := GoFuseOptions(opt, "b2mount-test", false)
	if !kernelCache {
		testenv.NoKernelCache(mo)
	}
	return testenv.Mount(t, root, mo)
}
