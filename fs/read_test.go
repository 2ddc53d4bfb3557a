package fs

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestSequentialReadStreamsInGrowingParts(t *testing.T) {
	st := newMemStore()
	data := pattern(40<<20, 1)
	st.put("big.bin", data)
	mnt := testMount(t, st, "", DefaultOptions(), true)
	names(t, mnt)
	st.resetCounts()
	got, err := os.ReadFile(filepath.Join(mnt, "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, err %v; content equal: %v", len(got), err, bytes.Equal(got, data))
	}
	// Window 1, 2, 4, ... MiB in parts of at most 8 MiB: a handful of GETs,
	// each byte fetched once.
	if g := st.count("GET"); g < 4 || g > 12 {
		t.Errorf("%d GETs for a 40 MiB sequential read (%v), want 4..12", g, st.getsLog())
	}
	if st.bytesFetched() != int64(len(data)) {
		t.Errorf("fetched %d bytes for a %d-byte file", st.bytesFetched(), len(data))
	}
	if st.count("HEAD") != 0 || st.count("LIST") != 0 {
		t.Errorf("reading a listed file sent %v", st.countsMap())
	}
	// The kernel keeps the pages: a second read costs nothing.
	st.resetCounts()
	if got, err := os.ReadFile(filepath.Join(mnt, "big.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second read: %v", err)
	}
	if st.count("GET") != 0 {
		t.Errorf("second read sent %d GETs, want 0 (page cache kept)", st.count("GET"))
	}
}

func TestRandomReadsFetchOnlyAroundWhatWasAsked(t *testing.T) {
	st := newMemStore()
	data := pattern(64<<20, 2)
	st.put("big.bin", data)
	mnt := testMount(t, st, "", DefaultOptions(), true)
	f, err := os.Open(filepath.Join(mnt, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st.resetCounts()
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
	ratio := float64(st.bytesFetched()) / float64(reads*len(buf))
	t.Logf("random 4 KiB reads: %d GETs, %.1f bytes fetched per byte read", st.count("GET"), ratio)
	if ratio > 32 {
		t.Errorf("fetched %.1f bytes per byte read, want <= 32", ratio)
	}
}

func TestReadsWithoutBudgetGoStraightToTheServer(t *testing.T) {
	st := newMemStore()
	data := pattern(5<<20, 4)
	st.put("f.bin", data)
	opt := DefaultOptions()
	opt.ReadAhead.MemoryBudget = 0
	mnt := testMount(t, st, "", opt, true)
	got, err := os.ReadFile(filepath.Join(mnt, "f.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read without budget: %d bytes, %v", len(got), err)
	}
}

func TestReplacedObjectFailsWithEIOThenNewVersionAfterTTL(t *testing.T) {
	st := newMemStore()
	old := pattern(32<<20, 5)
	st.put("f.bin", old)
	clock := newFakeClock()
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
	st.put("f.bin", replacement)
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
