// Package testenv holds what tests need from the machine: FUSE, and the
// rule that in CI (CI=true) a missing requirement fails instead of skipping.
package testenv

import (
	"os"
	"os/exec"
	"testing"
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
