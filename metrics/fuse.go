package metrics

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// The FUSE operations that are timed, by their index in fuseOpNames.
const (
	opLookup = iota
	opForget
	opGetAttr
	opSetAttr
	opMknod
	opMkdir
	opUnlink
	opRmdir
	opRename
	opLink
	opSymlink
	opReadlink
	opAccess
	opGetXAttr
	opListXAttr
	opSetXAttr
	opRemoveXAttr
	opCreate
	opTmpfile
	opOpen
	opRead
	opLseek
	opGetLk
	opSetLk
	opSetLkw
	opRelease
	opWrite
	opWritev
	opCopyFileRange
	opIoctl
	opFlush
	opFsync
	opFallocate
	opOpenDir
	opReadDir
	opReadDirPlus
	opReleaseDir
	opFsyncDir
	opStatFs
	opStatx
	numFuseOps
)

// fuseOpNames are the operation labels, as the kernel's FUSE protocol
// names them (FUSE_LOOKUP is "lookup").
var fuseOpNames = [numFuseOps]string{
	"lookup", "forget", "getattr", "setattr", "mknod", "mkdir", "unlink", "rmdir", "rename", "link",
	"symlink", "readlink", "access", "getxattr", "listxattr", "setxattr", "removexattr", "create", "tmpfile", "open",
	"read", "lseek", "getlk", "setlk", "setlkw", "release", "write", "writev", "copy_file_range", "ioctl",
	"flush", "fsync", "fallocate", "opendir", "readdir", "readdirplus", "releasedir", "fsyncdir", "statfs", "statx",
}

// fuseMetrics are the FUSE side's instruments. An operation's series
// appear once it has been seen.
type fuseMetrics struct {
	latencies *prometheus.HistogramVec
	// latency caches latencies' histogram of each operation.
	latency [numFuseOps]atomic.Pointer[prometheus.Observer]
	errors  *prometheus.CounterVec // by operation and errno
}

func newFuseMetrics(reg prometheus.Registerer) *fuseMetrics {
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "b2mount_fuse_operation_duration_seconds",
		Help: "Time b2mount took to answer FUSE operations from the kernel, by operation (its _count is the number of operations).",
		// 50 µs (a cached getattr) to 30 s (an operation's bound).
		Buckets: prometheus.ExponentialBucketsRange(50e-6, 30, 16),
	}, []string{"operation"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "b2mount_fuse_errors_total",
		Help: "FUSE operations answered with an error, by operation and errno (ENOENT, EIO, EACCES, EROFS, ...).",
	}, []string{"operation", "errno"})
	reg.MustRegister(lat, errs)
	return &fuseMetrics{latencies: lat, errors: errs}
}

// latencyOf is the histogram of operation op.
func (m *fuseMetrics) latencyOf(op int) prometheus.Observer {
	if o := m.latency[op].Load(); o != nil {
		return *o
	}
	o := m.latencies.WithLabelValues(fuseOpNames[op]) // the same one for every caller
	m.latency[op].Store(&o)
	return o
}

// done records an operation that started at start and answered st.
func (m *fuseMetrics) done(op int, start time.Time, st fuse.Status) {
	m.latencyOf(op).Observe(time.Since(start).Seconds())
	if st != fuse.OK {
		m.errors.WithLabelValues(fuseOpNames[op], errnoName(st)).Inc()
	}
}

// errnoName is st's symbolic name: "ENOENT", or "errno 1234" for one
// without a name.
func errnoName(st fuse.Status) string {
	if name := unix.ErrnoName(syscall.Errno(st)); name != "" {
		return name
	}
	return "errno " + strconv.Itoa(int(st))
}

// timedFS is a fuse.RawFileSystem that times every operation of the one
// it wraps and counts its errors. Everything else (Init, OnUnmount,
// String, SetDebug) passes straight through.
type timedFS struct {
	fuse.RawFileSystem
	m *fuseMetrics
}

var _ fuse.RawFileSystem = timedFS{}
