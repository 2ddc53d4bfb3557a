package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	b2fs "github.com/b2mount/b2mount/fs"
)

// mountWait bounds how long a contender may take to show up mounted.
const mountWait = 30 * time.Second

// mountProc is one running FUSE mount process, started by us.
type mountProc struct {
	name   string
	dir    string
	cmd    *exec.Cmd
	out    *tailBuffer
	exited chan struct{} // closed once the process has been reaped
}

// startMount runs cmd (a FUSE daemon in the foreground) and waits until
// dir shows up in /proc/self/mountinfo.
func startMount(ctx context.Context, name, dir string, cmd *exec.Cmd) (*mountProc, error) {
	m := &mountProc{name: name, dir: dir, cmd: cmd, out: &tailBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = m.out, m.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		_ = cmd.Wait()
		close(m.exited)
	}()
	deadline := time.NewTimer(mountWait)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !isMounted(dir) {
		select {
		case <-m.exited:
			return nil, fmt.Errorf("%s exited before mounting: %s", name, m.out.tail())
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		case <-deadline.C:
			m.stop()
			return nil, fmt.Errorf("%s did not mount within %v: %s", name, mountWait, m.out.tail())
		case <-tick.C:
		}
	}
	return m, nil
}

// peakRSS is the process's VmHWM in bytes.
func (m *mountProc) peakRSS() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("%s status: %w", m.name, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s VmHWM %q: %w", m.name, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("%s: no VmHWM in /proc/%d/status", m.name, m.cmd.Process.Pid)
}

// clockTicks is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100
// on every Linux).
const clockTicks = 100

// cpuSeconds is the user and system CPU time the process has used so far.
func (m *mountProc) cpuSeconds() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("%s stat: %w", m.name, err)
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is the first, utime the 12th, stime the 13th.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("%s: short /proc/%d/stat", m.name, m.cmd.Process.Pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%s /proc/%d/stat: %w", m.name, m.cmd.Process.Pid, err)
	}
	return float64(utime+stime) / clockTicks, nil
}

// stop unmounts and waits for the process; it signals the process by its
// PID if it does not leave on its own, and detaches the mount lazily if
// the kernel still holds it.
func (m *mountProc) stop() {
	if isMounted(m.dir) {
		_ = exec.Command("fusermount3", "-u", m.dir).Run()
	}
	for _, sig := range []syscall.Signal{0, syscall.SIGTERM, syscall.SIGKILL} {
		if sig != 0 {
			_ = m.cmd.Process.Signal(sig)
		}
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
			continue
		}
		break
	}
	if isMounted(m.dir) {
		_ = exec.Command("fusermount3", "-u", "-z", m.dir).Run()
	}
}

// isMounted reports whether dir is a mount point.
func isMounted(dir string) bool {
	_, ok, _ := b2fs.MountedAt(dir)
	return ok
}

// tailBuffer keeps the last 4 KiB a process wrote.
type tailBuffer struct {
	mu  sync.Mutex // guards buf
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-4096:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, nil)))
}

var errNotInstalled = errors.New("not installed")
