package s3test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// versityStartTimeout bounds StartVersity when ctx has no deadline.
const versityStartTimeout = 30 * time.Second

// versityStopGrace is how long Close waits after SIGTERM before SIGKILL.
const versityStopGrace = 5 * time.Second

// FindVersity returns the path of the versitygw binary: $VERSITYGW if set
// (which must then be executable), else versitygw on $PATH, else
// $(go env GOPATH)/bin/versitygw, else $HOME/go/bin/versitygw.
func FindVersity() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("find versitygw: $VERSITYGW=%q is not an executable file", p)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if gp := goEnvGOPATH(); gp != "" {
		for _, d := range filepath.SplitList(gp) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		if p := filepath.Join(d, "versitygw"); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("find versitygw: not in $VERSITYGW, $PATH, or %s (install: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)",
		strings.Join(dirs, ", "))
}

// goEnvGOPATH returns $GOPATH, else the output of `go env GOPATH`, else "".
func goEnvGOPATH() string {
	if gp := os.Getenv("GOPATH"); gp != "" {
		return gp
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// StartVersity runs the versitygw binary bin with its posix backend on
// dataDir (created if missing), listening on a free port of 127.0.0.1 with
// random root credentials, and waits until it answers a signed ListBuckets.
// ctx bounds the start only (default 30s if it has no deadline); the
// process lives until Close, which signals it by PID and waits for it.
//
// Object metadata (ETags, content types, ACLs) lives in user xattrs when
// dataDir's filesystem supports them; otherwise in a sidecar directory
// next to dataDir named vgwmeta-<base of dataDir>, which is kept so a
// restart on the same dataDir finds it. The process gets a minimal
// environment (no VGW_* or ROOT_* variables leak in); its output goes to
// logger at debug level. A nil logger discards logs.
//
// Options: WithIAM turns on versitygw's internal IAM so that CreateUser works.
func StartVersity(ctx context.Context, bin, dataDir string, logger *slog.Logger, opts ...VersityOption) (*Server, error) {
	var o versityOptions
	for _, opt := range opts {
		opt(&o)
	}
	return startVersity(ctx, bin, dataDir, logger, o)
}

// startVersity is StartVersity with its options applied.
func startVersity(ctx context.Context, bin, dataDir string, logger *slog.Logger, o versityOptions) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("s3test", KindVersity)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, versityStartTimeout)
		defer cancel()
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	var globalArgs, posixArgs []string
	if o.iam {
		iamDir := filepath.Join(filepath.Dir(dir), "vgwiam-"+filepath.Base(dir))
		if err := os.MkdirAll(iamDir, 0o700); err != nil {
			return nil, fmt.Errorf("start versitygw: iam dir: %w", err)
		}
		globalArgs = append(globalArgs, "--iam-dir", iamDir)
	}
	if o.forceSidecar || !xattrSupported(dir) {
		side := filepath.Join(filepath.Dir(dir), "vgwmeta-"+filepath.Base(dir))
		if err := os.MkdirAll(side, 0o755); err != nil {
			return nil, fmt.Errorf("start versitygw: sidecar: %w", err)
		}
		posixArgs = append(posixArgs, "--sidecar", side)
		logger.Debug("no user xattrs on data dir, using a sidecar", "dir", dir, "sidecar", side)
	}
	keyID, secret := rand.Text()[:20], rand.Text()+rand.Text() // random, like embedded.Start's

	// A free port can be taken between our probe and versitygw's bind:
	// retry a few times on "address already in use".
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		st, err := launchVersity(ctx, bin, dir, globalArgs, posixArgs, keyID, secret, logger)
		if err == nil {
			s, err := newServer(KindVersity, dir, st.api, st, logger)
			if err != nil {
				_ = st.close()
				return nil, fmt.Errorf("start versitygw: %w", err)
			}
			logger.Debug("versitygw started", "url", s.URL, "backend", s.BackendURL, "pid", st.pid(), "dir", dir)
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortInUse) || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start versitygw: %w", lastErr)
}

// errPortInUse marks a launch that failed because the port was taken.
var errPortInUse = errors.New("port already in use")

// versityStore is a running versitygw process.
type versityStore struct {
	api     *setupClient
	cmd     *exec.Cmd
	out     *lineLogger
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // cmd.Wait's result, valid after exited is closed
}

// launchVersity starts one versitygw process and waits until it serves.
func launchVersity(ctx context.Context, bin, dir string, globalArgs, posixArgs []string, keyID, secret string, logger *slog.Logger) (*versityStore, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"--port", addr, "--region", DefaultRegion, "--quiet", "--keep-alive"}
	args = append(args, globalArgs...)
	args = append(args, "posix")
	args = append(args, posixArgs...)
	args = append(args, dir)

	out := newLineLogger(logger)
	cmd := exec.Command(bin, args...)
	cmd.Env = versityEnv(keyID, secret)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 2 * time.Second // don't hang on pipes held by strays

	st := &versityStore{
		api:    newSetupClient("http://"+addr, keyID, secret),
		cmd:    cmd,
		out:    out,
		exited: make(chan struct{}),
	}
	logger.Debug("launching versitygw", "cmd", bin+" "+strings.Join(args, " "))

	// Start and Wait run on one locked OS thread: Pdeathsig (Linux) fires
	// when the thread that started the child exits, so it must live as long
	// as the child.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		st.waitErr = cmd.Wait()
		close(st.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	if err := st.waitReady(ctx); err != nil {
		_ = st.close()
		return nil, err
	}
	return st, nil
}

// waitReady polls with a signed ListBuckets until versitygw answers 200.
func (v *versityStore) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := v.api.s3.ListBuckets(rctx, &s3.ListBucketsInput{})
		cancel()
		var answered *awshttp.ResponseError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &answered) && answered.Response != nil && answered.Response.StatusCode != 0:
			return fmt.Errorf("versitygw refused the generated credentials: %w", err)
		}
		select {
		case <-v.exited:
			tail := v.out.tail()
			if strings.Contains(tail, "address already in use") {
				return fmt.Errorf("%w: %s", errPortInUse, tail)
			}
			return fmt.Errorf("versitygw exited (%v): %s", v.waitErr, tail)
		case <-ctx.Done():
			return fmt.Errorf("versitygw not answering: %w (last error: %v; output: %s)", ctx.Err(), err, v.out.tail())
		case <-tick.C:
		}
	}
}

func (v *versityStore) pid() int { return v.cmd.Process.Pid }

// close sends SIGTERM to the process, SIGKILL after versityStopGrace, and
// waits for it to be reaped.
func (v *versityStore) close() error {
	defer v.api.close()
	select {
	case <-v.exited:
		return nil // already gone (crashed or killed by someone else)
	default:
	}
	if err := v.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal versitygw pid %d: %w", v.pid(), err)
	}
	select {
	case <-v.exited:
		return nil
	case <-time.After(versityStopGrace):
	}
	if err := v.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill versitygw pid %d: %w", v.pid(), err)
	}
	<-v.exited
	return nil
}

// versityEnv is the process environment: the root credentials, and from
// ours only what a program needs to run (no VGW_* configuration).
func versityEnv(keyID, secret string) []string {
	env := []string{"ROOT_ACCESS_KEY_ID=" + keyID, "ROOT_SECRET_ACCESS_KEY=" + secret}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
