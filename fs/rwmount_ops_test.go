package fs_test

import (
	"bytes"
	"io"
	"syscall"
)

// The operations of the random test on an open handle.

// writeSize picks a write's size: mostly small, sometimes up to 2 MiB.
func (x *runner) writeSize() int {
	switch k := x.r.IntN(20); {
	case k < 14:
		return 1 + x.r.IntN(8<<10)
	case k < 19:
		return 1 + x.r.IntN(256<<10)
	default:
		return 1 + x.r.IntN(2<<20)
	}
}

// handleOp is an operation on the handle open on a name.
func (x *runner) handleOp(h *mhandle) {
	switch k := x.r.IntN(20); {
	case k < 6 && h.writable:
		x.write(h)
	case k < 10 && h.readable:
		x.read(h)
	case k < 12:
		x.seek(h)
	case k < 13 && h.writable:
		n := x.r.Int64N(min(maxRandomSize, h.size()+1<<20) + 1)
		x.note("ftruncate %s %d", h.name, n)
		if err := syscall.Ftruncate(h.fd, n); err != nil {
			x.fail("ftruncate %s %d: %v", h.name, n, err)
		}
		h.truncate(n)
	case k < 14:
		x.note("fsync %s", h.name)
		if err := syscall.Fsync(h.fd); err != nil {
			x.fail("fsync %s: %v", h.name, err)
		}
		x.m.commit(h)
		x.checkStored(h.name)
	case k < 16:
		x.note("fstat %s", h.name)
		var st syscall.Stat_t
		if err := syscall.Fstat(h.fd, &st); err != nil || st.Size != h.size() {
			x.fail("fstat %s: size %d, %v; want %d", h.name, st.Size, err, h.size())
		}
		x.stat(h.name)
	case k < 18:
		x.close(h)
	case k < 20:
		x.close(h)
		x.open(h.name, randomFlags(x.r))
	}
}

func (x *runner) write(h *mhandle) {
	n := x.writeSize()
	off := int64(-1)
	if x.r.IntN(2) == 0 {
		off = x.r.Int64N(h.size() + 128<<10)
	}
	at := off
	if at < 0 {
		at = h.pos
	}
	if h.app {
		at = h.size()
	}
	if at+int64(n) > maxRandomSize {
		return
	}
	p := pattern(x.r, n)
	var got int
	var err error
	if off < 0 {
		x.note("write %s %d at the position %d%s", h.name, n, h.pos, map[bool]string{true: " (O_APPEND)"}[h.app])
		got, err = syscall.Write(h.fd, p)
	} else {
		x.note("pwrite %s %d at %d%s", h.name, n, off, map[bool]string{true: " (O_APPEND)"}[h.app])
		got, err = syscall.Pwrite(h.fd, p, off)
	}
	if err != nil || got != n {
		x.fail("write %s: %d, %v; want %d", h.name, got, err, n)
	}
	h.write(p, off)
}

func (x *runner) read(h *mhandle) {
	n := 1 + x.r.IntN(512<<10)
	off := int64(-1)
	if x.r.IntN(2) == 0 {
		off = x.r.Int64N(h.size() + 64<<10)
	}
	p := make([]byte, n)
	var got int
	var err error
	if off < 0 {
		x.note("read %s %d at the position %d", h.name, n, h.pos)
		got, err = io.ReadFull(fdReader(h.fd), p)
	} else {
		x.note("pread %s %d at %d", h.name, n, off)
		got, err = io.ReadFull(io.NewSectionReader(fdReaderAt(h.fd), off, int64(n)), p)
	}
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		x.fail("read %s: %v", h.name, err)
	}
	if want := h.read(n, off); !bytes.Equal(p[:got], want) {
		x.fail("read %s: %s, want %s (first difference at %d)", h.name, describe(p[:got]), describe(want), firstDifference(p[:got], want))
	}
}

func (x *runner) seek(h *mhandle) {
	to := x.r.Int64N(h.size() + 64<<10)
	x.note("seek %s %d", h.name, to)
	got, err := syscall.Seek(h.fd, to, io.SeekStart)
	if err != nil || got != to {
		x.fail("seek %s %d: %d, %v", h.name, to, got, err)
	}
	h.pos = to
}

// fdReader and fdReaderAt read a raw descriptor (os.File refuses pwrite
// on O_APPEND files, which this test wants to make).
type fdReader int

func (fd fdReader) Read(p []byte) (int, error) {
	n, err := syscall.Read(int(fd), p)
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return max(n, 0), err
}

type fdReaderAt int

func (fd fdReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := syscall.Pread(int(fd), p, off)
	if n == 0 && err == nil && len(p) > 0 {
		return 0, io.EOF
	}
	return max(n, 0), err
}
