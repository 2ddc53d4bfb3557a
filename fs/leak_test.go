package fs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// leakChildEnv tells the test binary it is the child process of
// TestOpenReadCloseLeavesNothingBehind.
const leakChildEnv = "B2MOUNT_LEAK_CHILD"

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// steady returns the goroutine and descriptor counts once they stop
// changing (three equal samples 50ms apart, or after 3s).
func steady(t *testing.T) (int, int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	g, f, same := runtime.NumGoroutine(), openFDs(t), 0
	for same < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		g2, f2 := runtime.NumGoroutine(), openFDs(t)
		if g2 == g && f2 == f {
			same++
		} else {
			g, f, same = g2, f2, 0
		}
	}
	return g, f
}

// settle waits until the goroutines and descriptors are back within
// tolerance of the baseline, and returns the last counts: the prefetches
// of a closed file and the connections of the cancelled GETs end
// asynchronously, in milliseconds. It gives up after 30s, which only a leak
// (or a hang) outlasts.
func settle(t *testing.T, goroutines, fds, tolerance int) (int, int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if (g <= goroutines+tolerance && f <= fds+tolerance) || time.Now().After(deadline) {
			return g, f
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// 10,000 open/read/close cycles of a mounted file leave no goroutine and no
// file descriptor behind. The mount runs in this process, over HTTP
// straight to versitygw (no proxy): the leaks this looks for are the
// mount's and its client's, and a server in another process keeps the
// race detector's cost to those (about 3ms a cycle). Every read goes to the mount
// (O_DIRECT bypasses the page cache) and starts a prefetch; each close
// cancels whatever is still in flight.
//
// It counts the whole process's goroutines, so it runs alone in a child
// process (this test binary, told so by leakChildEnv), which lets it run in
// parallel with the other tests.
func TestOpenReadCloseLeavesNothingBehind(t *testing.T) {
	if os.Getenv(leakChildEnv) == "" {
		testenv.RequireFUSE(t)
		t.Parallel()
		cmd := exec.Command(os.Args[0], "-test.run=^TestOpenReadCloseLeavesNothingBehind$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), leakChildEnv+"=1")
		out, err := cmd.CombinedOutput()
		t.Logf("child process:\n%s", out)
		if err != nil {
			t.Fatalf("child process: %v", err)
		}
		return
	}
	const cycles = 10_000
	const tolerance = 10
	srv := testenv.StartServer(t, s3test.KindVersity)
	const bucket = "cycles"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(32<<10, 5) // small: 10,000 cycles must not move gigabytes
	if err := srv.PutObject(bucket, "f.bin", data); err != nil {
		t.Fatal(err)
	}
	mnt := mountWith(t, srv, mountSpec{bucket: bucket, direct: true})
	path := filepath.Join(mnt, "f.bin")
	buf := make([]byte, 4<<10)
	cycle := func(i int) {
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECT, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// Mostly a sequential start (a prefetch of the whole file, often
		// still in flight at the close); every 16th cycle a jump (a
		// direct GET).
		off := int64(0)
		if i%16 == 15 {
			off = int64(1+i%7) << 12
		}
		n, err := f.ReadAt(buf, off)
		if err != nil || n != len(buf) || string(buf[:16]) != string(data[off:off+16]) {
			t.Fatalf("cycle %d: read %d bytes at %d: %v", i, n, off, err)
		}
	}
	for i := range 100 { // warm up: connection pools, buffers, go-fuse's readers
		cycle(i)
	}
	g0, f0 := steady(t)
	start := time.Now()
	for i := range cycles {
		cycle(i)
	}
	elapsed := time.Since(start)
	g1, f1 := settle(t, g0, f0, tolerance)
	t.Logf("%d cycles in %s: goroutines %d -> %d, fds %d -> %d", cycles, elapsed.Round(time.Millisecond), g0, g1, f0, f1)
	if g1 > g0+tolerance || f1 > f0+tolerance {
		buf := make([]byte, 1<<20)
		t.Errorf("after %d open/read/close cycles: goroutines %d -> %d, fds %d -> %d (tolerance %d)\n%s",
			cycles, g0, g1, f0, f1, tolerance, buf[:runtime.Stack(buf, true)])
	}
}
