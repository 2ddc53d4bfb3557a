package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/b2mount/b2mount/s3backend"
)

// Class is a B2 transaction class: B2 bills every request by its class.
type Class int

const (
	ClassA     Class = iota // uploads and deletes: free
	ClassB                  // downloads and HEADs
	ClassC                  // listings and copies, the dearest
	numClasses = 3
)

// String is "A", "B" or "C".
func (c Class) String() string { return string("ABC"[c]) }

// classes are the B2 classes of the S3 calls (Backblaze's transaction
// pricing page lists its native calls; these are their S3 equivalents).
var classes = map[string]Class{
	"PutObject":               ClassA,
	"CreateMultipartUpload":   ClassA,
	"UploadPart":              ClassA,
	"CompleteMultipartUpload": ClassA,
	"AbortMultipartUpload":    ClassA,
	"DeleteObject":            ClassA,
	"DeleteObjects":           ClassA,
	"GetObject":               ClassB,
	"HeadObject":              ClassB,
	"ListObjectsV2":           ClassC,
	"ListObjects":             ClassC,
	"ListObjectVersions":      ClassC,
	"ListMultipartUploads":    ClassC,
	"ListParts":               ClassC,
	"ListBuckets":             ClassC,
	"HeadBucket":              ClassC,
	"CopyObject":              ClassC,
	"UploadPartCopy":          ClassC,
}

// ClassOf is the B2 class of an S3 operation ("GetObject" is B); an
// operation the table lacks counts as class C, the dearest.
func ClassOf(operation string) Class {
	if c, ok := classes[operation]; ok {
		return c
	}
	return ClassC
}

// s3Metrics are the S3 side's instruments.
type s3Metrics struct {
	requests *prometheus.CounterVec
	retries  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	received prometheus.Counter
	sent     prometheus.Counter
}

func newS3Metrics(reg prometheus.Registerer) *s3Metrics {
	m := &s3Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b2mount_s3_requests_total",
			Help: "HTTP requests sent to the S3 endpoint (every attempt, retries included), by S3 operation, B2 transaction class (A, B, C) and HTTP status (\"none\": no answer came).",
		}, []string{"operation", "class", "status"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b2mount_s3_retries_total",
			Help: "Requests that were retries of a failed attempt, or resumed a download that broke off, by S3 operation.",
		}, []string{"operation"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "b2mount_s3_request_duration_seconds",
			Help: "Time from sending a request to its answer (the headers for GetObject, the whole answer otherwise) or its failure, by S3 operation.",
			// 1 ms (loopback) to 60 s (past every timeout).
			Buckets: prometheus.ExponentialBucketsRange(1e-3, 60, 14),
		}, []string{"operation"}),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "b2mount_s3_received_bytes_total",
			Help: "Body bytes received from the S3 endpoint: objects downloaded, listings and error answers.",
		}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "b2mount_s3_sent_bytes_total",
			Help: "Body bytes sent to the S3 endpoint: objects and parts uploaded (every attempt), and XML requests.",
		}),
	}
	reg.MustRegister(m.requests, m.retries, m.duration, m.received, m.sent)
	return m
}

// Request counts one request s3backend sent (s3backend.Observer).
func (m *Metrics) Request(r s3backend.Request) {
	class := ClassOf(r.Operation)
	status := "none"
	if r.Status != 0 {
		status = strconv.Itoa(r.Status)
	}
	m.s3.requests.WithLabelValues(r.Operation, class.String(), status).Inc()
	if r.Retry {
		m.s3.retries.WithLabelValues(r.Operation).Inc()
	}
	m.s3.duration.WithLabelValues(r.Operation).Observe(r.Duration.Seconds())
	m.ledger.add(class)
}

// Received counts body bytes received (s3backend.Observer).
func (m *Metrics) Received(n int64) { m.s3.received.Add(float64(n)) }

// Sent counts body bytes sent (s3backend.Observer).
func (m *Metrics) Sent(n int64) { m.s3.sent.Add(float64(n)) }
