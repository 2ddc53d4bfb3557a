package fs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// tree writes n small files under dir/src for rsync and cp -r, with set
// modification times.
func tree(t *testing.T, n int) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	for i := range n {
		p := filepath.Join(src, fmt.Sprintf("d%d/f%03d.txt", i%3, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("x", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := time.Date(2020, 1, 2, 3, 4, 5, 123456789, time.UTC).Add(time.Duration(i) * time.Hour)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

func TestRsyncTwiceUploadsNothingTheSecondTime(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	src := tree(t, 30)
	sh(t, mnt, "rsync -a "+src+"/ "+mnt+"/dst/")
	if out := sh(t, mnt, "diff -r "+src+" dst && echo same"); !strings.Contains(out, "same") {
		t.Fatal(out)
	}
	st.ResetCounts()
	out := sh(t, mnt, "rsync -a --itemize-changes "+src+"/ "+mnt+"/dst/")
	c := st.Counts()
	for _, op := range []string{memstore.OpPut, memstore.OpPart, memstore.OpCopy, memstore.OpDelete, memstore.OpGet, memstore.OpHead} {
		if c[op] != 0 {
			t.Errorf("second rsync sent %d %s (counts %v); itemized:\n%s", c[op], op, c, out)
		}
	}
	// Folders keep no times of their own (README), so rsync may set
	// theirs again (".d..t......", which sends nothing); no file may
	// change.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if len(line) > 1 && line[1] != 'd' {
			t.Errorf("second rsync changed a file: %q; itemized:\n%s", line, out)
		}
	}
}

func TestCpPreservesTimesInB2(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	src := tree(t, 1)
	f := filepath.Join(src, "d0/f000.txt")
	sh(t, mnt, "cp -p "+f+" "+mnt+"/copy.txt")
	obj, err := st.Stat(t.Context(), "copy.txt")
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(f)
	if !obj.MTime.Equal(fi.ModTime().Truncate(time.Millisecond)) {
		t.Errorf("src_last_modified_millis %v, want %v", obj.MTime, fi.ModTime())
	}
	got, _ := os.Stat(filepath.Join(mnt, "copy.txt"))
	if !got.ModTime().Equal(fi.ModTime()) {
		t.Errorf("mtime on the mount %v, want %v", got.ModTime(), fi.ModTime())
	}
}

func TestKilledCpLeavesNoObject(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(mnt, "half.bin")
	cp := exec.Command("cp", fifo, dst)
	if err := cp.Start(); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write(make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	// cp has written what it read once the file shows it; then it waits
	// for more, and dies.
	if !waitUntil(func() bool {
		fi, err := os.Stat(dst)
		return err == nil && fi.Size() == 256<<10
	}) {
		t.Fatal("cp did not write the first 256 KiB")
	}
	if err := cp.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cp.Wait()
	if _, ok := st.Data("half.bin"); ok {
		t.Fatalf("cp killed mid-copy left an object")
	}
	if c := st.Count(memstore.OpPut); c != 0 {
		t.Errorf("%d PUTs for a copy that never finished", c)
	}
	// The kernel is told to forget the name once the handle is released,
	// which it sends on its own time.
	if !waitUntil(func() bool { _, err := os.Stat(dst); return errors.Is(err, os.ErrNotExist) }) {
		t.Errorf("the file cp never finished still shows")
	}
}

func TestFailedUploadFailsCloseAndLeavesNothing(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	st.SetFault(func(op, key string) error {
		return fmt.Errorf("%w: injected", s3backend.ErrUnavailable)
	})
	err := os.WriteFile(filepath.Join(mnt, "f.txt"), []byte("data"), 0o644)
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("close with a failing store: %v, want EIO", err)
	}
	if _, ok := st.Data("f.txt"); ok {
		t.Fatal("an object appeared")
	}
	if res := exec.Command("cp", "/etc/hostname", filepath.Join(mnt, "g.txt")).Run(); res == nil {
		t.Error("cp exited 0 while every upload failed")
	}
	st.SetFault(nil)
	if !waitUntil(func() bool { _, err := os.Stat(filepath.Join(mnt, "f.txt")); return errors.Is(err, os.ErrNotExist) }) {
		t.Errorf("the file whose upload failed still shows")
	}
}

func TestBadNamesAreRefusedBeforeAnyRequest(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	st.ResetCounts()
	long := strings.Repeat("a", 250)
	deep := filepath.Join(mnt, long, long, long, long, long)
	if err := os.MkdirAll(filepath.Dir(deep), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadDir(mnt); err != nil { // lookups then need no request
		t.Fatal(err)
	}
	st.ResetCounts()
	for name, want := range map[string]error{
		filepath.Join(mnt, "ctl\x01name"): syscall.EINVAL,
		filepath.Join(mnt, "del\x7fname"): syscall.EINVAL,
		filepath.Join(mnt, "bad\xffutf8"): syscall.EINVAL,
		filepath.Join(mnt, ".bzEmpty"):    syscall.EINVAL,
		deep:                              syscall.ENAMETOOLONG,
	} {
		err := os.WriteFile(name, []byte("x"), 0o644)
		if !errors.Is(err, want) {
			t.Errorf("create %q: %v, want %v", filepath.Base(name), err, want)
		}
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("bad names sent %v", c)
	}
}

func TestTwoWritersOfOneFileNeverMix(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	path := filepath.Join(mnt, "shared.txt")
	a, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.OpenFile(path, os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("AAAAAAAA")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("bb")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Data("shared.txt"); string(got) != "AAAAAAAA" {
		t.Errorf("after the first close: %q", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Data("shared.txt"); string(got) != "bb" {
		t.Errorf("after the last close: %q, want writer b's whole content", got)
	}
	if got, _ := os.ReadFile(path); string(got) != "bb" {
		t.Errorf("read back: %q", got)
	}
}

func TestBigCopyStreamsInPartsAndKeepsItsTime(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	src := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 12<<20+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2021, 6, 7, 8, 9, 10, 500_000_000, time.UTC)
	if err := os.Chtimes(src, mt, mt); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadDir(mnt); err != nil {
		t.Fatal(err)
	}
	st.ResetCounts()
	sh(t, mnt, "cp "+src+" plain.bin")
	if c := st.Counts(); c[memstore.OpCreate] != 1 || c[memstore.OpPart] != 3 || c[memstore.OpComplete] != 1 || len(c) != 3 {
		t.Errorf("cp of 12 MiB sent %v; want 1 CREATE, 3 PART, 1 COMPLETE", c)
	}
	sh(t, mnt, "cp -p "+src+" kept.bin")
	obj, err := st.Stat(t.Context(), "kept.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !obj.MTime.Equal(mt) {
		t.Errorf("src_last_modified_millis of a streamed cp -p: %v, want %v", obj.MTime, mt)
	}
	if n := st.Versions("kept.bin"); n != 1 {
		t.Errorf("kept.bin has %d versions: storing its time must not bill the bytes twice", n)
	}
	for _, name := range []string{"plain.bin", "kept.bin"} {
		got, err := os.ReadFile(filepath.Join(mnt, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s read back: %v (equal %v)", name, err, bytes.Equal(got, data))
		}
	}
}
