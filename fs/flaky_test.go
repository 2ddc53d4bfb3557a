package fs_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

const (
	bigSize    = 256 << 20 // the one big file of the flaky copy
	smallFiles = 2000
	cutAfter   = 1500 // body bytes that get through before a cut
)

// flakyFaults is a bad day at B2: 30% of GETs and 20% of listings answer
// 503 SlowDown (every third with Retry-After: 1), and 20% of the GET
// bodies longer than 1,500 bytes break off after 1,500 bytes. The first
// two listings fail for sure: a tree this size needs only a handful.
var flakyFaults = s3test.Faults{
	Seed:            1,
	FailFirstN:      2,
	FailOps:         []string{s3test.OpList},
	FailGET:         0.3,
	FailLIST:        0.2,
	RetryAfter:      "1",
	RetryAfterEvery: 3,
	CutGETFraction:  0.2,
	CutAfterBytes:   cutAfter,
}

// flakyClient retries enough that no request can plausibly run out of
// attempts (a try fails about 44% of the time here; 25 failures in a row
// have odds of 1e-9), with tiny waits so that the test stays fast: the
// Retry-After of 1s is capped at 2ms. (That the waits are honoured is
// s3backend's test; here they would only add up over 4,000 GETs.)
func flakyClient(cfg *s3backend.Config) {
	cfg.MaxAttempts = 25
	cfg.BackoffBase = 500 * time.Microsecond
	cfg.BackoffMax = 2 * time.Millisecond
	cfg.RetryAfterMax = 2 * time.Millisecond
}

// makeTree writes the sample photos, smallFiles files of 1-8 KiB and,
// when big is set, a bigSize file into a new directory.
func makeTree(t *testing.T, big bool) string {
	t.Helper()
	src := t.TempDir()
	run(t, "cp", "-r", sampleDir, filepath.Join(src, "photos"))
	many := filepath.Join(src, "many")
	if err := os.Mkdir(many, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := range smallFiles {
		data := make([]byte, 1+r.IntN(8<<10))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		if err := os.WriteFile(filepath.Join(many, fmt.Sprintf("f%04d.bin", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if big {
		writeBig(t, filepath.Join(src, "big.bin"))
	}
	return src
}

// writeBig writes bigSize bytes: a random block whose length is a prime
// (1,048,573), repeated, so no two offsets a power of two apart hold the
// same bytes and a resume at a wrong offset cannot go unnoticed.
func writeBig(t *testing.T, path string) {
	t.Helper()
	block := make([]byte, 1048573)
	r := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < len(block); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(block); j++ {
			block[i+j] = byte(v >> (8 * j))
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for left := int64(bigSize); left > 0; {
		n, err := f.Write(block[:min(int64(len(block)), left)])
		if err != nil {
			t.Fatal(err)
		}
		left -= int64(n)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// parseRange parses "bytes=a-b" (b may be empty: -1).
func parseRange(h string) (int64, int64, bool) {
	span, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, false
	}
	lo, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	hi := int64(-1)
	if b != "" {
		if hi, err = strconv.ParseInt(b, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return lo, hi, true
}

// checkResumes checks that every cut GET is taken up again where it broke
// off: the next GET of the same key that ends where the cut one did starts
// cutAfter bytes later, not at the part's start. It returns how many cuts
// it matched.
func checkResumes(t *testing.T, reqs []s3test.Request) int {
	t.Helper()
	matched := 0
	for i, r := range reqs {
		if r.Op != s3test.OpGet {
			continue
		}
		if r.IfMatch == "" {
			t.Errorf("GET %s %s without If-Match", r.Path, r.Range)
		}
		if !strings.Contains(r.Fault, "cut") {
			continue
		}
		lo, hi, ok := parseRange(r.Range)
		if !ok {
			t.Errorf("cut GET %s has Range %q", r.Path, r.Range)
			continue
		}
		for _, next := range reqs[i+1:] {
			nlo, nhi, ok := parseRange(next.Range)
			if next.Op != s3test.OpGet || next.Path != r.Path || !ok || nhi != hi {
				continue
			}
			if nlo != lo+cutAfter || next.IfMatch != r.IfMatch {
				t.Errorf("GET %s %s was cut after %d bytes; the next GET asked %s (If-Match %s), want bytes=%d-%d (If-Match %s)",
					r.Path, r.Range, cutAfter, next.Range, next.IfMatch, lo+cutAfter, hi, r.IfMatch)
			}
			matched++
			break
		}
	}
	return matched
}

// cp -r of a tree through a server that fails, throttles and cuts bodies
// gives a byte-identical copy, and every broken GET resumes at its offset.
//
// The 256 MiB file is copied through versitygw only, the real server whose
// Range and If-Match handling matters most: through the embedded server as
// well it would add about 12s (with -race, on 2 cores) and 256 MiB of
// memory, while the photos and the 2,000 files already check every resume
// against both servers.
func TestCopyThroughAFlakyServer(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			withBig := kind == s3test.KindVersity
			start := time.Now()
			src := makeTree(t, withBig)
			srv := testenv.StartServer(t, kind)
			const bucket = "flaky"
			if err := srv.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			if err := srv.LoadDir(bucket, src); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: tree written and loaded in %s", kind, time.Since(start).Round(time.Millisecond))

			mnt := mountWith(t, srv, mountSpec{bucket: bucket, client: flakyClient})
			if err := srv.Proxy.SetRequestLogSize(50_000); err != nil {
				t.Fatal(err)
			}
			if err := srv.Proxy.SetFaults(flakyFaults); err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			dst := filepath.Join(t.TempDir(), "copy")
			run(t, "cp", "-r", mnt, dst)
			t.Logf("%s: cp -r took %s", kind, time.Since(start).Round(time.Millisecond))
			reqs := srv.Proxy.Requests()
			faults := map[string]int{}
			for _, r := range reqs {
				faults[r.Op+" "+r.Fault]++
			}
			t.Logf("%s: requests by op and fault: %v", kind, faults)
			if faults["GET fail"] == 0 || faults["LIST fail"] == 0 || faults["GET cut"] == 0 {
				t.Errorf("the faults did not happen: %v", faults)
			}
			if n := checkResumes(t, reqs); n < faults["GET cut"]*9/10 {
				t.Errorf("only %d of %d cut GETs were seen resumed", n, faults["GET cut"])
			}
			noWrites(t, srv)
			run(t, "diff", "-r", src, dst)
		})
	}
}
