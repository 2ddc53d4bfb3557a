package fs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
)

// Lookups answered by windows agree with the directory's whole listing,
// whatever the keys and the order of the lookups: files, folders, a name
// beside a folder of the same name (the folder wins) with "name.txt"
// sorting between them, markers, B2's placeholder, hidden names, non-ASCII,
// on pages small enough that windows stop short of names and of their
// folders. Each lookup costs at most one LIST, or a LIST, a LIST of
// name/ and a HEAD when its window stops between name and name/.
func TestWindowLookupsAgreeWithTheListing(t *testing.T) {
	stems := []string{"a", "ab", "b", "n", "n.txt", "n.a", "n0", "né", "日本", "z", ".bzEmpty", "x\x01y"}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		st := memstore.New()
		st.SetPageSize(1 + rng.IntN(4))
		var keys []string
		for _, s := range stems {
			switch rng.IntN(5) {
			case 0:
				keys = append(keys, "d/"+s)
			case 1:
				keys = append(keys, "d/"+s+"/in")
			case 2:
				keys = append(keys, "d/"+s, "d/"+s+"/in") // the folder wins
			case 3:
				keys = append(keys, "d/"+s+"/") // a marker alone
			}
		}
		if rng.IntN(2) == 0 {
			keys = append(keys, "d/", "d/bad\x00name", "d/"+string(make([]byte, 300)))
		}
		for _, k := range keys {
			st.Set(k, []byte(k))
		}
		want, _ := buildListing("d/", s3List(slices.Sorted(slices.Values(keys)), "d/"))

		dc := testDirCache(t, st, "d/", testenv.NewClock())
		lookups := slices.Clone(stems)
		lookups = append(lookups, "missing", "n.b", "m", "ü")
		rng.Shuffle(len(lookups), func(i, j int) { lookups[i], lookups[j] = lookups[j], lookups[i] })
		for _, name := range append(lookups, lookups...) { // twice: the second round from memory
			st.ResetCounts()
			e, found, err := dc.lookup(t.Context(), name)
			if err != nil {
				t.Fatalf("seed %d: lookup %q: %v", seed, name, err)
			}
			w, ok := want.lookup(name)
			if found != ok || (ok && (e.kind != w.kind || e.obj.Key != w.obj.Key)) {
				t.Fatalf("seed %d, keys %q: lookup %q = %+v, %v; the listing has %+v, %v", seed, keys, name, e, found, w, ok)
			}
			c := st.Counts()
			if n := c[memstore.OpList]; n > 1 || c[memstore.OpProbe] > 1 || c[memstore.OpHead] > 1 || (n == 0 && len(c) > 0) {
				t.Fatalf("seed %d: lookup %q sent %v", seed, name, c)
			}
		}
		st.ResetCounts()
		if got := dc.source(t.Context()); got.static != nil && !slices.Equal(got.static.names, want.names) {
			t.Fatalf("seed %d: windows joined into %q, want %q", seed, got.static.names, want.names)
		}
	}
}

// bigFolder is a memstore with n files "big/f%06d" and a few names
// around them.
func bigFolder(n int) *memstore.Store {
	st := memstore.New()
	for i := range n {
		st.Set(fmt.Sprintf("big/f%06d", i), []byte("x"))
	}
	return st
}

// A stat of one file in a 100,000-file folder is one LIST; a missing name
// is one LIST and then remembered for the TTL (nothing), and so is a name
// the same page covers; after the TTL it is asked again.
func TestLookupInAHugeFolderIsOneList(t *testing.T) {
	st := bigFolder(100_000)
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	mnt := testMount(t, st, "", opt, false)
	if _, err := os.Stat(filepath.Join(mnt, "big")); err != nil {
		t.Fatal(err)
	}
	st.ResetCounts()
	if info, err := os.Stat(filepath.Join(mnt, "big/f054321")); err != nil || info.Size() != 1 {
		t.Fatalf("stat: %v, %v", info, err)
	}
	if c := st.Counts(); c[memstore.OpList] != 1 || len(c) != 1 {
		t.Errorf("stat in a 100,000-file folder sent %v, want 1 LIST", c)
	}
	st.ResetCounts()
	for range 3 {
		if _, err := os.Stat(filepath.Join(mnt, "big/f077777.missing")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("stat of a missing name: %v", err)
		}
	}
	if c := st.Counts(); c[memstore.OpList] != 1 || len(c) != 1 {
		t.Errorf("3 stats of a missing name sent %v, want 1 LIST", c)
	}
	st.ResetCounts()
	if _, err := os.Stat(filepath.Join(mnt, "big/f077800")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "big/f054999")); err != nil {
		t.Fatal(err)
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("stats of names the remembered pages cover sent %v, want nothing", c)
	}
	st.Set("big/f077777.missing", []byte("now"))
	clock.Advance(opt.MetadataTTL + time.Second)
	st.ResetCounts()
	if _, err := os.Stat(filepath.Join(mnt, "big/f077777.missing")); err != nil {
		t.Errorf("after the TTL: %v", err)
	}
	if c := st.Counts(); c[memstore.OpList] != 2 || len(c) != 1 {
		t.Errorf("a lookup after the TTL sent %v, want 2 LIST (big in the root, then the name)", c)
	}
}

// ls -l of a 10,000-file folder straight after mounting: the lookup of
// the folder is one page of its parent, then ten pages of the folder; no
// HEAD. Windows that start at the folder's start and reach its end
// become its listing: ls of the root after a lookup of a one-letter name
// sends nothing.
func TestLsOfATenThousandFileFolderAfterMounting(t *testing.T) {
	st := bigFolder(10_000)
	st.Set("other.txt", []byte("o"))
	mnt := testMount(t, st, "", DefaultOptions(), true)
	st.ResetCounts()
	if out, err := exec.Command("ls", "-l", filepath.Join(mnt, "big")).CombinedOutput(); err != nil {
		t.Fatalf("ls -l: %v\n%.300s", err, out)
	}
	if c := st.Counts(); c[memstore.OpList] != 11 || len(c) != 1 {
		t.Errorf("ls -l of 10,000 files after mounting sent %v, want 11 LIST", c)
	}
	if _, err := os.Stat(filepath.Join(mnt, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat a: %v", err)
	}
	st.ResetCounts()
	if got := names(t, mnt); !slices.Equal(got, []string{"big/", "other.txt"}) {
		t.Errorf("ls of the root: %q", got)
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("ls of the root after a window from its start to its end sent %v, want nothing", c)
	}
}

// Remembered windows stay bounded: a directory looked up under many far
// apart names keeps at most maxWindows of them.
func TestRememberedWindowsStayBounded(t *testing.T) {
	st := memstore.New()
	st.SetPageSize(2)
	for i := range 300 {
		st.Set(fmt.Sprintf("d/k%04d", i), []byte("x"))
	}
	dc := testDirCache(t, st, "d/", nil)
	for i := range 300 {
		if _, found, err := dc.lookup(t.Context(), fmt.Sprintf("k%04d", i)); !found || err != nil {
			t.Fatalf("lookup %d: %v, %v", i, found, err)
		}
	}
	dc.mu.Lock()
	n := len(dc.windows)
	dc.mu.Unlock()
	if n > maxWindows || n == 0 {
		t.Errorf("%d windows remembered, want 1 to %d", n, maxWindows)
	}
}

// find and ls -lR of the whole bucket, cold, send one LIST per folder
// page and nothing else: every lookup is answered by its folder's listing.
func TestFindAndLsRAreOneListPerFolderPage(t *testing.T) {
	st := memstore.New()
	st.SetPageSize(3)
	folders := 1 // the root
	for _, d := range []string{"a/", "a/b/", "a/b/c/", "d/", "e.f/"} {
		folders++
		for i := range 4 { // two pages each
			st.Set(fmt.Sprintf("%sfile%d", d, i), []byte("x"))
		}
	}
	st.Set("top.txt", []byte("t")) // the root: a/ d/ e.f/ top.txt, two pages
	for _, prog := range [][]string{{"find"}, {"ls", "-lR"}} {
		t.Run(prog[0], func(t *testing.T) {
			mnt := testMount(t, st, "", DefaultOptions(), true)
			st.ResetCounts()
			if out, err := exec.Command(prog[0], append(prog[1:], mnt)...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", prog, err, out)
			}
			if c := st.Counts(); c[memstore.OpList] != 2*folders || len(c) != 1 {
				t.Errorf("%s of %d folders of two pages each sent %v, want %d LIST", prog, folders, c, 2*folders)
			}
		})
	}
}

// During an outage, a name an expired window found is still found (its
// photo may still open from the kernel's cache), while a name it decided
// missing, or never saw, is EIO, never ENOENT: a miss is not trusted past
// the TTL.
func TestOutageAnswersFromExpiredWindows(t *testing.T) {
	st := &downStore{Store: memstore.New()}
	for i := range 50 {
		st.Set(fmt.Sprintf("photos/img%03d.jpg", i), []byte("x"))
	}
	clock := testenv.NewClock()
	dc := testDirCache(t, st, "photos/", clock)
	if _, found, err := dc.lookup(t.Context(), "img040.jpg"); !found || err != nil {
		t.Fatalf("lookup: %v, %v", found, err)
	}
	clock.Advance(DefaultOptions().MetadataTTL + time.Second)
	st.down.Store(true)
	if e, found, err := dc.lookup(t.Context(), "img045.jpg"); !found || err != nil || e.obj.Key != "photos/img045.jpg" {
		t.Errorf("lookup of a name an expired window found, during an outage: %+v, %v, %v", e, found, err)
	}
	for _, name := range []string{"img045.png", "img001.jpg"} {
		if _, found, err := dc.lookup(t.Context(), name); found || !errors.Is(err, errDown) {
			t.Errorf("lookup %q during an outage: %v, %v; want the outage's error", name, found, err)
		}
	}
	st.down.Store(false)
	st.ResetCounts()
	if _, found, err := dc.lookup(t.Context(), "img045.jpg"); !found || err != nil {
		t.Errorf("after the outage: %v, %v", found, err)
	}
	if c := st.Counts(); c[memstore.OpList] != 1 {
		t.Errorf("a lookup after the outage sent %v, want a new window", c)
	}
}

// gateLists makes st's listings wait for open, and counts how many
// started.
func gateLists(t *testing.T, st *memstore.Store) (started func() int, open func()) {
	gate := make(chan struct{})
	var mu sync.Mutex
	n := 0
	st.SetBeforePage(func(prefix string, i int) error {
		mu.Lock()
		n++
		mu.Unlock()
		<-gate
		return nil
	})
	var once sync.Once
	open = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open)
	return func() int { mu.Lock(); defer mu.Unlock(); return n }, open
}

// gatedLookups is a directory cache of photos/ over st whose ListPage
// calls wait for open (gateLists).
func gatedLookups(t *testing.T, st *memstore.Store) (dc *dirCache, started func() int, open func()) {
	t.Helper()
	started, open = gateLists(t, st)
	return testDirCache(t, st, "photos/", nil), started, open
}

// testDirCache is the cache of one directory, prefix, of a file system
// over st with no mount, on clock (nil: the wall clock).
func testDirCache(t *testing.T, st Store, prefix string, clock *testenv.Clock) *dirCache {
	t.Helper()
	opt := DefaultOptions()
	if clock != nil {
		opt.Clock = clock.Now
	}
	root, err := NewRoot(st, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	return newDirCache(root.(*dirNode).fsys, prefix)
}

// waiting is how many lookups wait for the windows being fetched.
func (c *dirCache) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, a := range c.asking {
		n += a.waiters
	}
	return n
}

type lookupResult struct {
	name  string
	e     entry
	found bool
	err   error
}

func lookupAsync(dc *dirCache, name string, out chan<- lookupResult) {
	go func() {
		e, found, err := dc.lookup(context.Background(), name)
		out <- lookupResult{name, e, found, err}
	}()
}

// Lookups in a cold folder while a window below their names is being
// fetched wait for it instead of sending a page each: a program opening
// five photos at once costs one LIST, as five in turn do.
func TestConcurrentColdLookupsShareOneWindow(t *testing.T) {
	st := memstore.New()
	names := []string{"a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"}
	for _, n := range names {
		st.Set("photos/"+n, []byte(n))
	}
	dc, started, open := gatedLookups(t, st)
	out := make(chan lookupResult, len(names)+1)
	lookupAsync(dc, "a.jpg", out)
	if !waitUntil(func() bool { return started() == 1 }) {
		t.Fatal("the first lookup sent no LIST")
	}
	for _, n := range append(names[1:], "missing.jpg") {
		lookupAsync(dc, n, out)
	}
	if !waitUntil(func() bool { return dc.waiting() == len(names) }) {
		t.Fatalf("%d lookups wait for the window being fetched, want %d; %d LIST sent", dc.waiting(), len(names), started())
	}
	open()
	for range len(names) + 1 {
		r := <-out
		want := r.name != "missing.jpg"
		if r.err != nil || r.found != want || (want && r.e.obj.Key != "photos/"+r.name) {
			t.Errorf("lookup %q = %+v, %v, %v", r.name, r.e, r.found, r.err)
		}
	}
	if n := st.Count(memstore.OpList); n != 1 || started() != 1 {
		t.Errorf("six lookups at once sent %d LIST, want 1", n)
	}
}

// A lookup below the window being fetched cannot be answered by it and
// sends its own at once; one above a window that stops short of it waits,
// then sends its own.
func TestLookupsWaitOnlyForWindowsThatMayDecideThem(t *testing.T) {
	st := memstore.New()
	st.SetPageSize(2)
	for _, n := range []string{"aa", "bb", "cc", "dd", "mm", "xx"} {
		st.Set("photos/"+n, []byte(n))
	}
	dc, started, open := gatedLookups(t, st)
	out := make(chan lookupResult, 3)
	lookupAsync(dc, "cc", out) // its window: (photos/c, photos/dd]
	if !waitUntil(func() bool { return started() == 1 }) {
		t.Fatal("the first lookup sent no LIST")
	}
	lookupAsync(dc, "aa", out) // below the window: its own LIST at once
	if !waitUntil(func() bool { return started() == 2 }) {
		t.Fatalf("a lookup below the window being fetched did not send its own LIST (%d waiting)", dc.waiting())
	}
	lookupAsync(dc, "xx", out) // above both: may be decided, so it waits for both
	if !waitUntil(func() bool { return dc.waiting() == 2 }) {
		t.Fatalf("%d waits for the windows being fetched, want 2 (xx on both)", dc.waiting())
	}
	open()
	for range 3 {
		if r := <-out; r.err != nil || !r.found || r.e.obj.Key != "photos/"+r.name {
			t.Errorf("lookup %q = %+v, %v, %v", r.name, r.e, r.found, r.err)
		}
	}
	if n := st.Count(memstore.OpList); n != 3 {
		t.Errorf("%d LIST, want 3: cc's and aa's windows stop before xx", n)
	}
}

// In an outage, lookups that waited for a window share its failure at
// once instead of each waiting out a request of its own; a window whose
// lookup was interrupted leaves its waiters to ask for themselves.
func TestWaitingLookupsShareAWindowsFailure(t *testing.T) {
	st := memstore.New()
	st.Set("photos/a.jpg", []byte("a"))
	st.Set("photos/b.jpg", []byte("b"))
	down := errors.New("connection refused")
	var mu sync.Mutex
	fail := true
	gate := make(chan struct{})
	st.SetBeforePage(func(prefix string, i int) error {
		<-gate
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return down
		}
		return nil
	})
	dc := testDirCache(t, st, "photos/", nil)
	out := make(chan lookupResult, 2)
	lookupAsync(dc, "a.jpg", out)
	if !waitUntil(func() bool { dc.mu.Lock(); defer dc.mu.Unlock(); return len(dc.asking) == 1 }) {
		t.Fatal("the first lookup sent no LIST")
	}
	lookupAsync(dc, "b.jpg", out)
	if !waitUntil(func() bool { return dc.waiting() == 1 }) {
		t.Fatal("the second lookup does not wait for the first's window")
	}
	close(gate)
	for range 2 {
		if r := <-out; !errors.Is(r.err, down) {
			t.Errorf("lookup %q = %v, %v; want the store's failure", r.name, r.found, r.err)
		}
	}
	if n := st.Count(memstore.OpList); n > 1 {
		t.Errorf("%d LIST in the outage, want at most the first", n)
	}

	// Interrupted: the waiter asks for itself, and finds its name.
	mu.Lock()
	fail = false
	mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan struct{})
	st.SetBeforePage(func(prefix string, i int) error {
		select {
		case <-held:
		default:
			close(held)
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	first := make(chan error, 1)
	go func() { _, _, err := dc.lookup(ctx, "a.jpg"); first <- err }()
	<-held
	lookupAsync(dc, "b.jpg", out)
	if !waitUntil(func() bool { return dc.waiting() == 1 }) {
		t.Fatal("the second lookup does not wait for the first's window")
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the interrupted lookup returned %v", err)
	}
	if r := <-out; r.err != nil || !r.found {
		t.Errorf("the lookup that waited for an interrupted one = %v, %v; want its name found", r.found, r.err)
	}
}

// Through a real mount: a program that stats a folder's files at once on
// a cold mount, the first one's page still coming, costs that one LIST;
// the kernel's lookups of the others wait for it (parallel lookups in one
// directory are on: go-fuse asks for them).
func TestConcurrentColdStatsThroughTheMountShareOneList(t *testing.T) {
	testenv.RequireFUSE(t)
	st := memstore.New()
	names := []string{"a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"}
	for _, n := range names {
		st.Set(n, []byte(n))
	}
	started, open := gateLists(t, st)
	opt := DefaultOptions()
	root, err := NewRoot(st, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	mnt := mountRoot(t, root, opt, true)
	dc := root.(*dirNode).dc()

	errs := make(chan error, len(names))
	stat := func(n string) {
		go func() {
			fi, err := os.Stat(filepath.Join(mnt, n))
			if err == nil && fi.Size() != int64(len(n)) {
				err = fmt.Errorf("%s: size %d", n, fi.Size())
			}
			errs <- err
		}()
	}
	stat(names[0])
	if !waitUntil(func() bool { return started() == 1 }) {
		t.Fatal("the first stat sent no LIST")
	}
	for _, n := range names[1:] {
		stat(n)
	}
	if !waitUntil(func() bool { return dc.waiting() == len(names)-1 }) {
		t.Fatalf("%d stats wait for the first one's page, want %d (%d LIST started)", dc.waiting(), len(names)-1, started())
	}
	open()
	for range names {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := st.Count(memstore.OpList); n != 1 {
		t.Errorf("five stats at once on a cold mount sent %d LIST, want 1", n)
	}
}
