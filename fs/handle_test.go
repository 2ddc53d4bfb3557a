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
	"time"

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
	st.Put("f.txt", []byte("hello"))
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

// During an outage a directory whose listing has expired still shows its
// last listing: ls lists it, a name in it is found and a photo already
// read opens from the kernel's cache, while a name not in it is EIO (never
// ENOENT). Once the store answers again, the next ls lists afresh.
func TestOutageShowsTheExpiredListing(t *testing.T) {
	st := &downStore{Store: memstore.New()}
	st.Put("photos/a.jpg", []byte("photo a"))
	st.Put("photos/b.jpg", []byte("photo b"))
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	mnt := testMount(t, st, "", opt, false) // no kernel entry cache: every stat asks b2mount
	p := func(name string) string { return filepath.Join(mnt, "photos", name) }
	if got := names(t, filepath.Join(mnt, "photos")); fmt.Sprint(got) != "[a.jpg b.jpg]" {
		t.Fatalf("ls photos: %v", got)
	}
	if data, err := os.ReadFile(p("a.jpg")); err != nil || string(data) != "photo a" {
		t.Fatalf("read a.jpg: %q, %v", data, err)
	}

	clock.Advance(opt.MetadataTTL + time.Second)
	st.down.Store(true)
	if got := names(t, filepath.Join(mnt, "photos")); fmt.Sprint(got) != "[a.jpg b.jpg]" {
		t.Errorf("ls photos during the outage: %v, want the expired listing", got)
	}
	if info, err := os.Stat(p("b.jpg")); err != nil || info.Size() != 7 {
		t.Errorf("stat b.jpg during the outage: %v, %v", info, err)
	}
	if _, err := os.Stat(p("c.jpg")); !errors.Is(err, syscall.EIO) {
		t.Errorf("stat of a name the expired listing lacks: %v, want EIO", err)
	}
	if data, err := os.ReadFile(p("a.jpg")); err != nil || string(data) != "photo a" {
		t.Errorf("read a.jpg (cached) during the outage: %q, %v", data, err)
	}
	if _, err := os.ReadFile(p("b.jpg")); !errors.Is(err, syscall.EIO) {
		t.Errorf("read b.jpg (never read) during the outage: %v, want EIO", err)
	}

	st.down.Store(false)
	st.Put("photos/c.jpg", []byte("photo c"))
	if got := names(t, filepath.Join(mnt, "photos")); fmt.Sprint(got) != "[a.jpg b.jpg c.jpg]" {
		t.Errorf("ls photos after the outage: %v, want a fresh listing", got)
	}
}
