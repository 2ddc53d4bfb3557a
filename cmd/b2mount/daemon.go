package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// daemonEnv marks the process a daemon's parent started: it serves the
// mount and reports to the parent on file descriptor 3 (the
// gcsfuse/jacobsa daemonize pattern: a re-exec, never a fork, which Go
// cannot do safely).
const daemonEnv = "_B2MOUNT_DAEMON"

// The status lines the daemon writes its parent, once: "ready" with an
// optional warning, or "error CODE MESSAGE" with the exit code and the
// one line the foreground would have printed.
const (
	statusReady = "ready"
	statusError = "error"
)

// runDaemonParent starts b2mount again, as argv0 with args, in the
// background, and returns once it has mounted (0) or failed (its exit
// code, with its one-line error on stderr). The daemon stays in this
// process group, and in its session: autofs tells its own mounting
// processes by their process group, and setsid would hide the daemon from
// it. Its stdin and stdout are /dev/null; it keeps stderr until it has
// mounted (a crash before then reaches the user), then lets go of it, so
// that nothing waits on the daemon for the end of the output.
func runDaemonParent(ctx context.Context, c *config, argv0 string, args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "b2mount: "+format+"\n", a...)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("cannot start the daemon: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fail("cannot start the daemon: %v", err)
	}
	defer r.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return fail("cannot start the daemon: %v", err)
	}
	defer devnull.Close()
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = argv0
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, stderr
	cmd.ExtraFiles = []*os.File{w} // fd 3
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fail("cannot start the daemon: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSuffix(s, "\n")
	}()

	var status string
	select {
	case status = <-line:
	case <-time.After(c.daemonWait):
		stopDaemon(cmd, exited)
		return fail("%s was not mounted within %v (--daemon-wait); the daemon was stopped", c.mountpoint, c.daemonWait)
	case <-ctx.Done():
		stopDaemon(cmd, exited)
		return fail("interrupted before %s was mounted; the daemon was stopped", c.mountpoint)
	}
	verb, rest, _ := strings.Cut(status, " ")
	switch verb {
	case statusReady:
		if rest != "" {
			fmt.Fprintf(stderr, "b2mount: warning: %s\n", rest)
		}
		if !c.helper { // mount(8)'s helpers say nothing when all is well
			fmt.Fprintf(stdout, "b2mount: mounted at %s; the daemon (pid %d) serves it until umount %s\n",
				c.mountpoint, cmd.Process.Pid, c.mountpoint)
		}
		return 0
	case statusError:
		code, msg, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(code)
		if err != nil || n == 0 {
			n = 1
		}
		fmt.Fprintf(stderr, "b2mount: %s\n", msg)
		if n == 2 {
			fmt.Fprintln(stderr, "Run 'b2mount --help' for the flags and settings.")
		}
		<-exited
		return n
	}
	err = <-exited // it closed the pipe without a word: it died
	return fail("the daemon exited before mounting (%v)", err)
}

// stopDaemon ends a daemon that did not report in time: SIGTERM (which
// unmounts what it may have mounted), then SIGKILL.
func stopDaemon(cmd *exec.Cmd, exited <-chan error) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(2 * unmountWait):
		cmd.Process.Kill()
		<-exited
	}
}

// daemonStatus is the daemon's side of the status pipe.
type daemonStatus struct {
	f *os.File // fd 3; nil once reported
}

// openDaemonStatus returns the status pipe when this process is a daemon
// its parent started (daemonEnv), else nil. It takes daemonEnv out of the
// environment, so that nothing this process starts takes itself for one.
func openDaemonStatus() *daemonStatus {
	if os.Getenv(daemonEnv) != "1" {
		return nil
	}
	os.Unsetenv(daemonEnv)
	return &daemonStatus{f: os.NewFile(3, "daemon-status")}
}

// ready tells the parent the mount is up, with a warning for it to show
// if there is one, and lets go of stderr (the parent's), which the daemon
// no longer writes to.
func (s *daemonStatus) ready(warning string) {
	if devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		unix.Dup3(int(devnull.Fd()), 2, 0)
		devnull.Close()
	}
	s.send(strings.TrimSpace(statusReady + " " + oneLine(warning)))
}

// fail tells the parent the mount failed, with the exit code and the
// one-line error.
func (s *daemonStatus) fail(code int, err error) {
	s.send(fmt.Sprintf("%s %d %s", statusError, code, oneLine(err.Error())))
}

func (s *daemonStatus) send(line string) {
	if s.f == nil {
		return
	}
	fmt.Fprintln(s.f, line)
	s.f.Close()
	s.f = nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
