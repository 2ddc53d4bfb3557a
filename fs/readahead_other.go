//go:build !linux

package fs

// RaiseReadAhead does nothing outside Linux.
func RaiseReadAhead(dir string, n int64) error { return nil }
