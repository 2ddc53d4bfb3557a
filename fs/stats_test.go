package fs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

// MountStats reports the memory budget and the bytes reads got from
// prefetch buffers: a sequential read is served from them, a read far
// from any window goes straight to the server and is not counted.
func TestMountStatsCountsBytesServedFromBuffers(t *testing.T) {
	st := memstore.New()
	data := pattern(8<<20, 7)
	st.Set("seq.bin", data)
	st.Set("rand.bin", data)
	opt := DefaultOptions()
	opt.Prefetch.MemoryBudget = 32 << 20
	root, err := NewRoot(st, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	mnt := mountRoot(t, root, opt, true)
	if _, ok := MountStats(newDirNode(root.(*dirNode).fsys, "x/")); !ok {
		t.Errorf("MountStats refused a directory node of the mount")
	}
	s, ok := MountStats(root)
	if !ok || s.MemoryLimit != 32<<20 || s.PrefetchServed != 0 || s.MemoryInUse != 0 {
		t.Fatalf("before any read: %+v, %v", s, ok)
	}
	got, err := os.ReadFile(filepath.Join(mnt, "seq.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	s, _ = MountStats(root)
	if s.PrefetchServed <= 0 || s.PrefetchServed > int64(len(data)) || s.MemoryPeak <= 0 {
		t.Errorf("after a sequential read of %d bytes: %+v; want some served from buffers, at most all", len(data), s)
	}
	served := s.PrefetchServed

	// A read in the middle of a file first: a seek, fetched alone.
	f, err := os.Open(filepath.Join(mnt, "rand.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	if _, err := f.ReadAt(buf, 5<<20); err != nil || !bytes.Equal(buf, data[5<<20:5<<20+4096]) {
		t.Fatalf("read at 5 MiB: %v", err)
	}
	if s, _ = MountStats(root); s.PrefetchServed != served {
		t.Errorf("a read straight from the server counted as served from buffers: %d, was %d", s.PrefetchServed, served)
	}
}
