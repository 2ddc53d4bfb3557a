package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

func TestRenameFileOverAnother(t *testing.T) {
	st := memstore.New()
	st.Set("a.txt", []byte("new content"))
	st.Set("b.txt", []byte("old content"))
	mnt := rwMount(t, st)
	if _, err := os.ReadDir(mnt); err != nil {
		t.Fatal(err)
	}
	st.ResetCounts()
	if err := os.Rename(filepath.Join(mnt, "a.txt"), filepath.Join(mnt, "b.txt")); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Data("b.txt"); string(got) != "new content" {
		t.Errorf("b.txt = %q", got)
	}
	if _, ok := st.Data("a.txt"); ok {
		t.Error("a.txt still in the bucket")
	}
	// One copy, then a hide and the delete of the copied version: the
	// moved bytes are not billed twice.
	if c := st.Counts(); c[memstore.OpCopy] != 1 || c[memstore.OpDelete] != 2 || len(c) != 2 {
		t.Errorf("rename sent %v; want 1 COPY and 2 DELETE", c)
	}
	// What stays of a.txt is the hide marker (no bytes): the copied
	// version is deleted, so the moved bytes are not billed twice.
	if n := st.Versions("a.txt"); n != 1 {
		t.Errorf("a.txt keeps %d versions after the rename, want the hide marker alone", n)
	}
	if got, err := os.ReadFile(filepath.Join(mnt, "b.txt")); err != nil || string(got) != "new content" {
		t.Errorf("read b.txt: %q, %v", got, err)
	}
	names := sh(t, mnt, "ls")
	if names != "b.txt\n" {
		t.Errorf("ls = %q", names)
	}
}

func TestRenameKeepsOlderVersionsHidden(t *testing.T) {
	st := memstore.New()
	st.Set("doc.txt", []byte("version 1"))
	st.Set("doc.txt", []byte("version 2"))
	mnt := rwMount(t, st)
	if err := os.Rename(filepath.Join(mnt, "doc.txt"), filepath.Join(mnt, "moved.txt")); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Data("doc.txt"); ok {
		t.Fatal("the old name shows an older version after the rename")
	}
}

func TestFolderRenameMovesEveryKeyOrSaysEXDEV(t *testing.T) {
	st := memstore.New()
	for i := range 5 {
		st.Set(fmt.Sprintf("album/sub/p%d.jpg", i), []byte{byte(i)})
	}
	st.Set("album/cover.jpg", []byte("c"))
	for i := range 7 {
		st.Set(fmt.Sprintf("large/f%d", i), []byte{byte(i)})
	}
	opt := DefaultOptions()
	opt.Writes = WriteOptions{Enabled: true, StateDir: t.TempDir(), RenameDirLimit: 6}
	mnt := testMount(t, st, "", opt, true)
	if err := os.Rename(filepath.Join(mnt, "album"), filepath.Join(mnt, "photos")); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, ok := st.Data(fmt.Sprintf("photos/sub/p%d.jpg", i)); !ok {
			t.Errorf("photos/sub/p%d.jpg missing", i)
		}
	}
	if out := sh(t, mnt, "ls -R"); strings.Contains(out, "album") || !strings.Contains(out, "photos/sub:") {
		t.Errorf("ls -R after the rename:\n%s", out)
	}
	if got, err := os.ReadFile(filepath.Join(mnt, "photos/sub/p3.jpg")); err != nil || string(got) != "\x03" {
		t.Errorf("read a moved file: %q, %v", got, err)
	}
	err := syscall.Rename(filepath.Join(mnt, "large"), filepath.Join(mnt, "larger"))
	if !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("rename of 7 objects with a limit of 6: %v, want EXDEV", err)
	}
	// mv copies and deletes file by file instead.
	sh(t, mnt, "mv large larger")
	for i := range 7 {
		if _, ok := st.Data(fmt.Sprintf("larger/f%d", i)); !ok {
			t.Errorf("mv did not move larger/f%d", i)
		}
		if _, ok := st.Data(fmt.Sprintf("large/f%d", i)); ok {
			t.Errorf("large/f%d is still there", i)
		}
	}
}

func TestUnlinkedOpenFileUploadsNothing(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	p := filepath.Join(mnt, "tmp.txt")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("scratch")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Data("tmp.txt"); ok {
		t.Error("an unlinked file was uploaded at its close")
	}
	if c := st.Count(memstore.OpPut) + st.Count(memstore.OpDelete); c != 0 {
		t.Errorf("%d requests for a file that never reached the bucket", c)
	}
}

func TestTarExtractsAsRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("tar sets owners only as root")
	}
	st := memstore.New()
	mnt := rwMount(t, st)
	src := tree(t, 12)
	arch := filepath.Join(t.TempDir(), "a.tar")
	sh(t, src, "tar cf "+arch+" .")
	sh(t, mnt, "mkdir out && tar xpf "+arch+" -C out")
	if out := sh(t, mnt, "diff -r "+src+" out && echo same"); !strings.Contains(out, "same") {
		t.Fatal(out)
	}
	fi, _ := os.Stat(filepath.Join(src, "d1/f004.txt"))
	got, _ := os.Stat(filepath.Join(mnt, "out/d1/f004.txt"))
	// tar's archive format keeps whole seconds.
	if want := fi.ModTime().Truncate(1e9); !got.ModTime().Equal(want) {
		t.Errorf("tar kept mtime %v, want %v", got.ModTime(), want)
	}
}
