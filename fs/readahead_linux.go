package fs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// RaiseReadAhead lets the kernel read ahead up to n bytes at a time on the
// FUSE mount at dir, so a sequential reader's requests arrive as n-byte
// READs (at most MaxReadAhead, 1 MiB). Linux starts every FUSE mount at its
// default of 128 KiB whatever the file system asks for, and only root may
// raise it (/sys/class/bdi/MAJOR:MINOR/read_ahead_kb). It never lowers the
// setting. Without the right, the mount works as before, with 128 KiB reads.
func RaiseReadAhead(dir string, n int64) error {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return fmt.Errorf("read-ahead of %s: %w", dir, err)
	}
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	path := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", major, minor)
	cur, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read-ahead of %s: %w", dir, err)
	}
	kb := n >> 10
	if v, err := strconv.ParseInt(strings.TrimSpace(string(cur)), 10, 64); err == nil && v >= kb {
		return nil
	}
	if err := os.WriteFile(path, []byte(strconv.FormatInt(kb, 10)), 0); err != nil {
		return fmt.Errorf("read-ahead of %s stays at %s KiB: %w", dir, strings.TrimSpace(string(cur)), err)
	}
	return nil
}
