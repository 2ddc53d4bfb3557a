package fs

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// callerPID is the process (thread) a FUSE request came from, or 0.
func callerPID(ctx context.Context) uint32 {
	if c, ok := ctx.(*fuse.Context); ok {
		return c.Caller.Pid
	}
	return 0
}

// pfExiting is the kernel's PF_EXITING task flag: the task is in exit(2),
// closing its files.
const pfExiting = 0x4

// callerKilled reports whether process pid is dying of a signal: exiting
// with a signal as its exit status (the kernel closes a killed process's
// files, and so flushes them, on its way out), or with SIGKILL pending
// (the kernel turns every fatal signal into one). A program that exits
// normally, without closing its files first, is not dying of a signal: its
// files are uploaded.
func callerKilled(pid uint32) bool {
	if pid == 0 {
		return false
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name, which may hold spaces: state
		// (3) is at 0, flags (9) at 6, exit_code (52) at 49.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 49 {
				flags, _ := strconv.ParseUint(f[6], 10, 64)
				code, _ := strconv.ParseInt(f[49], 10, 64)
				if flags&pfExiting != 0 && code&0x7f != 0 {
					return true
				}
			}
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "SigPnd" && name != "ShdPnd") {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64)
		if err == nil && mask&(1<<(9-1)) != 0 { // SIGKILL is 9
			return true
		}
	}
	return false
}
