package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/b2mount/b2mount/s3backend"
)

// readBuf is the read size of every sequential reader, the size of a
// large FUSE request.
const readBuf = 1 << 20

// fsys is one contender's view of the bucket for one workload: a mount
// (through the kernel) or the direct client.
type fsys interface {
	// readWhole reads key from start to end and returns the bytes read.
	readWhole(ctx context.Context, key string) (int64, error)
	// open returns key for random reads.
	open(ctx context.Context, key string) (io.ReaderAt, func(), error)
	// listLong lists prefix with every attribute (ls -l) and returns the
	// number of entries.
	listLong(ctx context.Context, prefix string) (int, error)
	// listTree lists prefix and everything below it (ls -lR) and returns
	// the number of files.
	listTree(ctx context.Context, prefix string) (int, error)
}

// mountFS reads through a mount point with ordinary system calls and
// commands.
type mountFS struct{ dir string }

func (m mountFS) path(key string) string { return filepath.Join(m.dir, filepath.FromSlash(key)) }

func (m mountFS) readWhole(ctx context.Context, key string) (int64, error) {
	f, err := os.Open(m.path(key))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return drain(ctx, f)
}

func (m mountFS) open(ctx context.Context, key string) (io.ReaderAt, func(), error) {
	f, err := os.Open(m.path(key))
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

func (m mountFS) listLong(ctx context.Context, prefix string) (int, error) {
	out, err := exec.CommandContext(ctx, "ls", "-l", "--color=never", m.path(prefix)).Output()
	if err != nil {
		return 0, fmt.Errorf("ls -l: %w", err)
	}
	return countEntries(out, '-', 'd'), nil
}

func (m mountFS) listTree(ctx context.Context, prefix string) (int, error) {
	out, err := exec.CommandContext(ctx, "ls", "-lR", "--color=never", m.path(prefix)).Output()
	if err != nil {
		return 0, fmt.Errorf("ls -lR: %w", err)
	}
	return countEntries(out, '-'), nil
}

// countEntries counts the lines of ls -l output that start with one of kinds.
func countEntries(out []byte, kinds ...byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 && bytes.IndexByte(kinds, line[0]) >= 0 {
			n++
		}
	}
	return n
}

// directFS is the baseline: the project's S3 client, one request at a time.
type directFS struct{ c *s3backend.Client }

func (d directFS) readWhole(ctx context.Context, key string) (int64, error) {
	rc, err := d.c.OpenRange(ctx, key, "", 0, -1)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return drain(ctx, rc)
}

func (d directFS) open(ctx context.Context, key string) (io.ReaderAt, func(), error) {
	return rangeReaderAt{ctx: ctx, c: d.c, key: key}, func() {}, nil
}

func (d directFS) listLong(ctx context.Context, prefix string) (int, error) {
	l, err := d.c.List(ctx, prefix)
	return len(l.Objects) + len(l.Prefixes), err
}

func (d directFS) listTree(ctx context.Context, prefix string) (int, error) {
	l, err := d.c.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := len(l.Objects)
	for _, p := range l.Prefixes {
		k, err := d.listTree(ctx, p)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

// rangeReaderAt answers each ReadAt with one ranged GET.
type rangeReaderAt struct {
	ctx context.Context
	c   *s3backend.Client
	key string
}

func (r rangeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	rc, err := r.c.OpenRange(r.ctx, r.key, "", off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.ReadFull(rc, p)
}

// drain reads r to its end in readBuf pieces.
func drain(ctx context.Context, r io.Reader) (int64, error) {
	buf := make([]byte, readBuf)
	var total int64
	for {
		n, err := r.Read(buf)
		total += int64(n)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// describeErr shortens an error for a table cell.
func describeErr(err error) string {
	s := strings.ReplaceAll(err.Error(), "|", "/")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
