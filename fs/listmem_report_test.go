package fs

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
)

// memKeysEnv, set to a number of keys, runs TestMountMemoryReport: a
// measurement, not a check (the bound a test can hold on any machine is
// TestListingBytesPerKey's).
const memKeysEnv = "B2MOUNT_MEMKEYS"

// liveHeap is the heap in use after two collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// rssBytes is this process's resident set (VmRSS), or 0.
func rssBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestMountMemoryReport mounts a folder of $B2MOUNT_MEMKEYS keys, runs
// ls -f, ls -l and five more ls -l after the listing expired (or
// $B2MOUNT_MEMKEYS_EXPIRIES), and logs the
// heap the mount keeps per key (after GC, the store's own objects not
// counted) and the process's RSS after each step (which the store's own
// garbage inflates: it builds every page of a listing at once).
func TestMountMemoryReport(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(memKeysEnv))
	if n <= 0 {
		t.Skip("set " + memKeysEnv + " to a number of keys to measure")
	}
	st := memstore.New()
	for i := range n {
		st.Set(fmt.Sprintf("big/photo-%07d.jpg", i), nil)
	}
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	mnt := testMount(t, st, "", opt, true)
	dir := filepath.Join(mnt, "big")
	base, rss0 := liveHeap(), rssBytes()
	t.Logf("%d keys: baseline heap %d MB, RSS %d MB", n, base>>20, rss0>>20)
	step := func(what string, args ...string) {
		st.ResetCounts()
		start := time.Now()
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		took := time.Since(start)
		lines := strings.Count(string(out), "\n")
		h := liveHeap()
		t.Logf("%-16s %6d lines %7.2fs  heap +%4d MB = %5d B/key  RSS %4d MB = %5d B/key  requests %v",
			what, lines, took.Seconds(), (h-base)>>20, int64(h-base)/int64(n), rssBytes()>>20, int64(rssBytes()-rss0)/int64(n), st.Counts())
	}
	step("ls -f", "ls", "-f", dir)
	step("ls -l", "ls", "-l", dir)
	if p := os.Getenv("B2MOUNT_MEMPROF"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	expiries := 5
	if v, err := strconv.Atoi(os.Getenv(memKeysEnv + "_EXPIRIES")); err == nil {
		expiries = v
	}
	for i := range expiries {
		clock.Advance(opt.listingTTL() + time.Second)
		step(fmt.Sprintf("ls -l expired %d", i+1), "ls", "-l", dir)
	}
}
