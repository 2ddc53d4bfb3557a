package fs

import (
	"sync"
	"testing"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/b2mount/b2mount/internal/testenv"
)

// fakeClock is a settable clock for TTL tests.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

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
	dir := t.TempDir()
	mo := GoFuseOptions(opt, "b2mount-test", false)
	if !kernelCache {
		var zero time.Duration
		mo.EntryTimeout, mo.AttrTimeout, mo.NegativeTimeout = &zero, &zero, &zero
	}
	server, err := gofs.Mount(dir, root, mo)
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() {
		if err := server.Unmount(); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
