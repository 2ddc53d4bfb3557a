package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// downStore is a memStore whose GETs fail with ErrUnavailable while down.
type downStore struct {
	*memstore.Store
	down atomic.Bool
	gets atomic.Int32
}

// errDown is what every request to a down downStore fails with.
var errDown = fmt.Errorf("store down: %w", s3backend.ErrUnavailable)

func (s *downStore) ListPages(ctx context.Context, prefix string, fn func(page s3backend.Listing) error) error {
	if s.down.Load() {
		return fmt.Errorf("list %q: %w", prefix, errDown)
	}
	return s.Store.ListPages(ctx, prefix, fn)
}

func (s *downStore) ListPage(ctx context.Context, prefix, startAfter string, maxKeys int) (s3backend.Listing, error) {
	if s.down.Load() {
		return s3backend.Listing{}, fmt.Errorf("list %q: %w", prefix, errDown)
	}
	return s.Store.ListPage(ctx, prefix, startAfter, maxKeys)
}

func (s *downStore) Stat(ctx context.Context, key string) (s3backend.Object, error) {
	if s.down.Load() {
		return s3backend.Object{}, fmt.Errorf("head %q: %w", key, errDown)
	}
	return s.Store.Stat(ctx, key)
}

func (s *downStore) HasPrefix(ctx context.Context, prefix string) (bool, error) {
	if s.down.Load() {
		return false, fmt.Errorf("probe %q: %w", prefix, errDown)
	}
	return s.Store.HasPrefix(ctx, prefix)
}

func (s *downStore) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	s.gets.Add(1)
	if s.down.Load() {
		return nil, fmt.Errorf("get %q: %w", key, s3backend.ErrUnavailable)
	}
	return s.Store.OpenRange(ctx, key, etag, off, n)
}

// The kernel asks twice for a page whose read-ahead failed; the second ask
// is answered from the first failure, so one read(2) costs one operation
// (and one OperationTimeout) during an outage, and a read after the short
// repeat window asks the server again.
func TestFailedReadIsNotAskedTwice(t *testing.T) {
	st := &downStore{Store: memstore.New()}
	st.Set("f.txt", []byte("hello"))
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	mnt := testMount(t, st, "", opt, true)
	f, err := os.Open(filepath.Join(mnt, "f.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st.down.Store(true)
	buf := make([]byte, 100)
	if _, err := f.ReadAt(buf, 0); !errors.Is(err, syscall.EIO) {
		t.Fatalf("read during the outage: %v, want EIO", err)
	}
	if n := st.gets.Load(); n != 1 {
		t.Errorf("one failed read(2) sent %d GETs, want 1", n)
	}
	clock.Advance(repeatWindow)
	st.down.Store(false)
	if n, err := f.ReadAt(buf, 0); n != 5 || string(buf[:n]) != "hello" {
		t.Errorf("read after the outage: %q, %v", buf[:n], err)
	}
}
