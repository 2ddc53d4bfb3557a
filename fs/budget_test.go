package fs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

func TestBudgetHoldsWithManyReadersAtOnce(t *testing.T) {
	st := memstore.New()
	const files = 8
	var want [files][]byte
	for i := range files {
		want[i] = pattern(16<<20, uint64(20+i))
		st.Set(fmt.Sprintf("f%d", i), want[i])
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
	waitUntil(func() bool { return fsys.shared.pool.stats().inUse == 0 })
	s := fsys.shared.pool.stats()
	t.Logf("8 readers: buffers peaked at %d MiB of %d, %d GETs", s.peak>>20, s.limit>>20, st.Count("GET"))
	if s.peak > s.limit {
		t.Errorf("buffers peaked at %d bytes, over the %d budget", s.peak, s.limit)
	}
	if s.inUse != 0 {
		t.Errorf("%d bytes of buffers still in use after every file was closed", s.inUse)
	}
	// Each byte is fetched once, but for what a machine busy with other
	// mounts can make of eight files read at once: the kernel's reads of
	// one file arrive out of order, and one taken for a seek fetches that
	// read (1 MiB) again. More than that per file is a fault (a full run of
	// this package's tests here once fetched 1 MiB of 128 again).
	if got, want := st.BytesFetched(), int64(files*16<<20); got < want || got > want+files<<20 {
		t.Errorf("fetched %d bytes for %d bytes of files: more than one read again per file", got, want)
	} else if got != want {
		t.Logf("fetched %d bytes again: reads taken for seeks", got-want)
	}
}

func TestReadsWithoutBudgetGoStraightToTheServer(t *testing.T) {
	st := memstore.New()
	data := pattern(5<<20, 4)
	st.Set("f.bin", data)
	opt := DefaultOptions()
	opt.Prefetch.MemoryBudget = 0
	mnt := testMount(t, st, "", opt, true)
	got, err := os.ReadFile(filepath.Join(mnt, "f.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read without budget: %d bytes, %v", len(got), err)
	}
}
