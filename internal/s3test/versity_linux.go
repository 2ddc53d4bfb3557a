//go:build linux

package s3test

import (
	"os"
	"syscall"
)

// sysProcAttr makes the kernel SIGKILL versitygw if the thread that
// started it dies, so a crashed test binary leaves no server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// xattrSupported reports whether dir's filesystem accepts user xattrs,
// which versitygw's posix backend needs unless given a sidecar directory.
func xattrSupported(dir string) bool {
	f, err := os.CreateTemp(dir, ".xattr-probe-*")
	if err != nil {
		return false
	}
	name := f.Name()
	_ = f.Close()
	defer os.Remove(name)
	return syscall.Setxattr(name, "user.b2mount.probe", []byte("1"), 0) == nil
}
