package fs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// With no memory to spare and no upload in flight, a stream that sealed
// nothing beyond part 1 moves to a staged file instead of waiting.
func TestStreamOutOfMemoryBeforeSealingStages(t *testing.T) {
	f := newWriteFixture(t, testPart, blockSize) // one block: part 1's
	s := f.session("k", nil)
	data := pattern(1500, 30)
	f.write(s, data, 0, 100) // part 2 finds no block
	if names := f.stagingFiles(); len(names) != 2 {
		t.Errorf("staging directory holds %v, want the staged file and its sidecar", names)
	}
	f.counts(map[string]int{})
	f.commit(s, "k", data)
	f.nothingHeld()
}

// A stream short of memory while its own parts are in flight waits for
// them to give their blocks back, and goes on in memory; a write whose
// context ends while it waits fails with it.
func TestStreamWaitsForItsOwnUploadsForMemory(t *testing.T) {
	f := newWriteFixture(t, testPart, 3*blockSize)
	g, open := f.gate()
	defer open()
	s := f.session("k", nil)
	data := pattern(4*testPart+10, 31)
	f.write(s, data[:3*testPart], 0, 100) // part 1, part 2 in flight, part 3 full
	done := make(chan error, 1)
	go func() { // seals part 3, and part 4 finds no block
		done <- s.WriteAt(context.Background(), data[3*testPart:], 3*testPart)
	}()
	if !waitUntil(func() bool { return g.held() == 2 }) {
		t.Fatalf("%d parts at the gate, want parts 2 and 3", g.held())
	}
	select {
	case err := <-done:
		t.Fatalf("the write got memory while both blocks were in flight: %v", err)
	default:
	}
	open()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(hangBound):
		t.Fatal("the write still waits after its uploads ended")
	}
	if n := f.openPartFiles(); n != 0 || len(f.stagingFiles()) != 0 {
		t.Errorf("the stream left memory for %d part files and %v", n, f.stagingFiles())
	}
	f.commit(s, "k", data)
	f.nothingHeld()
}

// The same wait ends with the write's context.
func TestStreamMemoryWaitEndsWithTheContext(t *testing.T) {
	f := newWriteFixture(t, testPart, 3*blockSize)
	g, open := f.gate()
	defer open()
	s := f.session("k", nil)
	data := pattern(3*testPart+10, 32)
	f.write(s, data[:3*testPart], 0, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WriteAt(ctx, data[3*testPart:], 3*testPart) }()
	if !waitUntil(func() bool { return g.held() == 2 }) {
		t.Fatalf("%d parts at the gate, want 2", g.held())
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || toErrno(err) != syscall.EINTR {
			t.Fatalf("got %v, want the context's error (EINTR)", err)
		}
	case <-time.After(hangBound):
		t.Fatal("the write did not stop with its context")
	}
	s.Abort()
	f.nothingHeld()
}

// With no memory to spare and no upload in flight, a stream whose part 2
// is uploaded already buffers the part in a file instead of waiting for
// memory another file holds (which could be forever).
func TestStreamOutOfMemoryAfterSealingBuffersThePartInAFile(t *testing.T) {
	const part = 3 << 20 // three blocks
	f := newWriteFixture(t, part, 8*blockSize)
	s := f.session("k", nil)
	data := pattern(3*part+5, 33)
	f.write(s, data[:2*part+1], 0, 1<<20) // part 1, part 2 sealed, a byte of part 3
	if !waitUntil(func() bool { n, _ := s.st.up.busy(); return n == 0 }) {
		t.Fatal("part 2 never finished")
	}
	var others [][]byte // what other files hold: the rest of the budget
	for {
		b, ok := f.deps.pool.get(blockSize)
		if !ok {
			break
		}
		others = append(others, b...)
	}
	// Part 3 is filled but not sealed: its file stays open until its upload,
	// which the last bytes start and which may end at once.
	f.write(s, data[2*part+1:3*part], 2*part+1, 1<<20)
	if n := f.openPartFiles(); n != 1 {
		t.Errorf("%d part files open, want part 3's", n)
	}
	f.write(s, data[3*part:], 3*part, 1<<20)
	f.deps.pool.put(others)
	f.commit(s, "k", data)
	if n := f.openPartFiles(); n != 0 {
		t.Errorf("%d part files still open after the commit", n)
	}
	f.nothingHeld()
}

// Files written at once from a budget too small for all of them all
// finish, byte-exact: none waits for another's memory.
func TestStreamManyWritersShareATinyBudget(t *testing.T) {
	f := newWriteFixture(t, testPart, 4*blockSize)
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("w%d", i)
			data := pattern(10*testPart+i, uint64(40+i))
			s := newWriteSession(f.deps, key, nil)
			defer s.Abort()
			for off := 0; off < len(data); off += 300 {
				if err := s.WriteAt(context.Background(), data[off:min(len(data), off+300)], int64(off)); err != nil {
					errs <- err
					return
				}
			}
			if _, err := s.Commit(context.Background(), key, s3backend.Meta{}); err != nil {
				errs <- err
				return
			}
			if got, _ := f.store.Data(key); string(got) != string(data) {
				errs <- fmt.Errorf("%s: content differs", key)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(hangBound):
		t.Fatal("writers sharing a tiny budget hang")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := f.deps.pool.stats(); s.peak > s.limit {
		t.Errorf("peak %d bytes over the budget of %d", s.peak, s.limit)
	}
	f.nothingHeld()
}
