package fs_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// What the tests of read-write mounts make and run locally: source files
// and trees, and programs on the mount.

// shIn runs script with sh -e in dir, with args as $1, $2..., and fails
// the test on an error. The shell changes into dir itself: a child must
// never chdir into a mount this process serves between fork and exec.
func shIn(t *testing.T, dir, script string, args ...string) string {
	t.Helper()
	res := runLimited(t, hangLimit, "sh", append([]string{"-ec", `cd "$1"; shift; ` + script, "sh", dir}, args...)...)
	if res.code != 0 {
		t.Fatalf("%s: exit %d\n%s", script, res.code, res.out)
	}
	return res.out
}

// randomFile writes size pseudo-random bytes (from seed) to path.
func randomFile(t *testing.T, path string, size int64, seed uint64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 1})
	if _, err := io.CopyN(f, src, size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// smallTree writes n small files (100 B to 40 KiB) at dir/NAME, a third
// of them in sub/, with set modification times.
func smallTree(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%02d.txt", i))
		if i%3 == 2 {
			p = filepath.Join(dir, "sub", fmt.Sprintf("g%02d.txt", i))
		}
		randomFile(t, p, int64(100+i*1700), uint64(i))
		mt := time.Date(2021, 3, 4, 5, 6, 7, 891_000_000, time.UTC).Add(time.Duration(i) * time.Hour)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
}

// localFiles lists the regular files under dir, relative to it.
func localFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitUntil polls cond until it holds or a minute passes (only a hang or
// a lost event takes that long).
func waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// startProgram starts a program whose end the test waits for itself.
func startProgram(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}
