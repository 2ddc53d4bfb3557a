package metrics

import (
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// The methods of timedFS: each times the call it passes on.

func (t timedFS) Lookup(c <-chan struct{}, h *fuse.InHeader, name string, out *fuse.EntryOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Lookup(c, h, name, out)
	if st == fuse.OK && out.NodeId == 0 {
		// A negative entry (go-fuse's answer to ENOENT when misses are
		// cached): the kernel answers the program ENOENT.
		t.m.done(opLookup, start, fuse.ENOENT)
		return st
	}
	t.m.done(opLookup, start, st)
	return st
}

func (t timedFS) Forget(nodeid, nlookup uint64) {
	start := time.Now()
	t.RawFileSystem.Forget(nodeid, nlookup)
	t.m.done(opForget, start, fuse.OK)
}

func (t timedFS) GetAttr(c <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.GetAttr(c, in, out)
	t.m.done(opGetAttr, start, st)
	return st
}

func (t timedFS) SetAttr(c <-chan struct{}, in *fuse.SetAttrIn, out *fuse.AttrOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.SetAttr(c, in, out)
	t.m.done(opSetAttr, start, st)
	return st
}

func (t timedFS) Mknod(c <-chan struct{}, in *fuse.MknodIn, name string, out *fuse.EntryOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Mknod(c, in, name, out)
	t.m.done(opMknod, start, st)
	return st
}

func (t timedFS) Mkdir(c <-chan struct{}, in *fuse.MkdirIn, name string, out *fuse.EntryOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Mkdir(c, in, name, out)
	t.m.done(opMkdir, start, st)
	return st
}

func (t timedFS) Unlink(c <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Unlink(c, h, name)
	t.m.done(opUnlink, start, st)
	return st
}

func (t timedFS) Rmdir(c <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Rmdir(c, h, name)
	t.m.done(opRmdir, start, st)
	return st
}

func (t timedFS) Rename(c <-chan struct{}, in *fuse.RenameIn, oldName, newName string) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Rename(c, in, oldName, newName)
	t.m.done(opRename, start, st)
	return st
}

func (t timedFS) Link(c <-chan struct{}, in *fuse.LinkIn, name string, out *fuse.EntryOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Link(c, in, name, out)
	t.m.done(opLink, start, st)
	return st
}

func (t timedFS) Symlink(c <-chan struct{}, h *fuse.InHeader, to, name string, out *fuse.EntryOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Symlink(c, h, to, name, out)
	t.m.done(opSymlink, start, st)
	return st
}

func (t timedFS) Readlink(c <-chan struct{}, h *fuse.InHeader) ([]byte, fuse.Status) {
	start := time.Now()
	b, st := t.RawFileSystem.Readlink(c, h)
	t.m.done(opReadlink, start, st)
	return b, st
}

func (t timedFS) Access(c <-chan struct{}, in *fuse.AccessIn) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Access(c, in)
	t.m.done(opAccess, start, st)
	return st
}

func (t timedFS) GetXAttr(c <-chan struct{}, h *fuse.InHeader, attr string, dest []byte) (uint32, fuse.Status) {
	start := time.Now()
	n, st := t.RawFileSystem.GetXAttr(c, h, attr, dest)
	t.m.done(opGetXAttr, start, st)
	return n, st
}

func (t timedFS) ListXAttr(c <-chan struct{}, h *fuse.InHeader, dest []byte) (uint32, fuse.Status) {
	start := time.Now()
	n, st := t.RawFileSystem.ListXAttr(c, h, dest)
	t.m.done(opListXAttr, start, st)
	return n, st
}

func (t timedFS) SetXAttr(c <-chan struct{}, in *fuse.SetXAttrIn, attr string, data []byte) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.SetXAttr(c, in, attr, data)
	t.m.done(opSetXAttr, start, st)
	return st
}

func (t timedFS) RemoveXAttr(c <-chan struct{}, h *fuse.InHeader, attr string) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.RemoveXAttr(c, h, attr)
	t.m.done(opRemoveXAttr, start, st)
	return st
}

func (t timedFS) Create(c <-chan struct{}, in *fuse.CreateIn, name string, out *fuse.CreateOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Create(c, in, name, out)
	t.m.done(opCreate, start, st)
	return st
}

func (t timedFS) Tmpfile(c <-chan struct{}, in *fuse.CreateIn, out *fuse.CreateOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Tmpfile(c, in, out)
	t.m.done(opTmpfile, start, st)
	return st
}

func (t timedFS) Open(c <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Open(c, in, out)
	t.m.done(opOpen, start, st)
	return st
}

func (t timedFS) Read(c <-chan struct{}, in *fuse.ReadIn, buf []byte) (fuse.ReadResult, fuse.Status) {
	start := time.Now()
	r, st := t.RawFileSystem.Read(c, in, buf)
	t.m.done(opRead, start, st)
	return r, st
}

func (t timedFS) Lseek(c <-chan struct{}, in *fuse.LseekIn, out *fuse.LseekOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Lseek(c, in, out)
	t.m.done(opLseek, start, st)
	return st
}

func (t timedFS) GetLk(c <-chan struct{}, in *fuse.LkIn, out *fuse.LkOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.GetLk(c, in, out)
	t.m.done(opGetLk, start, st)
	return st
}

func (t timedFS) SetLk(c <-chan struct{}, in *fuse.LkIn) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.SetLk(c, in)
	t.m.done(opSetLk, start, st)
	return st
}

func (t timedFS) SetLkw(c <-chan struct{}, in *fuse.LkIn) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.SetLkw(c, in)
	t.m.done(opSetLkw, start, st)
	return st
}

func (t timedFS) Release(c <-chan struct{}, in *fuse.ReleaseIn) {
	start := time.Now()
	t.RawFileSystem.Release(c, in)
	t.m.done(opRelease, start, fuse.OK)
}

func (t timedFS) Write(c <-chan struct{}, in *fuse.WriteIn, data []byte) (uint32, fuse.Status) {
	start := time.Now()
	n, st := t.RawFileSystem.Write(c, in, data)
	t.m.done(opWrite, start, st)
	return n, st
}

func (t timedFS) Writev(c <-chan struct{}, in *fuse.WriteIn, data [][]byte) (uint32, fuse.Status) {
	start := time.Now()
	n, st := t.RawFileSystem.Writev(c, in, data)
	t.m.done(opWritev, start, st)
	return n, st
}

func (t timedFS) CopyFileRange(c <-chan struct{}, in *fuse.CopyFileRangeIn) (uint32, fuse.Status) {
	start := time.Now()
	n, st := t.RawFileSystem.CopyFileRange(c, in)
	t.m.done(opCopyFileRange, start, st)
	return n, st
}

func (t timedFS) Ioctl(c <-chan struct{}, in *fuse.IoctlIn, inbuf []byte, out *fuse.IoctlOut, outbuf []byte) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Ioctl(c, in, inbuf, out, outbuf)
	t.m.done(opIoctl, start, st)
	return st
}

func (t timedFS) Flush(c <-chan struct{}, in *fuse.FlushIn) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Flush(c, in)
	t.m.done(opFlush, start, st)
	return st
}

func (t timedFS) Fsync(c <-chan struct{}, in *fuse.FsyncIn) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Fsync(c, in)
	t.m.done(opFsync, start, st)
	return st
}

func (t timedFS) Fallocate(c <-chan struct{}, in *fuse.FallocateIn) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Fallocate(c, in)
	t.m.done(opFallocate, start, st)
	return st
}

func (t timedFS) OpenDir(c <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.OpenDir(c, in, out)
	t.m.done(opOpenDir, start, st)
	return st
}

func (t timedFS) ReadDir(c <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.ReadDir(c, in, out)
	t.m.done(opReadDir, start, st)
	return st
}

func (t timedFS) ReadDirPlus(c <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.ReadDirPlus(c, in, out)
	t.m.done(opReadDirPlus, start, st)
	return st
}

func (t timedFS) ReleaseDir(in *fuse.ReleaseIn) {
	start := time.Now()
	t.RawFileSystem.ReleaseDir(in)
	t.m.done(opReleaseDir, start, fuse.OK)
}

func (t timedFS) FsyncDir(c <-chan struct{}, in *fuse.FsyncIn) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.FsyncDir(c, in)
	t.m.done(opFsyncDir, start, st)
	return st
}

func (t timedFS) StatFs(c <-chan struct{}, in *fuse.InHeader, out *fuse.StatfsOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.StatFs(c, in, out)
	t.m.done(opStatFs, start, st)
	return st
}

func (t timedFS) Statx(c <-chan struct{}, in *fuse.StatxIn, out *fuse.StatxOut) fuse.Status {
	start := time.Now()
	st := t.RawFileSystem.Statx(c, in, out)
	t.m.done(opStatx, start, st)
	return st
}
