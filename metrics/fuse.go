package metrics

import (
	"strconv"
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

// fuseMetrics are the FUSE side's instruments.
type fuseMetrics struct {
	latency [numFuseOps]prometheus.Observer // per operation, resolved once
	errors  *prometheus.CounterVec          // by operation and errno
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
	m := &fuseMetrics{errors: errs}
	for i, name := range fuseOpNames {
		m.latency[i] = lat.WithLabelValues(name)
	}
	return m
}

// done records an operation that started at start and answered st.
func (m *fuseMetrics) done(op int, start time.Time, st fuse.Status) {
	m.latency[op].Observe(time.Since(start).Seconds())
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
