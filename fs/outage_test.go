package fs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// Timeouts for the outage tests: an attempt is abandoned after 300ms.
const (
	outageRequestTimeout = 300 * time.Millisecond
	// outageOpTimeout ends an operation, with all its attempts, during
	// the outage.
	outageOpTimeout = time.Second
	// retryOpTimeout bounds an operation that must succeed after stalled
	// attempts: wide, so that a loaded machine has time for them.
	retryOpTimeout = 30 * time.Second
	// hang bounds every program these tests run. With MaxAttempts at 2^20
	// only OperationTimeout can end a stall or a refused connection
	// (otherwise they would go on for days), and the programs need about
	// one operation timeout: one still running after hang has hung. That
	// the kernel's second ask for a page its read-ahead failed to get costs
	// no second timeout is TestFailedReadIsNotAskedTwice's, by count.
	hang = 30 * time.Second
)

// outageClient gives up an operation after outageOpTimeout, and never
// for want of attempts.
func outageClient(cfg *s3backend.Config) {
	cfg.RequestTimeout = outageRequestTimeout
	cfg.ReadIdleTimeout = outageRequestTimeout
	cfg.OperationTimeout = outageOpTimeout
	cfg.MaxAttempts = 1 << 20 // only the operation timeout ends a stall
	cfg.BackoffBase = 10 * time.Millisecond
	cfg.BackoffMax = 50 * time.Millisecond
}

// retryClient abandons a stalled attempt after outageRequestTimeout and
// tries again, within retryOpTimeout.
func retryClient(cfg *s3backend.Config) {
	outageClient(cfg)
	cfg.OperationTimeout = retryOpTimeout
}

// wantEIO checks that a program failed with EIO, never ENOENT. (runLimited
// has failed the test already if it had to be killed.)
func wantEIO(t *testing.T, what string, res cmdResult) {
	t.Helper()
	if res.code == 0 || !strings.Contains(res.out, "Input/output error") || strings.Contains(res.out, "No such file") {
		t.Errorf("%s during the outage: exit %d, %q; want EIO", what, res.code, res.out)
	}
	t.Logf("%s: EIO after %s", what, res.elapsed.Round(time.Millisecond))
}

// wantOK checks that a program succeeded and printed want.
func wantOK(t *testing.T, what string, res cmdResult, want string) {
	t.Helper()
	if res.code != 0 || !strings.Contains(res.out, want) {
		t.Errorf("%s: exit %d, %q; want success with %q", what, res.code, res.out, want)
	}
}

// A stalled request is abandoned and retried; a server that stops
// answering, or goes away, makes ls and cat fail with EIO (never ENOENT)
// once the operation timeout ends the retries; and once it is back
// everything works at once, without a remount and without misses
// remembered from the outage.
func TestOutageGivesEIOAndRecovers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := testenv.StartServer(t, kind)
			const bucket = "outage"
			if err := srv.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"top.txt", "listed/a.txt", "listed/b.txt", "stalled/c.txt", "down/d.txt", "later/e.txt"} {
				if err := srv.PutObject(bucket, k, []byte("content of "+k)); err != nil {
					t.Fatal(err)
				}
			}
			// Stalled attempts, on a mount whose operations have time for them.
			retry := mountWith(t, srv, mountSpec{bucket: bucket, client: retryClient})
			// Two stalled GETs are each abandoned after the request timeout
			// and the third try succeeds.
			if err := srv.Proxy.SetFaults(s3test.Faults{StallFirstN: 2, StallOps: []string{s3test.OpGet}}); err != nil {
				t.Fatal(err)
			}
			srv.Proxy.ResetCounts()
			res := runLimited(t, hang, "cat", filepath.Join(retry, "top.txt"))
			wantOK(t, "cat after two stalled GETs", res, "content of top.txt")
			var gets []s3test.Request
			for _, r := range srv.Proxy.Requests() {
				if r.Op == s3test.OpGet {
					gets = append(gets, r)
				}
			}
			if len(gets) != 3 || gets[0].Fault != "stall" || gets[1].Fault != "stall" || gets[2].Status != 206 {
				t.Errorf("GETs %+v, want two stalled ones and a 206", gets)
			}
			for _, g := range gets[:min(2, len(gets))] {
				// The proxy holds a stalled request until the client leaves:
				// it is done with it (Duration) without having answered.
				if g.Duration == 0 || g.Status != 0 {
					t.Errorf("a stalled GET %+v was not abandoned by the client", g)
				}
			}
			// The same for a listing.
			if err := srv.Proxy.SetFaults(s3test.Faults{StallFirstN: 1, StallOps: []string{s3test.OpList}}); err != nil {
				t.Fatal(err)
			}
			wantOK(t, "ls after a stalled LIST", runLimited(t, hang, "ls", filepath.Join(retry, "listed")), "a.txt")

			// The outage, on a mount whose operations end after
			// outageOpTimeout.
			if err := srv.Proxy.SetFaults(s3test.Faults{}); err != nil {
				t.Fatal(err)
			}
			mnt := mountWith(t, srv, mountSpec{bucket: bucket, client: outageClient})
			p := func(name string) string { return filepath.Join(mnt, name) }
			wantOK(t, "ls before the outage", runLimited(t, hang, "ls", p("listed")), "a.txt")

			// The server accepts requests and never answers.
			if err := srv.Proxy.SetFaults(s3test.Faults{StallFraction: 1}); err != nil {
				t.Fatal(err)
			}
			wantEIO(t, "ls of an unlisted directory (stalled)", runLimited(t, hang, "ls", p("stalled")))
			wantEIO(t, "cat of a file in an unlisted directory (stalled)", runLimited(t, hang, "cat", p("stalled/c.txt")))
			wantEIO(t, "cat of an unread file (stalled)", runLimited(t, hang, "cat", p("listed/a.txt")))

			// The server is gone: connections are refused.
			if err := srv.Proxy.SetFaults(s3test.Faults{}); err != nil {
				t.Fatal(err)
			}
			if err := srv.Proxy.SetDown(true); err != nil {
				t.Fatal(err)
			}
			wantEIO(t, "ls of an unlisted directory (down)", runLimited(t, hang, "ls", p("down")))
			wantEIO(t, "cat of a file in an unlisted directory (down)", runLimited(t, hang, "cat", p("later/e.txt")))
			wantEIO(t, "stat of an unlisted directory (down)", runLimited(t, hang, "stat", p("later")))
			wantEIO(t, "cat of an unread file (down)", runLimited(t, hang, "cat", p("listed/b.txt")))
			// The mount itself still answers what needs no request.
			if fi, err := os.Stat(p("listed")); err != nil || !fi.IsDir() {
				t.Errorf("stat of a listed directory during the outage: %v", err)
			}

			// Back: everything that failed works at once. The kernel was
			// told to cache misses for a minute, so a failed lookup
			// remembered as a miss would show here as ENOENT.
			if err := srv.Proxy.SetDown(false); err != nil {
				t.Fatal(err)
			}
			wantOK(t, "ls after the outage", runLimited(t, hang, "ls", p("stalled")), "c.txt")
			wantOK(t, "ls after the outage", runLimited(t, hang, "ls", p("down")), "d.txt")
			for _, f := range []string{"stalled/c.txt", "later/e.txt", "listed/a.txt", "listed/b.txt"} {
				wantOK(t, "cat after the outage", runLimited(t, hang, "cat", p(f)), "content of "+f)
			}
			noWrites(t, srv)
		})
	}
}
