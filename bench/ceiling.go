package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	b2fs "github.com/b2mount/b2mount/fs"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// machineBusy is how many CPU-seconds the whole machine has spent on
// anything but idling since boot (the first line of /proc/stat, in
// USER_HZ).
func machineBusy() (float64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue // idle, iowait
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		busy += n
	}
	return float64(busy) / clockTicks, nil
}

// memFile is one read-only file served from memory.
type memFile struct {
	gofs.Inode
	data []byte
}

var (
	_ = (gofs.NodeGetattrer)((*memFile)(nil))
	_ = (gofs.NodeOpener)((*memFile)(nil))
	_ = (gofs.NodeReader)((*memFile)(nil))
)

func (f *memFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFREG | 0o444
	out.Size = uint64(len(f.data))
	return 0
}

func (f *memFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return nil, 0, 0
}

// Read answers with a slice of the file: go-fuse writes it to the kernel
// with no copy of its own, as b2mount does from its read-ahead buffers.
func (f *memFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	end := min(off+int64(len(dest)), int64(len(f.data)))
	return fuse.ReadResultData(f.data[min(off, end):end]), 0
}

// memFileCmd is the first argument that makes the bench binary the FUSE
// ceiling's daemon instead: bench memfile DIR MIB.
const memFileCmd = "memfile"

// memFileName is the ceiling's one file.
const memFileName = "big.bin"

// serveMemFile mounts at dir a go-fuse file system whose one file,
// big.bin, holds mib MiB of noise served from memory, with b2mount's mount
// settings (1 MiB reads and read-ahead), until it is unmounted or ctx ends.
func serveMemFile(ctx context.Context, dir, mib string) error {
	n, err := strconv.ParseInt(mib, 10, 64)
	if err != nil || n < 1 {
		return fmt.Errorf("memfile: bad size %q", mib)
	}
	data := noise(n<<20, 99)
	root := &gofs.Inode{}
	sec := time.Second
	srv, err := gofs.Mount(dir, root, &gofs.Options{
		EntryTimeout: &sec, AttrTimeout: &sec, NegativeTimeout: &sec,
		OnAdd: func(ctx context.Context) {
			ch := root.NewPersistentInode(ctx, &memFile{data: data}, gofs.StableAttr{Mode: syscall.S_IFREG})
			root.AddChild(memFileName, ch, false)
		},
		MountOptions: fuse.MountOptions{
			FsName: "fuse-ceiling", Name: "bench",
			MaxReadAhead: 1 << 20, MaxWrite: 1 << 20, DisableSplice: true,
		},
	})
	if err != nil {
		return fmt.Errorf("memfile: %w", err)
	}
	if err := b2fs.RaiseReadAhead(dir, 1<<20); err != nil {
		_ = srv.Unmount()
		return err
	}
	go func() {
		<-ctx.Done()
		_ = srv.Unmount()
	}()
	srv.Wait()
	return nil
}

// measureFUSECeiling mounts the bench binary itself as a FUSE daemon that
// serves a file of size bytes from memory (serveMemFile), reads the file
// cold once as the contenders read theirs, and unmounts. No S3 server, no
// network: what the kernel's FUSE path costs on this machine, the bound for
// every mount in the tables. The machine CPU includes the reader's.
func measureFUSECeiling(ctx context.Context, dir string, size int64) (seqResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return seqResult{}, err
	}
	defer os.Remove(dir)
	exe, err := os.Executable()
	if err != nil {
		return seqResult{}, err
	}
	mp, err := startMount(ctx, "FUSE ceiling", dir, exec.Command(exe, memFileCmd, dir, strconv.FormatInt(size>>20, 10)))
	if err != nil {
		return seqResult{}, err
	}
	defer mp.stop()

	b0, err := machineBusy()
	if err != nil {
		return seqResult{}, err
	}
	start := time.Now()
	n, err := mountFS{dir: dir}.readWhole(ctx, memFileName)
	secs := time.Since(start).Seconds()
	b1, berr := machineBusy()
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes of %d", n, size)
	}
	if err := errors.Join(err, berr); err != nil {
		return seqResult{}, fmt.Errorf("read the FUSE ceiling: %w", err)
	}
	return seqResult{secs: secs, mbs: float64(n) / secs / 1e6, machineCPU: b1 - b0}, nil
}
