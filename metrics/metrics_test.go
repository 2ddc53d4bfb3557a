package metrics

import (
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// scrape serves m's metrics and parses them.
func scrape(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	got, err := testenv.ParseMetrics(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The classes of the S3 calls are those of B2's pricing page: uploads and
// deletes A, downloads and HEADs B, listings and copies C.
func TestB2ClassesOfS3Calls(t *testing.T) {
	for op, want := range map[string]Class{
		"PutObject": ClassA, "CreateMultipartUpload": ClassA, "UploadPart": ClassA, "CompleteMultipartUpload": ClassA,
		"AbortMultipartUpload": ClassA, "DeleteObject": ClassA,
		"GetObject": ClassB, "HeadObject": ClassB,
		"ListObjectsV2": ClassC, "ListObjectVersions": ClassC, "ListMultipartUploads": ClassC,
		"CopyObject": ClassC, "UploadPartCopy": ClassC, "HeadBucket": ClassC,
		"SomethingNew": ClassC,
	} {
		if got := ClassOf(op); got != want {
			t.Errorf("class of %s: %s, want %s", op, got, want)
		}
	}
}

// Every request is counted by operation, class and status, retries
// apart, bytes both ways; the mount's counters are read at the scrape.
func TestScrapeCountsRequestsBytesAndTheMount(t *testing.T) {
	m := New(Options{})
	for _, r := range []s3backend.Request{
		{Operation: "ListObjectsV2", Status: 200},
		{Operation: "HeadObject", Status: 404},
		{Operation: "GetObject", Status: 503},
		{Operation: "GetObject", Status: 206, Retry: true},
		{Operation: "GetObject", Status: 206},
		{Operation: "PutObject"},
	} {
		m.Request(r)
	}
	m.Received(1000)
	m.Received(24)
	m.Sent(7)
	m.WatchMount(func() fs.Stats {
		return fs.Stats{MemoryLimit: 64 << 20, MemoryInUse: 3 << 20, MemoryPeak: 9 << 20, PrefetchServed: 12345}
	})
	got := scrape(t, m)
	for series, want := range map[string]float64{
		`b2mount_s3_requests_total{class="C",operation="ListObjectsV2",status="200"}`: 1,
		`b2mount_s3_requests_total{class="B",operation="HeadObject",status="404"}`:    1,
		`b2mount_s3_requests_total{class="B",operation="GetObject",status="503"}`:     1,
		`b2mount_s3_requests_total{class="B",operation="GetObject",status="206"}`:     2,
		`b2mount_s3_requests_total{class="A",operation="PutObject",status="none"}`:    1,
		`b2mount_s3_retries_total{operation="GetObject"}`:                             1,
		`b2mount_s3_request_duration_seconds_count{operation="GetObject"}`:            3,
		`b2mount_s3_received_bytes_total`:                                             1024,
		`b2mount_s3_sent_bytes_total`:                                                 7,
		`b2mount_memory_budget_bytes`:                                                 64 << 20,
		`b2mount_memory_in_use_bytes`:                                                 3 << 20,
		`b2mount_memory_peak_bytes`:                                                   9 << 20,
		`b2mount_prefetch_served_bytes_total`:                                         12345,
		`b2mount_b2_estimated_cost_dollars`:                                           0, // within the free allowance
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if _, ok := got["process_resident_memory_bytes"]; !ok {
		t.Errorf("no process metrics")
	}
	if s := m.Summary(); s.Requests != [3]int64{1, 4, 1} {
		t.Errorf("summary counts %v, want A 1, B 4, C 1", s.Requests)
	}
}

// Every FUSE operation the kernel can send is timed by the wrapper, and
// every error is counted by operation and errno.
func TestEveryFUSEOperationIsTimed(t *testing.T) {
	m := New(Options{})
	wrapped := m.WrapFUSE(fuse.NewDefaultRawFileSystem())
	v := reflect.ValueOf(wrapped)
	iface := reflect.TypeOf((*fuse.RawFileSystem)(nil)).Elem()
	called := 0
	for i := range iface.NumMethod() {
		name := iface.Method(i).Name
		switch name {
		case "String", "SetDebug", "Init", "OnUnmount":
			continue // not operations
		}
		method := v.MethodByName(name)
		args := make([]reflect.Value, method.Type().NumIn())
		for j := range args {
			at := method.Type().In(j)
			if at.Kind() == reflect.Pointer {
				args[j] = reflect.New(at.Elem())
			} else {
				args[j] = reflect.Zero(at)
			}
		}
		method.Call(args)
		called++
	}
	got := scrape(t, m)
	total := 0.0
	for _, op := range fuseOpNames {
		n := got[`b2mount_fuse_operation_duration_seconds_count{operation="`+op+`"}`]
		if n != 1 {
			t.Errorf("operation %s timed %v times, want 1", op, n)
		}
		total += n
	}
	if int(total) != called || called != numFuseOps {
		t.Errorf("%d operations called, %v timed, %d named", called, total, numFuseOps)
	}
	if n := got[`b2mount_fuse_errors_total{errno="ENOSYS",operation="lookup"}`]; n != 1 {
		t.Errorf("lookup's ENOSYS counted %v times, want 1", n)
	}
}

// Prices read as B2 writes them, with defaults for what is not given;
// bad ones say what a good one looks like.
func TestPrices(t *testing.T) {
	if got := DefaultPrices().String(); got != DefaultPricesText {
		t.Errorf("default prices %q, want %q", got, DefaultPricesText)
	}
	p, err := ParsePrices("C=0.005/1000,free=0")
	if err != nil || p.String() != "A=0,B=0.004/10000,C=0.005/1000,free=0" {
		t.Errorf("C changed, free off: %q, %v", p, err)
	}
	for _, bad := range []string{"D=1", "B", "B=-1", "B=1/0", "B=x/10", "free=-3", "B=NaN", "B=Inf"} {
		if _, err := ParsePrices(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The free allowance is per UTC day: 3,000 class B requests on each of
// two days cost 2 × 500 over the allowance.
func TestCostTakesEachDaysFreeAllowance(t *testing.T) {
	clock := testenv.NewClock() // 2025-01-01 00:00 UTC
	clock.Advance(23 * time.Hour)
	m := New(Options{Clock: clock.Now})
	for range 3000 {
		m.Request(s3backend.Request{Operation: "GetObject", Status: 206})
	}
	m.Request(s3backend.Request{Operation: "ListObjectsV2", Status: 200})
	clock.Advance(2 * time.Hour)
	for range 3000 {
		m.Request(s3backend.Request{Operation: "HeadObject", Status: 200})
	}
	s := m.Summary()
	if want := 2 * 500 * 0.004 / 10000; s.Requests != [3]int64{0, 6000, 1} || s.Cost < want*0.999999 || s.Cost > want*1.000001 {
		t.Errorf("summary %+v, want 6000 class B, 1 class C, $%v", s, want)
	}
	attrs := s.LogAttrs()
	var pairs []string
	for i := 0; i < len(attrs); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%v=%v", attrs[i], attrs[i+1]))
	}
	line := strings.Join(pairs, " ")
	if want := "class_a=0 class_b=6000 class_c=1 estimated_cost_usd=0.000400 prices=" + DefaultPricesText; line != want {
		t.Errorf("log attributes %q, want %q", line, want)
	}
	if got := scrape(t, m)["b2mount_b2_estimated_cost_dollars"]; got != s.Cost {
		t.Errorf("cost metric %v, summary %v", got, s.Cost)
	}
}

// negativeEntry answers every lookup as go-fuse does a miss when misses
// are cached: OK with node 0.
type negativeEntry struct{ fuse.RawFileSystem }

func (negativeEntry) Lookup(<-chan struct{}, *fuse.InHeader, string, *fuse.EntryOut) fuse.Status {
	return fuse.OK
}

// A negative entry is ENOENT to the program that looked the name up, and
// counts as one.
func TestNegativeEntryIsENOENT(t *testing.T) {
	m := New(Options{})
	m.WrapFUSE(negativeEntry{fuse.NewDefaultRawFileSystem()}).Lookup(nil, &fuse.InHeader{}, "x", &fuse.EntryOut{})
	if n := scrape(t, m)[`b2mount_fuse_errors_total{errno="ENOENT",operation="lookup"}`]; n != 1 {
		t.Errorf("ENOENT counted %v times, want 1", n)
	}
}
