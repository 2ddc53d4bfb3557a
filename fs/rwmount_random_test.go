package fs_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// maxRandomSize keeps every file of the random test under two parts, so
// that no streamed upload ever refuses an access (the writer's own random
// test covers those refusals).
const maxRandomSize = 9 << 20

// Thousands of random file operations through a mount, each checked
// against the model (rwmount_model_test.go): opens with every access mode
// and O_CREAT, O_TRUNC, O_APPEND; writes and pwrites at random offsets,
// holes included; reads, seeks, ftruncate, fsync, close, reopen, stat,
// unlink. What close and fsync commit is compared with the bucket, byte
// for byte. One handle per file at a time.
func TestRandomOperationsOnAMount(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		ops := 500
		if seed == 1 {
			ops = 2000
		}
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			st := memstore.New()
			opt := fs.DefaultOptions()
			opt.FileMode, opt.DirMode = 0o644, 0o755
			opt.Writes = fs.WriteOptions{Enabled: true, StateDir: t.TempDir(), RenameDirLimit: 1000}
			root, err := fs.NewRoot(st, "", opt)
			if err != nil {
				t.Fatal(err)
			}
			mnt := testenv.Mount(t, root, fs.GoFuseOptions(opt, "b2:random", false))
			randomMountOps(t, mnt, seed, ops, st.Data)
		})
	}
}

// A shorter run of the same through versitygw and its proxy.
func TestRandomOperationsThroughVersity(t *testing.T) {
	b := newRWBucket(t, s3test.KindVersity)
	randomMountOps(t, b.mount(mountSpec{}), 1, 300, b.stored)
}

// runner drives one random run.
type runner struct {
	t      *testing.T
	mnt    string
	r      *rand.Rand
	m      *model
	stored func(key string) ([]byte, bool)
	trail  []string // the operations so far, for a failure's report
}

func (x *runner) note(format string, args ...any) {
	x.trail = append(x.trail, fmt.Sprintf(format, args...))
}

func (x *runner) fail(format string, args ...any) {
	x.t.Helper()
	last := x.trail[max(0, len(x.trail)-25):]
	x.t.Fatalf("after %d operations: %s\nthe last ones:\n  %s", len(x.trail), fmt.Sprintf(format, args...), strings.Join(last, "\n  "))
}

func randomMountOps(t *testing.T, mnt string, seed uint64, ops int, stored func(string) ([]byte, bool)) {
	names := []string{"a", "b", "c", "d", "e", "dir/f"}
	if err := os.Mkdir(filepath.Join(mnt, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := &runner{t: t, mnt: mnt, r: rand.New(rand.NewPCG(seed, 0x5eed)), m: newModel(names), stored: stored}
	defer func() {
		for _, h := range x.m.handles {
			syscall.Close(h.fd)
		}
	}()
	for range ops {
		name := names[x.r.IntN(len(names))]
		if h := x.m.handles[name]; h != nil {
			x.handleOp(h)
		} else {
			x.nameOp(name)
		}
	}
	for _, name := range names {
		if h := x.m.handles[name]; h != nil {
			x.close(h)
		}
	}
	tally := map[string]int{}
	for _, op := range x.trail {
		tally[strings.Fields(op)[0]]++
	}
	t.Logf("seed %d: %v", seed, tally)
	for _, name := range names {
		x.checkStored(name)
		got, err := os.ReadFile(filepath.Join(mnt, name))
		f := x.m.files[name]
		switch {
		case !f.exists && !os.IsNotExist(err):
			x.fail("%s: read %v, want no such file", name, err)
		case f.exists && (err != nil || !bytes.Equal(got, f.data)):
			x.fail("%s: read back %s (%v), want %s", name, describe(got), err, describe(f.data))
		}
	}
}

func (x *runner) path(name string) string { return filepath.Join(x.mnt, name) }

// nameOp is an operation on a name no handle is open on.
func (x *runner) nameOp(name string) {
	switch k := x.r.IntN(10); {
	case k < 7:
		x.open(name, randomFlags(x.r))
	case k < 9:
		x.stat(name)
	default:
		f := x.m.files[name]
		if !f.exists {
			return
		}
		x.note("unlink %s", name)
		if err := syscall.Unlink(x.path(name)); err != nil {
			x.fail("unlink %s: %v", name, err)
		}
		*f = mfile{}
		x.checkStored(name)
	}
}

func (x *runner) open(name string, flags int) {
	x.note("open %s %s", name, flagNames(flags))
	h, want := x.m.open(name, flags)
	fd, err := syscall.Open(x.path(name), flags|syscall.O_CLOEXEC, 0o644)
	switch {
	case want != 0 && err == nil:
		syscall.Close(fd)
		x.fail("open %s %s succeeded, want %v", name, flagNames(flags), want)
	case want != 0 && err != want:
		x.fail("open %s %s: %v, want %v", name, flagNames(flags), err, want)
	case want != 0:
		return
	case err != nil:
		x.fail("open %s %s: %v", name, flagNames(flags), err)
	}
	h.fd = fd
	x.m.handles[name] = h
}

func (x *runner) stat(name string) {
	x.note("stat %s", name)
	var st syscall.Stat_t
	err := syscall.Stat(x.path(name), &st)
	switch {
	case !x.m.files[name].exists:
		if err != syscall.ENOENT {
			x.fail("stat %s: %v, want ENOENT", name, err)
		}
	case err != nil:
		x.fail("stat %s: %v", name, err)
	case st.Size != x.m.visibleSize(name):
		x.fail("stat %s: size %d, want %d", name, st.Size, x.m.visibleSize(name))
	}
}

// checkStored compares what the bucket holds as name with the model.
func (x *runner) checkStored(name string) {
	f := x.m.files[name]
	got, ok := x.stored(name)
	switch {
	case ok != f.stored:
		x.fail("%s in the bucket: %v, want %v", name, ok, f.stored)
	case ok && !bytes.Equal(got, f.data):
		x.fail("%s in the bucket holds %s, want %s (first difference at %d)", name, describe(got), describe(f.data), firstDifference(got, f.data))
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func (x *runner) close(h *mhandle) {
	x.note("close %s", h.name)
	if err := syscall.Close(h.fd); err != nil {
		x.fail("close %s: %v", h.name, err)
	}
	delete(x.m.handles, h.name)
	x.m.commit(h)
	x.checkStored(h.name)
}
