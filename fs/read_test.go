package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// mountWithFS mounts store like testMount (kernel caches on, read-ahead
// raised when allowed) and also returns the mount's shared state, so tests
// can look at the memory budget.
func mountWithFS(t *testing.T, store Store, opt Options) (string, *fileSystem) {
	t.Helper()
	root, err := NewRoot(store, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	dir := mountRoot(t, root, opt, true)
	_ = RaiseReadAhead(dir, 1<<20) // root only; the tests hold either way
	return dir, root.(*dirNode).fsys
}

func TestSequentialReadFetchesEachByteOnceInParallelParts(t *testing.T) {
	st := memstore.New()
	data := pattern(40<<20, 1)
	st.Put("big.bin", data)
	opt := DefaultOptions()
	mnt, fsys := mountWithFS(t, st, opt)
	names(t, mnt)
	st.ResetCounts()
	got, err := os.ReadFile(filepath.Join(mnt, "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, err %v; content equal: %v", len(got), err, bytes.Equal(got, data))
	}
	// Window 1, 2, 4, ... MiB, split in parts of 1 MiB up to PartSize:
	// each byte fetched once, in a few dozen GETs, none larger than a part.
	gets := st.Gets()
	if g := len(gets); g < len(data)/int(opt.Prefetch.PartSize) || g > 48 {
		t.Errorf("%d GETs for a 40 MiB sequential read (%v), want %d..48", g, gets, len(data)/int(opt.Prefetch.PartSize))
	}
	for _, g := range gets {
		var off, n int64
		if _, err := fmt.Sscanf(g, "%d+%d", &off, &n); err != nil || n > opt.Prefetch.PartSize {
			t.Errorf("GET %s is larger than a part (%d)", g, opt.Prefetch.PartSize)
		}
	}
	if st.BytesFetched() != int64(len(data)) {
		t.Errorf("fetched %d bytes for a %d-byte file", st.BytesFetched(), len(data))
	}
	if st.Count("HEAD") != 0 || st.Count("LIST") != 0 {
		t.Errorf("reading a listed file sent %v", st.Counts())
	}
	if s := fsys.shared.pool.stats(); s.peak > s.limit || s.peak == 0 {
		t.Errorf("buffers peaked at %d bytes, budget %d", s.peak, s.limit)
	}
	// The kernel keeps the pages: a second read costs nothing.
	st.ResetCounts()
	if got, err := os.ReadFile(filepath.Join(mnt, "big.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second read: %v", err)
	}
	if st.Count("GET") != 0 {
		t.Errorf("second read sent %d GETs, want 0 (page cache kept)", st.Count("GET"))
	}
}

func TestPhotoOpenedTwiceCostsOneGET(t *testing.T) {
	st := memstore.New()
	photo := pattern(243506, 9)
	st.Put("photos/beach.jpg", photo)
	mnt, _ := mountWithFS(t, st, DefaultOptions())
	if _, err := os.ReadDir(filepath.Join(mnt, "photos")); err != nil {
		t.Fatal(err)
	}
	st.ResetCounts()
	for i := range 2 {
		got, err := os.ReadFile(filepath.Join(mnt, "photos/beach.jpg"))
		if err != nil || !bytes.Equal(got, photo) {
			t.Fatalf("read %d: %d bytes, %v", i+1, len(got), err)
		}
	}
	if c := st.Counts(); c["GET"] != 1 || len(c) != 1 {
		t.Errorf("listing, then reading a photo twice sent %v (%v), want exactly 1 GET", c, st.Gets())
	}
}

func TestBudgetHoldsWithManyReadersAtOnce(t *testing.T) {
	st := memstore.New()
	const files = 8
	var want [files][]byte
	for i := range files {
		want[i] = pattern(16<<20, uint64(20+i))
		st.Put(fmt.Sprintf("f%d", i), want[i])
	}
	opt := DefaultOptions()
	opt.Prefetch.MemoryBudget = 16 << 20
	mnt, fsys := mountWithFS(t, st, opt)
	names(t, mnt)
	st.ResetCounts()
	var wg sync.WaitGroup
	for i := range files {
		wg.Go(func() {
			got, err := os.ReadFile(filepath.Join(mnt, fmt.Sprintf("f%d", i)))
			if err != nil || !bytes.Equal(got, want[i]) {
				t.Errorf("f%d: %d bytes, %v", i, len(got), err)
			}
		})
	}
	wg.Wait()
	// The kernel releases a closed file, and go-fuse hands back the
	// buffers of its last reply, on their own time: wait for that.
	s := fsys.shared.pool.stats()
	for deadline := time.Now().Add(5 * time.Second); s.inUse != 0 && time.Now().Before(deadline); s = fsys.shared.pool.stats() {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("8 readers: buffers peaked at %d MiB of %d, %d GETs", s.peak>>20, s.limit>>20, st.Count("GET"))
	if s.peak > s.limit {
		t.Errorf("buffers peaked at %d bytes, over the %d budget", s.peak, s.limit)
	}
	if s.inUse != 0 {
		t.Errorf("%d bytes of buffers still in use after every file was closed", s.inUse)
	}
	if st.BytesFetched() != files*16<<20 {
		t.Errorf("fetched %d bytes for %d bytes of files: some bytes twice", st.BytesFetched(), files*16<<20)
	}
}

// gatedStore holds back the bodies of GETs at or after gate until open is
// closed.
type gatedStore struct {
	*memstore.Store
	gate int64
	open chan struct{}
}

func (g *gatedStore) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	rc, err := g.Store.OpenRange(ctx, key, etag, off, n)
	if err != nil || off < g.gate {
		return rc, err
	}
	select {
	case <-g.open:
		return rc, nil
	case <-ctx.Done():
		rc.Close()
		return nil, ctx.Err()
	}
}

func TestFullWindowKeepsManyPartsInFlight(t *testing.T) {
	st := &gatedStore{Store: memstore.New(), gate: 64 << 20, open: make(chan struct{})}
	data := pattern(136<<20, 11)
	st.Put("big.bin", data)
	opt := DefaultOptions().Prefetch
	shared := newPrefetchShared(opt.MemoryBudget)
	pool := shared.pool
	obj, err := st.Stat(context.Background(), "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	r := newPrefetcher(st, obj, opt, shared)
	defer r.Close()
	buf := make([]byte, 128<<10)
	off := int64(0)
	read := func(until int64) {
		t.Helper()
		for ; off < until; off += int64(len(buf)) {
			n, err := r.ReadAt(context.Background(), buf, off)
			if err != nil || !bytes.Equal(buf[:n], data[off:off+int64(n)]) {
				t.Fatalf("read at %d: %d bytes, %v", off, n, err)
			}
		}
	}
	// Up to the gate every part arrives; the window ahead of the reader
	// is then all scheduled and held back at the gate, in flight at once.
	read(st.gate)
	s, inFlight := pool.stats(), shared.fetches.peak()
	t.Logf("at %d MiB: %d part fetches in flight, %d MiB of %d held", off>>20, inFlight, s.inUse>>20, s.limit>>20)
	// The budget is one full window, and the parts the reader is in and
	// has just left may still hold their blocks: at least half of the
	// window's parts must be in flight at once.
	if inFlight < nearParts/2 {
		t.Errorf("at most %d parts in flight with a full window, want >= %d (one connection each)", inFlight, nearParts/2)
	}
	if s.peak > s.limit {
		t.Errorf("buffers peaked at %d bytes, over the %d budget", s.peak, s.limit)
	}
	close(st.open)
	read(int64(len(data)))
	if st.BytesFetched() != int64(len(data)) {
		t.Errorf("fetched %d bytes for a %d-byte file", st.BytesFetched(), len(data))
	}
}

func TestFarSeekDropsTheWindowAndReadsOnlyWhatWasAsked(t *testing.T) {
	st := memstore.New()
	data := pattern(64<<20, 12)
	st.Put("big.bin", data)
	obj, _ := st.Stat(context.Background(), "big.bin")
	shared := newPrefetchShared(DefaultOptions().Prefetch.MemoryBudget)
	pool := shared.pool
	r := newPrefetcher(st, obj, DefaultOptions().Prefetch, shared)
	defer r.Close()
	buf := make([]byte, 128<<10)
	for off := int64(0); off < 1<<20; off += int64(len(buf)) {
		if _, err := r.ReadAt(context.Background(), buf, off); err != nil {
			t.Fatal(err)
		}
	}
	st.ResetCounts()
	const far = 48 << 20
	if n, err := r.ReadAt(context.Background(), buf, far); err != nil || !bytes.Equal(buf[:n], data[far:far+n]) {
		t.Fatalf("far read: %d bytes, %v", n, err)
	}
	if g := st.Gets(); len(g) != 1 || g[0] != fmt.Sprintf("%d+%d", far, len(buf)) {
		t.Errorf("a far seek fetched %v, want exactly the %d bytes asked", g, len(buf))
	}
	if s := pool.stats(); s.inUse != 0 {
		// Fetches of the dropped window end on their own; give them a moment.
		deadline := time.Now().Add(5 * time.Second)
		for pool.stats().inUse != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if s := pool.stats(); s.inUse != 0 {
			t.Errorf("the dropped window still holds %d bytes", s.inUse)
		}
	}
	// Reading on from there starts a new window at the new place.
	st.ResetCounts()
	if _, err := r.ReadAt(context.Background(), buf, far+int64(len(buf))); err != nil {
		t.Fatal(err)
	}
	if g := st.Gets(); len(g) != 1 || g[0] != fmt.Sprintf("%d+%d", far+len(buf), 1<<20) {
		t.Errorf("reading on after the seek fetched %v, want one 1 MiB part", g)
	}
}

func TestCutPartResumesAtItsOffsetWithTheSameETag(t *testing.T) {
	srv, err := s3test.StartEmbedded(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	data := pattern(24<<20, 13)
	if err := srv.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutObject("bkt", "f.bin", data); err != nil {
		t.Fatal(err)
	}
	client, err := s3backend.New(context.Background(), s3backend.Config{
		Endpoint: srv.URL, Region: srv.Region, Bucket: "bkt", KeyID: srv.KeyID, SecretKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	mnt, _ := mountWithFS(t, client, DefaultOptions())
	names(t, mnt)
	// The first part's body breaks off after 300,000 bytes.
	const cutAt = 300000
	if err := srv.Proxy.SetFaults(s3test.Faults{CutFirstN: 1, CutAfterBytes: cutAt}); err != nil {
		t.Fatal(err)
	}
	srv.Proxy.ResetCounts()
	got, err := os.ReadFile(filepath.Join(mnt, "f.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read through a cut: %d bytes, %v; equal: %v", len(got), err, bytes.Equal(got, data))
	}
	reqs := srv.Proxy.Requests()
	var cut *s3test.Request
	for i := range reqs {
		if reqs[i].Fault == "cut" {
			cut = &reqs[i]
		}
	}
	if cut == nil || cut.Range != "bytes=0-1048575" || cut.IfMatch == "" {
		t.Fatalf("no cut first part of [0, 1 MiB) with If-Match among %+v", reqs)
	}
	resumed := false
	for _, r := range reqs {
		if r.Op == s3test.OpGet && r.Range == fmt.Sprintf("bytes=%d-1048575", cutAt) {
			resumed = true
			if r.IfMatch != cut.IfMatch {
				t.Errorf("resumed with If-Match %q, the cut GET had %q", r.IfMatch, cut.IfMatch)
			}
		}
	}
	if !resumed {
		for _, r := range reqs {
			t.Logf("%s %s if-match=%s fault=%s", r.Op, r.Range, r.IfMatch, r.Fault)
		}
		t.Errorf("the cut part was not resumed at offset %d", cutAt)
	}
}

func TestKernelReadAheadRaisedForLargeRequests(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "raising the kernel read-ahead needs root")
	st := memstore.New()
	st.Put("f", []byte("x"))
	mnt, _ := mountWithFS(t, st, DefaultOptions())
	var s syscall.Stat_t
	if err := syscall.Stat(mnt, &s); err != nil {
		t.Fatal(err)
	}
	dev := uint64(s.Dev)
	path := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", (dev>>8)&0xfff|(dev>>32)&^0xfff, dev&0xff|(dev>>12)&^0xff)
	got, err := os.ReadFile(path)
	if err != nil || strings.TrimSpace(string(got)) != "1024" {
		t.Errorf("%s = %q (%v), want 1024", path, got, err)
	}
}

func TestRandomReadsFetchOnlyAroundWhatWasAsked(t *testing.T) {
	st := memstore.New()
	data := pattern(64<<20, 2)
	st.Put("big.bin", data)
	mnt := testMount(t, st, "", DefaultOptions(), true)
	f, err := os.Open(filepath.Join(mnt, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st.ResetCounts()
	r := rand.New(rand.NewPCG(3, 3))
	buf := make([]byte, 4096)
	const reads = 200
	for range reads {
		off := r.Int64N(int64(len(data)-len(buf))) &^ 4095
		if _, err := f.ReadAt(buf, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, data[off:off+4096]) {
			t.Fatalf("wrong bytes at %d", off)
		}
	}
	ratio := float64(st.BytesFetched()) / float64(reads*len(buf))
	t.Logf("random 4 KiB reads: %d GETs, %.1f bytes fetched per byte read", st.Count("GET"), ratio)
	if ratio > 32 {
		t.Errorf("fetched %.1f bytes per byte read, want <= 32", ratio)
	}
}

func TestReadsWithoutBudgetGoStraightToTheServer(t *testing.T) {
	st := memstore.New()
	data := pattern(5<<20, 4)
	st.Put("f.bin", data)
	opt := DefaultOptions()
	opt.Prefetch.MemoryBudget = 0
	mnt := testMount(t, st, "", opt, true)
	got, err := os.ReadFile(filepath.Join(mnt, "f.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read without budget: %d bytes, %v", len(got), err)
	}
}

func TestReplacedObjectFailsWithEIOThenNewVersionAfterTTL(t *testing.T) {
	st := memstore.New()
	old := pattern(32<<20, 5)
	st.Put("f.bin", old)
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	mnt := testMount(t, st, "", opt, false)
	path := filepath.Join(mnt, "f.bin")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, old[:len(head)]) {
		t.Fatalf("first read: %v", err)
	}
	replacement := pattern(32<<20, 6)
	st.Put("f.bin", replacement)
	// A read far from what was prefetched must fetch again, and the old
	// ETag no longer matches.
	_, err = f.ReadAt(head, 24<<20)
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("read of a replaced object: %v, want EIO", err)
	}
	clock.Advance(opt.MetadataTTL + time.Second)
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, replacement) {
		t.Fatalf("after the TTL: %d bytes, %v; new version whole: %v", len(got), err, bytes.Equal(got, replacement))
	}
}

func TestWindowReadsAreAnsweredWithoutACopyAndPinnedUntilDone(t *testing.T) {
	st := memstore.New()
	data := pattern(8<<20, 13)
	st.Put("a.bin", data)
	st.Put("b.bin", pattern(8<<20, 14))
	ctx := context.Background()
	opt := DefaultOptions().Prefetch
	shared := newPrefetchShared(opt.MemoryBudget)
	pool := shared.pool
	objA, _ := st.Stat(ctx, "a.bin")
	a := newPrefetcher(st, objA, opt, shared)

	// A read across the first block boundary of the window: two slices,
	// straight out of the parts' blocks.
	dest := make([]byte, 256<<10)
	const off = 1<<20 - 100<<10
	if _, err := a.ReadAt(ctx, dest, 0); err != nil { // starts the window at 0
		t.Fatal(err)
	}
	res, err := a.Read(ctx, dest, off)
	if err != nil {
		t.Fatal(err)
	}
	pinned, ok := res.(*pinnedResult)
	if !ok {
		t.Fatalf("a read inside the window returned %T, want the window's own blocks", res)
	}
	slices, _ := pinned.Slices()
	if len(slices) != 2 || res.Size() != len(dest) {
		t.Fatalf("read across a block boundary: %d slices, %d bytes; want 2 slices, %d bytes", len(slices), res.Size(), len(dest))
	}
	got := bytes.Join(slices, nil)
	if !bytes.Equal(got, data[off:off+len(dest)]) {
		t.Fatal("the slices do not hold the file's bytes")
	}
	for i := range dest {
		dest[i] = 0xff
	}
	if !bytes.Equal(bytes.Join(slices, nil), got) {
		t.Fatal("the reply lives in dest; want the window's blocks as they are")
	}

	// Closing the file while the kernel still copies the reply must not
	// free the blocks: another file's window may not reuse them.
	a.Close()
	objB, _ := st.Stat(ctx, "b.bin")
	b := newPrefetcher(st, objB, opt, shared)
	defer b.Close()
	for o := int64(0); o < 8<<20; o += int64(len(dest)) {
		if _, err := b.ReadAt(ctx, dest, o); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(bytes.Join(slices, nil), data[off:off+len(dest)]) {
		t.Fatal("a pinned reply was overwritten by another file before Done")
	}
	if s := pool.stats(); s.inUse == 0 {
		t.Fatal("no blocks in use while a reply is pinned")
	}
	res.Done()
	res.Done() // go-fuse calls it once; a second call must be harmless
	b.Close()
	deadline := time.Now().Add(5 * time.Second)
	for pool.stats().inUse != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // fetches of closed windows end on their own
	}
	if s := pool.stats(); s.inUse != 0 {
		t.Errorf("%d bytes still in use after Done and Close", s.inUse)
	}
}
