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
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

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
	st.Set("big.bin", data)
	opt := DefaultOptions()
	mnt, fsys := mountWithFS(t, st, opt)
	names(t, mnt)
	st.ResetCounts()
	first, err := os.Open(filepath.Join(mnt, "big.bin")) // kept open: see notResident
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	got, err := io.ReadAll(first)
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
	// The kernel keeps the pages: a second read fetches nothing, but what
	// the kernel reclaimed meanwhile (these VMs page out cold memory on
	// their own, DAMON's pageout, after a few seconds: a busy machine's
	// first read takes that long).
	st.ResetCounts()
	missing := notResident(t, first, int64(len(data)))
	if got, err := os.ReadFile(filepath.Join(mnt, "big.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second read: %v", err)
	}
	if n := st.BytesFetched(); n > missing+opt.Prefetch.PartSize {
		t.Errorf("second read fetched %d bytes, the kernel had lost only %d of its pages (page cache not kept)", n, missing)
	} else if n > 0 {
		t.Logf("second read fetched %d bytes the kernel had reclaimed", n)
	}
}

// notResident is how many bytes of the first size of f the page cache
// does not hold (mincore of a mapping, which reads nothing). f is a handle
// already open, so that no new open (which drops the pages when the file
// system does not keep them) comes before the look.
func notResident(t *testing.T, f *os.File, size int64) int64 {
	t.Helper()
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := int64(os.Getpagesize())
	vec := make([]byte, (size+page-1)/page)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal("mincore:", e)
	}
	var missing int64
	for _, v := range vec {
		if v&1 == 0 {
			missing += page
		}
	}
	return missing
}

func TestPhotoOpenedTwiceCostsOneGET(t *testing.T) {
	st := memstore.New()
	photo := pattern(243506, 9)
	st.Set("photos/beach.jpg", photo)
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
	st.Set("f", []byte("x"))
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
	st.Set("big.bin", data)
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

func TestReplacedObjectFailsWithEIOThenNewVersionAfterTTL(t *testing.T) {
	st := memstore.New()
	old := pattern(32<<20, 5)
	st.Set("f.bin", old)
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
	st.Set("f.bin", replacement)
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
