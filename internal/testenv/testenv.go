// Package testenv holds what tests need from the machine: FUSE, and the
// rule that in CI (CI=true) a missing requirement fails instead of skipping.
package testenv

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// InCI reports whether the tests run in CI, where nothing may be skipped
// for want of a tool.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require skips t (or fails it in CI) with the reason why.
func Require(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("CI=true but %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// RequireFUSE checks that this machine can mount: /dev/fuse opens and
// fusermount3 is on PATH.
func RequireFUSE(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err == nil {
		f.Close()
	}
	Require(t, err == nil, "/dev/fuse cannot be opened")
	_, err = exec.LookPath("fusermount3")
	Require(t, err == nil, "fusermount3 is not installed (apt-get install -y fuse3)")
}

// StartServer starts an S3 server of the given kind (s3test.KindEmbedded
// or s3test.KindVersity) for one test and stops it by its PID when the
// test ends. A missing versitygw skips the test, or fails it in CI.
func StartServer(t testing.TB, kind string) *s3test.Server {
	t.Helper()
	return startServer(t, kind)
}

// StartVersityWithUsers starts versitygw like StartServer, with its
// internal IAM service on (s3test.WithIAM), so that the test can add keys
// other than the root's with Server.CreateUser.
func StartVersityWithUsers(t testing.TB) *s3test.Server {
	t.Helper()
	return startServer(t, s3test.KindVersity, s3test.WithIAM())
}

func startServer(t testing.TB, kind string, opts ...s3test.VersityOption) *s3test.Server {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	var srv *s3test.Server
	var err error
	switch kind {
	case s3test.KindEmbedded:
		srv, err = s3test.StartEmbedded(logger)
	case s3test.KindVersity:
		bin, ferr := s3test.FindVersity()
		Require(t, ferr == nil, "versitygw is not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
		srv, err = s3test.StartVersity(context.Background(), bin, filepath.Join(t.TempDir(), "data"), logger, opts...)
	default:
		t.Fatalf("unknown server kind %q", kind)
	}
	if err != nil {
		t.Fatalf("start %s: %v", kind, err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("stop %s: %v", kind, err)
		}
	})
	return srv
}

// ServerKinds are the servers every integration test runs against.
var ServerKinds = []string{s3test.KindEmbedded, s3test.KindVersity}

// Clock is a settable clock for tests of TTLs: pass its Now as the clock
// and move time with Advance instead of sleeping. Safe for concurrent use.
type Clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

// NewClock returns a Clock set to 2025-01-01 00:00 UTC.
func NewClock() *Clock {
	return &Clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
