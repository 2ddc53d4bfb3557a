package fs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// The kernel may send one handle's writes and reads in parallel, and a
// flush (Commit) meanwhile: each call sees the content whole, commits in
// between store what was written by then, and the last commit holds every
// write. (Run with -race.)
func TestWriteConcurrentCallsOnOneSession(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	const writers, region = 8, 2500
	want := pattern(writers*region, 80)
	s := f.session("k", f.object("k", pattern(writers*region, 81)))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo := w * region
			for off := lo; off < lo+region; off += 100 {
				if err := s.WriteAt(ctx, want[off:off+100], int64(off)); err != nil {
					errs <- err
					return
				}
				got := make([]byte, 100)
				if _, err := s.ReadAt(ctx, got, int64(off)); err != nil || string(got) != string(want[off:off+100]) {
					errs <- fmt.Errorf("read back at %d: %v", off, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 3 {
			if _, err := s.Commit(ctx, "k", s3backend.Meta{}); err != nil {
				errs <- err
				return
			}
			_, _ = s.Size(), s.Dirty()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	f.commit(s, "k", want)
	f.nothingHeld()
}

// A stream written by one goroutine while others ask its size, read part
// 1 and commit: all agree, and the file is whole. (Run with -race.)
func TestStreamConcurrentCalls(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("k", nil)
	ctx := context.Background()
	data := pattern(10*testPart+3, 82)
	var wg sync.WaitGroup
	wg.Add(2)
	stop := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(stop)
		f.write(s, data, 0, 100)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := s.Size(); n < 0 || n > int64(len(data)) {
				t.Errorf("size %d", n)
			}
			_ = s.Dirty()
		}
	}()
	wg.Wait()
	got := make([]byte, 10)
	if _, err := s.ReadAt(ctx, got, 0); err != nil || !slices.Equal(got, data[:10]) {
		t.Errorf("read of part 1: %q, %v", got, err)
	}
	f.commit(s, "k", data)
	f.nothingHeld()
}

// getGate holds every GET until open is closed.
type getGate struct {
	*memstore.Store
	open    chan struct{}
	waiting chan struct{} // receives one value per GET held
}

func (g *getGate) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	select {
	case g.waiting <- struct{}{}:
	default:
	}
	<-g.open
	return g.Store.OpenRange(ctx, key, etag, off, n)
}

// A download of base bytes that a write changes meanwhile never
// overwrites what was written.
func TestStageDownloadNeverOverwritesAWrite(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	old := pattern(1500, 83)
	base := f.object("k", old)
	g := &getGate{Store: f.store, open: make(chan struct{}), waiting: make(chan struct{}, 1)}
	f.deps.store = g
	s := f.session("k", base)
	ctx := context.Background()
	read := make(chan error, 1)
	go func() {
		_, err := s.ReadAt(ctx, make([]byte, 1000), 0)
		read <- err
	}()
	<-g.waiting // the read's download is on its way
	f.write(s, []byte("written"), 500, 7)
	close(g.open)
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(old)
	copy(want[500:], "written")
	if got := f.read(s, 0, 1500); string(got) != string(want) {
		t.Errorf("the download overwrote the write: %q", got[500:507])
	}
	f.commit(s, "k", want)
}
