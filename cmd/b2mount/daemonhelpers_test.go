package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// The tests of this file's kind start daemons that outlive the command
// that started them. TestMain makes the test process their subreaper
// (prctl PR_SET_CHILD_SUBREAPER), so that an orphaned daemon becomes its
// child and its exit status can be read with wait4.

// requireMount8 skips (fails in CI) unless this machine can run mount(8)
// with a FUSE helper: root, /dev/fuse, fusermount3 and mount.
func requireMount8(t *testing.T) {
	t.Helper()
	testenv.RequireFUSE(t)
	testenv.Require(t, os.Geteuid() == 0, "mount(8) with a helper in /sbin needs root")
	_, err := exec.LookPath("mount")
	testenv.Require(t, err == nil, "mount(8) is not installed (apt-get install -y mount)")
}

// bucketWithPhotos starts a server of kind with bucket "photos" holding
// 2024/beach.jpg and 2024/lake.jpg, and returns it and an env file (mode
// 0600) with its endpoint and key.
func bucketWithPhotos(t *testing.T, kind string) (*s3test.Server, string) {
	t.Helper()
	srv := testenv.StartServer(t, kind)
	if err := srv.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"2024/beach.jpg", "2024/lake.jpg"} {
		if err := srv.PutObject("photos", k, []byte("jpeg bytes of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	envFile := filepath.Join(t.TempDir(), "photos.env")
	content := "ENDPOINT=" + srv.URL + "\nKEY_ID=" + srv.KeyID + "\nAPPLICATION_KEY=" + srv.SecretKey + "\n"
	if err := os.WriteFile(envFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, envFile
}

// command runs name with args in environ (nil: this process's) and
// returns its exit status and what it wrote on stdout and stderr; it
// fails the test if the command does not end within hangWait.
func command(t *testing.T, environ []string, name string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = environ
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not finish within %v", name, args, hangWait)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: %v", name, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// daemonPid reads the pid of the daemon that mounted dir from its log.
func daemonPid(t *testing.T, logFile, dir string) int {
	t.Helper()
	data, _ := os.ReadFile(logFile)
	m := regexp.MustCompile(`mounted read-\w+ at ` + regexp.QuoteMeta(dir) + ` .* pid=(\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("the log has no line saying %s was mounted, with a pid:\n%s", dir, data)
	}
	pid, _ := strconv.Atoi(string(m[1]))
	return pid
}

// reapDaemon waits for the daemon pid (an orphan this process
// subreaps) to exit and returns its wait status; it fails the test after
// hangWait.
func reapDaemon(t *testing.T, pid int) syscall.WaitStatus {
	t.Helper()
	done := make(chan syscall.WaitStatus, 1)
	go func() {
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
		done <- ws
	}()
	select {
	case ws := <-done:
		return ws
	case <-time.After(hangWait):
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("daemon %d still running %v after its mount went away", pid, hangWait)
		return 0
	}
}

// cleanupDaemon makes sure, when the test ends, that dir is not mounted
// and the daemon that served it is gone (and reaped).
func cleanupDaemon(t *testing.T, dir, logFile string) {
	t.Cleanup(func() {
		if mounted(dir) {
			exec.Command("umount", "-l", dir).Run()
		}
		data, _ := os.ReadFile(logFile)
		for _, m := range regexp.MustCompile(`pid=(\d+)`).FindAllSubmatch(data, -1) {
			pid, _ := strconv.Atoi(string(m[1]))
			if syscall.Kill(pid, 0) == nil {
				syscall.Kill(pid, syscall.SIGKILL)
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
			}
		}
	})
}

// installLink makes path a symbolic link to target until the test ends.
// A link left there by an earlier run of these tests (to a test binary)
// is replaced; anything else fails the test.
func installLink(t *testing.T, path, target string) {
	t.Helper()
	removeStaleLink(t, path)
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
}

// removeStaleLink removes path if it is a link to a binary these tests
// built; it fails the test if path is anything else.
func removeStaleLink(t *testing.T, path string) {
	t.Helper()
	old, err := os.Readlink(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err == nil && strings.HasPrefix(old, os.TempDir()) && filepath.Base(old) == "b2mount":
		os.Remove(path)
	default:
		t.Fatalf("%s exists and is not a link a test made (%q, %v): not touching it", path, old, err)
	}
}

// notifySocket listens where a test's b2mount sends sd_notify messages.
type notifySocket struct {
	path string
	conn *net.UnixConn
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &notifySocket{path: path, conn: conn}
}

// next returns the next message, failing the test after hangWait.
func (n *notifySocket) next(t *testing.T) string {
	t.Helper()
	n.conn.SetReadDeadline(time.Now().Add(hangWait))
	buf := make([]byte, 4096)
	k, err := n.conn.Read(buf)
	if err != nil {
		t.Fatalf("no sd_notify message: %v", err)
	}
	return string(buf[:k])
}
