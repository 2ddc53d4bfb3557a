// Package metrics owns b2mount's Prometheus metrics (the only product
// package that imports the Prometheus client): the S3 requests a mount
// sends, by operation, status and B2 transaction class, with their
// retries and bytes; the FUSE operations it answers, with their latency
// and errors; its memory budget and prefetch buffers; and the estimated
// cost of its requests at B2's list prices.
//
// It observes from the outside: s3backend reports requests through its
// Observer hook (Metrics implements it), the FUSE operations are timed by
// a wrapper around the file system (WrapFUSE), and the mount's own
// counters are read from fs.MountStats when scraped. Every method is safe
// for concurrent use.
package metrics

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/s3backend"
)

// Options configure Metrics.
type Options struct {
	// Prices estimate the cost of the requests. Default DefaultPrices().
	Prices *Prices
	// Clock tells which UTC day a request falls on (B2's free
	// allowances are per day). Default time.Now.
	Clock func() time.Time
}

// Metrics are one mount's metrics, in a registry of their own.
type Metrics struct {
	reg    *prometheus.Registry
	s3     *s3Metrics
	fuse   *fuseMetrics
	ledger *ledger
	// stats reads the mount's counters; nil until WatchMount.
	stats atomic.Pointer[func() fs.Stats]
}

var _ s3backend.Observer = (*Metrics)(nil)

// New returns the metrics of a mount about to start, with the Go
// runtime's and the process's standard metrics (go_*, process_*) beside
// b2mount's own (b2mount_*).
func New(opt Options) *Metrics {
	prices := DefaultPrices()
	if opt.Prices != nil {
		prices = *opt.Prices
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{reg: reg, ledger: newLedger(prices, opt.Clock)}
	m.s3 = newS3Metrics(reg)
	m.fuse = newFuseMetrics(reg)
	m.registerMount(reg)
	return m
}

// Handler serves the metrics in Prometheus's text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// WrapFUSE returns raw (the file system a mount serves, as
// gofs.NewNodeFS makes it) with every operation timed and every error
// counted by errno.
func (m *Metrics) WrapFUSE(raw fuse.RawFileSystem) fuse.RawFileSystem {
	return timedFS{RawFileSystem: raw, m: m.fuse}
}

// WatchMount makes the mount's own counters (memory budget, prefetch
// buffers) part of the metrics; stats is called at every scrape.
func (m *Metrics) WatchMount(stats func() fs.Stats) { m.stats.Store(&stats) }

// mountStats are the watched mount's counters, zero before WatchMount.
func (m *Metrics) mountStats() fs.Stats {
	if f := m.stats.Load(); f != nil {
		return (*f)()
	}
	return fs.Stats{}
}

// registerMount registers the gauges read from the mount's counters and
// the ledger's cost.
func (m *Metrics) registerMount(reg prometheus.Registerer) {
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, v)
	}
	reg.MustRegister(
		gauge("b2mount_memory_budget_bytes", "The memory budget of prefetch buffers and of parts being written (--memory-limit).",
			func() float64 { return float64(m.mountStats().MemoryLimit) }),
		gauge("b2mount_memory_in_use_bytes", "Bytes of the memory budget that buffers hold now.",
			func() float64 { return float64(m.mountStats().MemoryInUse) }),
		gauge("b2mount_memory_peak_bytes", "The most bytes of the memory budget buffers held at once.",
			func() float64 { return float64(m.mountStats().MemoryPeak) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "b2mount_prefetch_served_bytes_total",
			Help: "Bytes that reads got from prefetch (read-ahead) buffers; reads the buffers did not cover went straight to the server."},
			func() float64 { return float64(m.mountStats().PrefetchServed) }),
		gauge("b2mount_b2_estimated_cost_dollars",
			"Estimated cost in US dollars of the requests sent since the mount started, at the prices of --b2-prices, after each UTC day's free allowance.",
			func() float64 { return m.ledger.summary().Cost }),
	)
}
