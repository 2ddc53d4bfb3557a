package s3backend_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPayloadSigning puts 256 MiB over HTTPS (as to B2, which takes
// HTTPS only) to a server that discards it, with the payload unsigned
// (the SDK's default over HTTPS, and ours) and signed (its SHA-256
// computed and signed, the SDK's default over plain HTTP). It reports the
// process's CPU time per GiB, the TLS work of both ends included: the
// difference is the cost of signing.
func BenchmarkPayloadSigning(b *testing.B) {
	const size = 256 << 20
	body := bytes.Repeat([]byte("b2mount!"), size/8)
	var sent atomic.Value // the last x-amz-content-sha256
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Store(r.Header.Get("X-Amz-Content-Sha256"))
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("ETag", `"00000000000000000000000000000000"`)
	}))
	defer srv.Close()
	for _, signed := range []bool{false, true} {
		name, want := "unsigned", "UNSIGNED-PAYLOAD"
		if signed {
			name, want = "signed", sha256Hex(body)
		}
		b.Run(name, func(b *testing.B) {
			c, err := s3backend.New(context.Background(), s3backend.Config{Endpoint: srv.URL, Bucket: testBucket,
				KeyID: testKeyID, SecretKey: testSecret, HTTPClient: srv.Client()})
			if err != nil {
				b.Fatal(err)
			}
			if signed {
				s3backend.SignPayloads(c)
			}
			b.SetBytes(size)
			start := cpuTime(b)
			for b.Loop() {
				if _, err := c.Put(context.Background(), "k", bytes.NewReader(body), size, s3backend.Meta{}); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime(b) - start
			if got := sent.Load(); got != want {
				b.Fatalf("x-amz-content-sha256 %q, want %q", got, want)
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N)*float64(1<<30)/size, "cpu-s/GiB")
		})
	}
}
