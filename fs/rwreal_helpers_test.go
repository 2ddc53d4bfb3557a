package fs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// hangLimit bounds every program these tests run on a mount: only a hang
// crosses it. Nothing here asserts how fast anything is.
const hangLimit = 3 * time.Minute

// rwBucket is a bucket on a real server (behind its counting,
// fault-injecting proxy) for the tests of read-write mounts, with a client
// that talks to the server directly, so that what a test checks is what
// the server stored, never counted, faulted or served from the mount's
// caches.
type rwBucket struct {
	t      *testing.T
	srv    *s3test.Server
	name   string
	direct *s3backend.Client
}

// newRWBucket starts a server of kind with an empty bucket.
func newRWBucket(t *testing.T, kind string) *rwBucket {
	t.Helper()
	srv := testenv.StartServer(t, kind)
	const name = "rwbucket"
	if err := srv.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
	direct, err := s3backend.New(context.Background(), s3backend.Config{
		Endpoint: srv.BackendURL, Region: srv.Region, Bucket: name, KeyID: srv.KeyID, SecretKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rwBucket{t: t, srv: srv, name: name, direct: direct}
}

// on is b for the subtest t.
func (b *rwBucket) on(t *testing.T) *rwBucket {
	c := *b
	c.t = t
	return &c
}

// mount mounts the bucket read-write through the proxy (spec.bucket and
// spec.readWrite are set here).
func (b *rwBucket) mount(spec mountSpec) string {
	b.t.Helper()
	spec.bucket, spec.readWrite = b.name, true
	return mountWith(b.t, b.srv, spec)
}

// put stores data as key, out of band.
func (b *rwBucket) put(key string, data []byte) {
	b.t.Helper()
	if err := b.srv.PutObject(b.name, key, data); err != nil {
		b.t.Fatal(err)
	}
}

// stored returns the bytes the server holds as key, and false if it holds
// no such key.
func (b *rwBucket) stored(key string) ([]byte, bool) {
	b.t.Helper()
	r, err := b.direct.OpenRange(context.Background(), key, "", 0, -1)
	if errors.Is(err, s3backend.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		b.t.Fatal(err)
	}
	return data, true
}

// sameAs fails the test unless the server holds exactly the bytes of the
// local file path as key.
func (b *rwBucket) sameAs(key, path string) {
	b.t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	b.holds(key, want)
}

// holds fails the test unless the server holds exactly want as key.
func (b *rwBucket) holds(key string, want []byte) {
	b.t.Helper()
	got, ok := b.stored(key)
	switch {
	case !ok:
		b.t.Errorf("the server has no %q", key)
	case string(got) != string(want):
		b.t.Errorf("%q holds %d bytes (sha256 %s), want %d (sha256 %s)", key, len(got), digest(got), len(want), digest(want))
	}
}

// absent fails the test if the server holds key.
func (b *rwBucket) absent(key string) {
	b.t.Helper()
	_, err := b.direct.Stat(context.Background(), key)
	if !errors.Is(err, s3backend.ErrNotExist) {
		b.t.Errorf("stat %q on the server: %v, want no such key", key, err)
	}
}

// keys lists every key under prefix on the server, in order.
func (b *rwBucket) keys(prefix string) []string {
	b.t.Helper()
	l, err := b.direct.List(context.Background(), prefix)
	if err != nil {
		b.t.Fatal(err)
	}
	var out []string
	for _, o := range l.Objects {
		out = append(out, o.Key)
	}
	for _, p := range l.Prefixes {
		out = append(out, b.keys(p)...)
	}
	slices.Sort(out)
	return out
}

// uploads lists the server's unfinished multipart uploads.
func (b *rwBucket) uploads() []s3backend.Upload {
	b.t.Helper()
	ups, err := b.direct.ListUploads(context.Background(), "")
	if err != nil {
		b.t.Fatal(err)
	}
	return ups
}

// noUploads fails the test if an unfinished upload is left on the server.
func (b *rwBucket) noUploads() {
	b.t.Helper()
	if ups := b.uploads(); len(ups) != 0 {
		b.t.Errorf("unfinished uploads left on the server (B2 bills them): %+v", ups)
	}
}

// counts are the proxy's counts since the last reset, without zeros.
func (b *rwBucket) counts() map[string]int {
	c := b.srv.Proxy.Counts()
	maps.DeleteFunc(c, func(_ string, n int) bool { return n == 0 })
	return c
}

// expect fails the test unless the proxy counted exactly want since the
// last reset (every kind of request, not only writes), and logs the
// requests if not.
func (b *rwBucket) expect(what string, want map[string]int) {
	b.t.Helper()
	if got := b.counts(); !maps.Equal(got, want) {
		b.t.Errorf("%s sent %v, want exactly %v", what, got, want)
		b.logRequests()
	}
}

// writesSent are the counts of the requests that change a bucket.
func (b *rwBucket) writesSent() map[string]int {
	c := b.counts()
	maps.DeleteFunc(c, func(op string, _ int) bool { return !s3test.IsWriteOp(op) })
	return c
}

func (b *rwBucket) logRequests() {
	for _, r := range b.srv.Proxy.Requests() {
		b.t.Logf("  %s %s?%s -> %d %s%s", r.Op, r.Path, r.Query, r.Status, r.Fault, r.Refused)
	}
}

// faulted counts the requests of the proxy's log that got fault f.
func (b *rwBucket) faulted(f string) int {
	n := 0
	for _, r := range b.srv.Proxy.Requests() {
		if strings.Contains(r.Fault, f) {
			n++
		}
	}
	return n
}

// setFaults sets the proxy's faults.
func (b *rwBucket) setFaults(f s3test.Faults) {
	b.t.Helper()
	if err := b.srv.Proxy.SetFaults(f); err != nil {
		b.t.Fatal(err)
	}
}

// sameTree fails the test unless the server holds every file under the
// local dir, byte for byte, under prefix.
func (b *rwBucket) sameTree(prefix, dir string) {
	b.t.Helper()
	for _, rel := range localFiles(b.t, dir) {
		b.sameAs(prefix+filepath.ToSlash(rel), filepath.Join(dir, rel))
	}
}

func digest(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:8])
}
