package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
)

// hangWait bounds every wait of these tests (the ready line, the exit
// after a signal, a reader's error): only a hang crosses it. Nothing here
// asserts how fast b2mount is.
const hangWait = 60 * time.Second

// binary is the b2mount built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "b2mount-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "b2mount")
	// -buildvcs=auto records the commit where the checkout allows, whatever
	// GOFLAGS says (--version prints it).
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build b2mount: %v\n%s", err, out)
		os.Exit(1)
	}
	// Daemons outlive the commands that start them: as their subreaper
	// this process can read their exit status (daemonhelpers_test.go).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func mounted(dir string) bool {
	_, ok, _ := fs.MountedAt(dir)
	return ok
}

// serverEnv is a minimal environment that points b2mount at srv with its
// root key in the environment.
func serverEnv(t *testing.T, srv *s3test.Server) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"ENDPOINT=" + srv.URL, "KEY_ID_RO=" + srv.KeyID, "APPLICATION_KEY_RO=" + srv.SecretKey}
}

// waitFor polls cond every 20ms until it holds, or fails the test after
// hangWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer that a process may write while the test
// reads it.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mountProc is one b2mount process a test runs.
type mountProc struct {
	cmd            *exec.Cmd
	dir            string      // the mount point to check (the last argument)
	stdout, stderr *syncBuffer // what it wrote, unless the test redirected it
	exited         chan struct{}
	waitErr        error // cmd.Wait's answer, once exited is closed
}

// newMountProc prepares b2mount with args and environ; the test may
// redirect cmd.Stdout and cmd.Stderr before start.
func newMountProc(environ []string, args ...string) *mountProc {
	p := &mountProc{cmd: exec.Command(binary, args...), dir: args[len(args)-1],
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = environ
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	return p
}

// start runs the process. When the test ends, a process still running is
// interrupted (then killed, by its PID), and a mount it left behind is
// detached.
func (p *mountProc) start(t *testing.T) {
	t.Helper()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-p.exited:
			case <-time.After(hangWait):
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if mounted(p.dir) {
			exec.Command("fusermount3", "-u", "-z", p.dir).Run()
		}
	})
}

// startMount runs b2mount with args and waits for its ready line.
func startMount(t *testing.T, environ []string, args ...string) *mountProc {
	t.Helper()
	p := newMountProc(environ, args...)
	p.start(t)
	waitFor(t, "the ready line", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("b2mount exited before mounting (%v); stdout %q, stderr:\n%s", p.waitErr, p.stdout, p.stderr)
		default:
		}
		return strings.Contains(p.stdout.String(), "mounted read-only at")
	})
	return p
}

// stop sends sig and expects a clean exit 0 with the mount gone and a
// line on stdout that says so.
func (p *mountProc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(hangWait):
		t.Fatalf("b2mount still running %v after %v", hangWait, sig)
	}
	if p.waitErr != nil {
		t.Errorf("b2mount exited with %v after %v, want 0; stderr:\n%s", p.waitErr, sig, p.stderr)
	}
	if mounted(p.dir) {
		t.Errorf("%s is still mounted after b2mount exited", p.dir)
	}
	if p.cmd.Stdout == p.stdout && !strings.Contains(p.stdout.String(), "b2mount: unmounted "+p.dir+"\n") {
		t.Errorf("stdout %q lacks a line saying %s was unmounted", p.stdout, p.dir)
	}
}

// failure runs b2mount to completion and checks that it exited with code
// and printed one line that contains want, plus, for a bad command line
// (code 2), one line pointing to --help; and that it left nothing
// mounted. It returns the output.
func failure(t *testing.T, code int, environ []string, want string, args ...string) string {
	t.Helper()
	mp := args[len(args)-1]
	wasMounted := mp != "" && mounted(mp)
	ctx, cancel := context.WithTimeout(context.Background(), hangWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = environ
	// An empty mount point once meant the working directory: make that
	// one a directory of the test's.
	cmd.Dir = t.TempDir()
	t.Cleanup(func() {
		if mounted(cmd.Dir) {
			exec.Command("fusermount3", "-u", "-z", cmd.Dir).Run()
		}
	})
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("b2mount %q did not finish within %v", args, hangWait)
	}
	if got := cmd.ProcessState.ExitCode(); got != code {
		t.Errorf("b2mount %q: exit %d, want %d", args, got, code)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	wantLines := 1
	if code == 2 {
		wantLines = 2
	}
	if len(lines) != wantLines || !strings.HasPrefix(lines[0], "b2mount: ") || !strings.Contains(lines[0], want) ||
		code == 2 && lines[1] != "Run 'b2mount --help' for the flags and settings." {
		t.Errorf("b2mount %q: stderr\n%s\nwant one line with %q (and for a usage error a pointer to --help)", args, stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
	if mp != "" && mounted(mp) && !wasMounted {
		t.Errorf("%s is mounted after a failure", mp)
	}
	if mounted(cmd.Dir) {
		t.Errorf("the working directory %s is mounted after a failure", cmd.Dir)
	}
	return stdout.String() + stderr.String()
}
