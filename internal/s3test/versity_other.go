//go:build !linux

package s3test

import "syscall"

// sysProcAttr has no parent-death signal outside Linux.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// xattrSupported is false outside Linux: versitygw then uses a sidecar
// directory for metadata, which works on any filesystem.
func xattrSupported(string) bool { return false }
