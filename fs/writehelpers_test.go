package fs

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// testJournal records what the writer tells the upload journal.
type testJournal struct {
	mu          sync.Mutex // guards the fields below
	startedIDs  []string   // upload ids
	finishedIDs []string
	fail        error // started fails with it when set
}

func (j *testJournal) started(up s3backend.Upload) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.startedIDs = append(j.startedIDs, up.ID)
	return j.fail
}

func (j *testJournal) finished(up s3backend.Upload) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finishedIDs = append(j.finishedIDs, up.ID)
}

// balanced reports whether every upload started was finished, once, and
// how many there were.
func (j *testJournal) balanced() (bool, int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	open := map[string]int{}
	for _, id := range j.startedIDs {
		open[id]++
	}
	for _, id := range j.finishedIDs {
		open[id]--
	}
	for _, n := range open {
		if n != 0 {
			return false, len(j.startedIDs)
		}
	}
	return true, len(j.startedIDs)
}

// writeFixture is a writer's world: a memstore with parts of first bytes,
// a memory budget, a staging directory and a journal.
type writeFixture struct {
	t       *testing.T
	store   *memstore.Store
	deps    *writeDeps
	journal *testJournal
}

var testClock = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// newWriteFixture returns a fixture with parts of first bytes and a memory
// budget of budget bytes (whole blocks).
func newWriteFixture(t *testing.T, first, budget int64) *writeFixture {
	st := memstore.New()
	st.SetMinPartSize(first)
	j := &testJournal{}
	d := &writeDeps{
		store: st, pool: newBufPool(budget), staging: t.TempDir(), journal: j,
		clock: func() time.Time { return testClock }, log: slog.New(slog.DiscardHandler), firstPart: first,
	}
	return &writeFixture{t: t, store: st, deps: d, journal: j}
}

// session starts a session of key on base (nil: a new file), aborted at
// the end of the test.
func (f *writeFixture) session(key string, base *s3backend.Object) *writeSession {
	s := newWriteSession(f.deps, key, base)
	f.t.Cleanup(s.Abort)
	return s
}

// object stores data as key out of band and returns it as a listing would.
func (f *writeFixture) object(key string, data []byte) *s3backend.Object {
	f.store.Set(key, data)
	obj, err := f.store.Stat(context.Background(), key)
	if err != nil {
		f.t.Fatal(err)
	}
	f.store.ResetCounts()
	return &obj
}

// counts fails the test unless the store answered exactly want since the
// last reset (no HEAD, no LIST, nothing else).
func (f *writeFixture) counts(want map[string]int) {
	f.t.Helper()
	if got := f.store.Counts(); !maps.Equal(got, want) {
		f.t.Errorf("requests %v, want exactly %v", got, want)
	}
}

// write writes data at off in chunks of chunk bytes, in order.
func (f *writeFixture) write(s *writeSession, data []byte, off int64, chunk int) {
	f.t.Helper()
	for i := 0; i < len(data); i += chunk {
		p := data[i:min(len(data), i+chunk)]
		if err := s.WriteAt(context.Background(), p, off+int64(i)); err != nil {
			f.t.Fatalf("write %d bytes at %d: %v", len(p), off+int64(i), err)
		}
	}
}

// commit commits s as key and checks the object holds want.
func (f *writeFixture) commit(s *writeSession, key string, want []byte) s3backend.Object {
	f.t.Helper()
	obj, err := s.Commit(context.Background(), key, s3backend.Meta{})
	if err != nil {
		f.t.Fatalf("commit: %v", err)
	}
	f.stored(key, want)
	if obj.Size != int64(len(want)) || obj.Key != key {
		f.t.Errorf("commit returned %+v, want %d bytes of %q", obj, len(want), key)
	}
	if s.Dirty() {
		f.t.Error("the session is dirty after its commit")
	}
	return obj
}

// stored checks that key holds want.
func (f *writeFixture) stored(key string, want []byte) {
	f.t.Helper()
	got, ok := f.store.Data(key)
	if !ok {
		f.t.Fatalf("nothing stored as %q", key)
	}
	if string(got) != string(want) {
		f.t.Fatalf("%q holds %d bytes that differ from the %d written (first difference at %d)", key, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// read reads n bytes at off from s.
func (f *writeFixture) read(s *writeSession, off int64, n int) []byte {
	f.t.Helper()
	p := make([]byte, n)
	k, err := s.ReadAt(context.Background(), p, off)
	if err != nil && err != io.EOF {
		f.t.Fatalf("read %d bytes at %d: %v", n, off, err)
	}
	return p[:k]
}

// nothingHeld fails the test unless the memory budget is all back, no
// upload is unfinished, and every upload started was finished.
func (f *writeFixture) nothingHeld() {
	f.t.Helper()
	if in := f.deps.pool.stats().inUse; in != 0 {
		f.t.Errorf("the sessions still hold %d bytes of the memory budget", in)
	}
	if n := f.store.Uploads(); n != 0 {
		f.t.Errorf("%d multipart uploads left unfinished", n)
	}
	if ok, _ := f.journal.balanced(); !ok {
		f.t.Errorf("journal: started %v, finished %v", f.journal.startedIDs, f.journal.finishedIDs)
	}
}

// stagingFiles lists the staging directory.
func (f *writeFixture) stagingFiles() []string {
	f.t.Helper()
	ents, err := os.ReadDir(f.deps.staging)
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// openPartFiles counts the part files of the staging directory this
// process holds open: they are unlinked at once, so only /proc sees them.
func (f *writeFixture) openPartFiles() int {
	f.t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		f.t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, filepath.Join(f.deps.staging, "part-")) {
			n++
		}
	}
	return n
}

// partGate holds every UploadPart until the gate is opened (closed).
type partGate struct {
	*memstore.Store
	gate chan struct{}

	mu      sync.Mutex // guards waiting
	waiting int        // parts held at the gate
}

func (g *partGate) UploadPart(ctx context.Context, up s3backend.Upload, n int32, body io.ReaderAt, size int64) (s3backend.Part, error) {
	g.mu.Lock()
	g.waiting++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}()
	select {
	case <-g.gate:
	case <-ctx.Done():
		return s3backend.Part{}, ctx.Err()
	}
	return g.Store.UploadPart(ctx, up, n, body, size)
}

func (g *partGate) held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// gate makes the fixture's part uploads wait until the returned function
// is called.
func (f *writeFixture) gate() (*partGate, func()) {
	g := &partGate{Store: f.store, gate: make(chan struct{})}
	f.deps.store = g
	var once sync.Once
	return g, func() { once.Do(func() { close(g.gate) }) }
}
