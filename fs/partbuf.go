package fs

import (
	"io"
	"os"
)

// partBuf holds the bytes of one streamed part from its first byte until
// it is uploaded (a part is kept for the retries): blocks of the mount's
// memory budget, taken one at a time as bytes arrive, or an unlinked file
// in the staging directory (parts above memPartMax, and parts for which
// memory ran out). It holds n bytes, n at most its part's size; bytes never
// written read as zeros, and so does a block never taken. Not safe for
// concurrent use: the session's mutex guards it while it fills; once
// sealed it is only read, by its upload.
type partBuf struct {
	n      int64    // bytes held
	blocks [][]byte // memory: block i holds bytes [i*blockSize, (i+1)*blockSize); nil is zeros
	file   *os.File // or a file (blocks unused)
}

// newFilePart returns an empty part buffered in an unlinked file of dir:
// a crash leaves nothing behind.
func newFilePart(dir string) (*partBuf, error) {
	f, err := os.CreateTemp(dir, "part-*")
	if err != nil {
		return nil, staging("create part file", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, staging("unlink part file", err)
	}
	return &partBuf{file: f}, nil
}

// room takes from pool the blocks that bytes [off, end) lack, zeroed
// outside [off, end): the caller writes [off, end) next (writeAt), so a
// block a streamed write covers whole is not cleared first. It takes all or
// none: false when the pool cannot spare them.
func (b *partBuf) room(pool *bufPool, off, end int64) bool {
	if b.file != nil || off >= end {
		return true
	}
	first, last := int(off/blockSize), int((end-1)/blockSize)
	for len(b.blocks) <= last {
		b.blocks = append(b.blocks, nil)
	}
	missing := 0
	for i := first; i <= last; i++ {
		if b.blocks[i] == nil {
			missing++
		}
	}
	if missing == 0 {
		return true
	}
	got, ok := pool.get(int64(missing) * blockSize)
	if !ok {
		return false
	}
	for i := first; i <= last; i++ {
		if b.blocks[i] == nil {
			b.blocks[i], got = got[0], got[1:]
			// Blocks are reused: zeros, not another file's bytes, where
			// this write does not reach.
			start := int64(i) * blockSize
			clear(b.blocks[i][:max(off-start, 0)])
			clear(b.blocks[i][min(end-start, blockSize):])
		}
	}
	return true
}

// writeAt copies p to offset off; a memory part must have room (see room).
func (b *partBuf) writeAt(p []byte, off int64) error {
	end := off + int64(len(p))
	if b.file != nil {
		if _, err := b.file.WriteAt(p, off); err != nil {
			return staging("write part file", err)
		}
	} else {
		for len(p) > 0 {
			k := copy(b.blocks[off/blockSize][off%blockSize:], p)
			p, off = p[k:], off+int64(k)
		}
	}
	b.n = max(b.n, end)
	return nil
}

// setLen makes the part hold n bytes: a shorter part forgets the rest (it
// reads as zeros if the part grows again), a longer one reads as zeros up to n.
func (b *partBuf) setLen(pool *bufPool, n int64) error {
	if b.file != nil {
		if err := b.file.Truncate(n); err != nil {
			return staging("truncate part file", err)
		}
		b.n = n
		return nil
	}
	if n < b.n {
		keep := int((n + blockSize - 1) / blockSize)
		if keep < len(b.blocks) {
			b.putBlocks(pool, b.blocks[keep:])
			b.blocks = b.blocks[:keep]
		}
		if i := int(n / blockSize); n%blockSize != 0 && i < len(b.blocks) && b.blocks[i] != nil {
			clear(b.blocks[i][n%blockSize:])
		}
	}
	b.n = n
	return nil
}

// reader reads the part's n bytes, from its start on each call.
func (b *partBuf) reader() io.ReaderAt {
	if b.file != nil {
		return io.NewSectionReader(stagingReader{b.file, "read part file"}, 0, b.n)
	}
	return blocksReader{b.blocks, b.n}
}

// toFile moves the part's bytes from memory to a file of dir, giving the
// blocks back. On failure the part is as it was.
func (b *partBuf) toFile(pool *bufPool, dir string) error {
	if b.file != nil {
		return nil
	}
	f, err := newFilePart(dir)
	if err != nil {
		return err
	}
	if err := copyBlocks(f.file, 0, b.blocks, b.n, "write part file"); err != nil {
		f.release(pool)
		return err
	}
	if err := f.setLen(pool, b.n); err != nil {
		f.release(pool)
		return err
	}
	b.release(pool)
	*b = *f
	return nil
}

// release gives the blocks back to pool, or closes the file. The part is
// empty afterwards.
func (b *partBuf) release(pool *bufPool) {
	if b.file != nil {
		b.file.Close()
	}
	b.putBlocks(pool, b.blocks)
	*b = partBuf{}
}

func (b *partBuf) putBlocks(pool *bufPool, blocks [][]byte) {
	taken := make([][]byte, 0, len(blocks))
	for _, blk := range blocks {
		if blk != nil {
			taken = append(taken, blk)
		}
	}
	pool.put(taken)
}

// copyTo writes the part's first n bytes to f at offset at, for a staged
// file; bytes never written are skipped (f is sparse there, and reads
// zeros).
func (b *partBuf) copyTo(f *os.File, at, n int64) error {
	if b.file != nil {
		_, err := io.Copy(io.NewOffsetWriter(f, at), io.NewSectionReader(b.file, 0, min(n, b.n)))
		return staging("write staged file", err)
	}
	return copyBlocks(f, at, b.blocks, n, "write staged file")
}

// copyBlocks writes the first n bytes of blocks to f at offset at,
// skipping blocks never taken.
func copyBlocks(f *os.File, at int64, blocks [][]byte, n int64, op string) error {
	for i, blk := range blocks {
		off := int64(i) * blockSize
		if blk == nil || off >= n {
			continue
		}
		if _, err := f.WriteAt(blk[:min(blockSize, n-off)], at+off); err != nil {
			return staging(op, err)
		}
	}
	return nil
}

var (
	_ io.ReaderAt = blocksReader{}
	_ io.ReaderAt = concatReader{}
	_ io.ReaderAt = stagingReader{}
)

// blocksReader reads n bytes held in blocks (nil blocks are zeros).
type blocksReader struct {
	blocks [][]byte
	n      int64
}

func (r blocksReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.n {
		return 0, io.EOF
	}
	want := len(p)
	p = p[:min(int64(len(p)), r.n-off)]
	done := 0
	for done < len(p) {
		i, lo := int(off/blockSize), off%blockSize
		var k int
		if i < len(r.blocks) && r.blocks[i] != nil {
			k = copy(p[done:], r.blocks[i][lo:])
		} else {
			k = len(clear0(p[done:min(len(p), done+int(blockSize-lo))]))
		}
		done, off = done+k, off+int64(k)
	}
	if done < want {
		return done, io.EOF
	}
	return done, nil
}

// clear0 zeroes p and returns it.
func clear0(p []byte) []byte {
	clear(p)
	return p
}

// concatReader reads its readers one after another, each size bytes.
type concatReader struct {
	parts []io.ReaderAt
	sizes []int64
}

func (c concatReader) ReadAt(p []byte, off int64) (int, error) {
	done := 0
	for i, r := range c.parts {
		if len(p) == done {
			break
		}
		if off >= c.sizes[i] {
			off -= c.sizes[i]
			continue
		}
		want := min(int64(len(p)-done), c.sizes[i]-off)
		k, err := r.ReadAt(p[done:done+int(want)], off)
		done += k
		if int64(k) < want {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return done, err
		}
		off = 0
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

// stagingReader reads a local file, its errors wrapped as stagingErrors.
type stagingReader struct {
	f  *os.File
	op string
}

func (r stagingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = staging(r.op, err)
	}
	return n, err
}
