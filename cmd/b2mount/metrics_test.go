package main

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// s3Ops are the S3 names of the proxy's ops.
var s3Ops = map[string]string{
	s3test.OpList: "ListObjectsV2", s3test.OpHead: "HeadObject", s3test.OpGet: "GetObject",
	s3test.OpListVersions: "ListObjectVersions", s3test.OpListUploads: "ListMultipartUploads",
	s3test.OpPut: "PutObject", s3test.OpCopy: "CopyObject", s3test.OpCreateUpload: "CreateMultipartUpload",
	s3test.OpUploadPart: "UploadPart", s3test.OpUploadPartCopy: "UploadPartCopy",
	s3test.OpCompleteUpload: "CompleteMultipartUpload", s3test.OpAbortUpload: "AbortMultipartUpload",
	s3test.OpDelete: "DeleteObject",
}

// sameCounts scrapes url until its requests by operation are the
// proxy's (the proxy counts a request when it arrives, the metrics when
// it ends) and the proxy has none in flight, up to a hang; it returns the
// last scrape and both counts.
func sameCounts(t *testing.T, srv *s3test.Server, url string) (scrape map[string]float64, metrics, server map[string]int) {
	t.Helper()
	deadline := time.Now().Add(hangWait)
	for {
		server = map[string]int{}
		for op, n := range srv.Proxy.Counts() {
			name, ok := s3Ops[op]
			if !ok {
				name = "proxy op " + op
			}
			server[name] = n
		}
		scrape = scrapeMetrics(t, url)
		metrics, _ = byOperation(scrape)
		if (maps.Equal(metrics, server) && !inFlight(srv)) || time.Now().After(deadline) {
			return scrape, metrics, server
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricsURL waits for the address a mount serves its metrics at.
func metricsURL(t *testing.T, p *mountProc) string {
	t.Helper()
	var url string
	waitFor(t, "the metrics address in the log", func() bool {
		m := regexp.MustCompile(`msg="serving metrics" url=(\S+)`).FindStringSubmatch(p.stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	return url
}

// scrapeMetrics fetches and parses url.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m, err := testenv.ParseMetrics(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// byOperation sums b2mount_s3_requests_total over classes and statuses,
// by operation, and returns the sums and each operation's class.
func byOperation(m map[string]float64) (map[string]int, map[string]string) {
	counts, classes := map[string]int{}, map[string]string{}
	re := regexp.MustCompile(`^b2mount_s3_requests_total\{class="(\w)",operation="(\w+)",status="\w+"\}$`)
	for series, v := range m {
		if g := re.FindStringSubmatch(series); g != nil {
			counts[g[2]] += int(v)
			classes[g[2]] = g[1]
		}
	}
	return counts, classes
}

// inFlight reports whether the proxy holds a request it has not finished.
func inFlight(srv *s3test.Server) bool {
	for _, r := range srv.Proxy.Requests() {
		if r.Duration == 0 {
			return true
		}
	}
	return false
}

// The metrics of a real mount count exactly the requests the server saw,
// by operation and class, their retries, and every body byte the server
// sent; the FUSE operations and the prefetch buffers show; and the cost
// lines (SIGUSR1, unmount) price the same counts.
func TestMetricsMatchTheServersCounts(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindVersity)
	if err := srv.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	files := map[string][]byte{"a.txt": []byte("a"), "big.bin": big, "dir/c.txt": []byte("c"), "dir/d.txt": []byte("d")}
	for k, v := range files {
		if err := srv.PutObject("photos", k, v); err != nil {
			t.Fatal(err)
		}
	}
	srv.Proxy.ResetCounts() // from here on every request is the mount's
	// The first two GETs fail: two retries.
	if err := srv.Proxy.SetFaults(s3test.Faults{FailFirstN: 2, FailOps: []string{s3test.OpGet}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := startMount(t, serverEnv(t, srv), "--metrics-addr", "127.0.0.1:0", "--b2-prices", "B=1/1,C=10/1,free=0", "photos", dir)
	url := metricsURL(t, p)

	// The workload: list, read every file, look up a name that is not there.
	_, ls, _ := command(t, nil, "ls", "-lR", dir)
	for k := range files {
		if !strings.Contains(ls, filepath.Base(k)) {
			t.Errorf("ls -lR lacks %s:\n%s", k, ls)
		}
		if got, err := os.ReadFile(filepath.Join(dir, k)); err != nil || !bytes.Equal(got, files[k]) {
			t.Errorf("read %s: %d bytes, %v", k, len(got), err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nosuch")); !os.IsNotExist(err) {
		t.Errorf("stat of a missing name: %v", err)
	}

	got, metricCounts, wantCounts := sameCounts(t, srv, url)
	_, classes := byOperation(got)
	if !maps.Equal(metricCounts, wantCounts) {
		t.Fatalf("requests by operation: metrics %v, the server saw %v", metricCounts, wantCounts)
	}
	if want := map[string]string{"ListObjectsV2": "C", "HeadObject": "B", "GetObject": "B"}; !maps.Equal(classes, want) {
		t.Errorf("classes %v, want %v", classes, want)
	}
	t.Logf("requests: %v", metricCounts)
	for series, want := range map[string]float64{
		`b2mount_s3_retries_total{operation="GetObject"}`:                         2,
		`b2mount_s3_requests_total{class="B",operation="GetObject",status="503"}`: 2,
		`b2mount_s3_received_bytes_total`:                                         float64(srv.Proxy.ResponseBytes()),
		`b2mount_s3_sent_bytes_total`:                                             0,
		`b2mount_memory_budget_bytes`:                                             96 << 20,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
	for _, series := range []string{
		`b2mount_fuse_operation_duration_seconds_count{operation="lookup"}`,
		`b2mount_fuse_operation_duration_seconds_count{operation="read"}`,
		`b2mount_fuse_errors_total{errno="ENOENT",operation="lookup"}`,
		`b2mount_prefetch_served_bytes_total`,
		`b2mount_memory_peak_bytes`,
	} {
		if got[series] <= 0 {
			t.Errorf("%s = %v, want more than 0", series, got[series])
		}
	}
	checkREADMEMetrics(t, got)
	if got[`b2mount_prefetch_served_bytes_total`] > float64(len(big)+3) {
		t.Errorf("served %v bytes from buffers, more than the files hold", got[`b2mount_prefetch_served_bytes_total`])
	}

	// The cost: class B at $1 and class C at $10 a request, nothing free.
	b := wantCounts["HeadObject"] + wantCounts["GetObject"]
	c := wantCounts["ListObjectsV2"]
	costLine := fmt.Sprintf(`msg="B2 transactions since the mount" class_a=0 class_b=%d class_c=%d estimated_cost_usd=%d.000000 prices="A=0,B=1,C=10,free=0"`, b, c, b+10*c)
	if cost := got["b2mount_b2_estimated_cost_dollars"]; cost != float64(b+10*c) {
		t.Errorf("cost metric %v, want %d", cost, b+10*c)
	}
	p.cmd.Process.Signal(syscall.SIGUSR1)
	waitFor(t, "the cost line after SIGUSR1", func() bool { return strings.Contains(p.stderr.String(), costLine) })
	p.stop(t, syscall.SIGTERM)
	if n := strings.Count(p.stderr.String(), costLine); n != 2 {
		t.Errorf("%d cost lines %q (SIGUSR1, unmount), want 2:\n%s", n, costLine, p.stderr)
	}
}

// Writes too: every request of uploads, renames and deletes is counted
// exactly, with its class, and every body byte the server read.
func TestMetricsOfWritesMatchTheServersCounts(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindVersity)
	if err := srv.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	srv.Proxy.ResetCounts()
	dir := t.TempDir()
	p := newMountProc(serverEnv(t, srv), "--read-write", "--state-dir", t.TempDir(), "--metrics-addr", "127.0.0.1:0", "photos", dir)
	p.start(t)
	waitFor(t, "the ready line", func() bool { return strings.Contains(p.stdout.String(), "mounted read-write at") })
	url := metricsURL(t, p)
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, bytes.Repeat([]byte("x"), 12<<20), 0o644) // parts
	for _, c := range [][]string{
		{"cp", src, filepath.Join(dir, "big.bin")},
		{"sh", "-c", `echo small > "$1/small.txt"`, "sh", dir},
		{"mv", filepath.Join(dir, "small.txt"), filepath.Join(dir, "moved.txt")},
		{"rm", filepath.Join(dir, "moved.txt")},
	} {
		if code, out, errOut := command(t, nil, c[0], c[1:]...); code != 0 {
			t.Fatalf("%q: exit %d: %s%s", c, code, out, errOut)
		}
	}
	got, metricCounts, wantCounts := sameCounts(t, srv, url)
	if !maps.Equal(metricCounts, wantCounts) {
		t.Fatalf("requests by operation: metrics %v, the server saw %v", metricCounts, wantCounts)
	}
	t.Logf("requests: %v", metricCounts)
	_, classes := byOperation(got)
	for op, class := range map[string]string{"UploadPart": "A", "CompleteMultipartUpload": "A", "CopyObject": "C", "DeleteObject": "A"} {
		if classes[op] != class {
			t.Errorf("%s: class %q (requests %v), want %s", op, classes[op], metricCounts, class)
		}
	}
	if sent := got["b2mount_s3_sent_bytes_total"]; sent != float64(srv.Proxy.RequestBytes()) || sent < 12<<20 {
		t.Errorf("sent %v bytes, the server read %d", sent, srv.Proxy.RequestBytes())
	}
	if received := got["b2mount_s3_received_bytes_total"]; received != float64(srv.Proxy.ResponseBytes()) {
		t.Errorf("received %v bytes, the server sent %d", received, srv.Proxy.ResponseBytes())
	}
	p.stop(t, syscall.SIGTERM)
}
