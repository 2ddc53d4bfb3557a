package fs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

// dirent is one entry of a getdents64 answer.
type dirent struct {
	name string
	ino  uint64
	off  int64
	typ  uint8
}

// parseDirents splits a getdents64 answer (struct linux_dirent64) into its
// entries, dots included (syscall.ParseDirent drops them).
func parseDirents(b []byte) []dirent {
	var out []dirent
	for len(b) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		name := b[19:reclen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		out = append(out, dirent{
			name: string(name),
			ino:  binary.NativeEndian.Uint64(b[0:8]),
			off:  int64(binary.NativeEndian.Uint64(b[8:16])),
			typ:  b[18],
		})
		b = b[reclen:]
	}
	return out
}

// getdents reads the directory open as f from its current offset to the
// end with getdents64 and a buffer of size bytes.
func getdents(t *testing.T, f *os.File, size int) []dirent {
	t.Helper()
	buf := make([]byte, size)
	var out []dirent
	for {
		n, err := syscall.Getdents(int(f.Fd()), buf)
		if err != nil {
			t.Fatalf("getdents64 %s: %v", f.Name(), err)
		}
		if n == 0 {
			return out
		}
		out = append(out, parseDirents(buf[:n])...)
	}
}

func direntNames(ds []dirent) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.name)
	}
	return out
}

func inoOf(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// Every directory's getdents64 starts with "." (its own inode number) and
// ".." (its parent's; the root's is its own), as on every Linux file
// system, so ls -a shows them, and with no request once listed.
func TestEveryDirectoryListsDotAndDotDotFirst(t *testing.T) {
	st := memstore.New()
	st.Set("top.txt", []byte("t"))
	st.Set("a/x.txt", []byte("x"))
	st.Set("a/b/c.txt", []byte("c"))
	mnt := testMount(t, st, "", DefaultOptions(), true)
	a, b := filepath.Join(mnt, "a"), filepath.Join(mnt, "a", "b")
	if ino := inoOf(t, mnt); ino == 0 {
		t.Errorf("the mount's root has inode number 0")
	}
	for _, tc := range []struct {
		dir, parent string
		names       []string
	}{
		{mnt, mnt, []string{"a", "top.txt"}},
		{a, mnt, []string{"b", "x.txt"}},
		{b, a, []string{"c.txt"}},
	} {
		f, err := os.Open(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		ds := getdents(t, f, 1<<20)
		f.Close()
		want := append([]string{".", ".."}, tc.names...)
		if got := direntNames(ds); !slices.Equal(got, want) {
			t.Errorf("getdents64 %s: %v, want %v", tc.dir, got, want)
			continue
		}
		if ino := inoOf(t, tc.dir); ds[0].ino != ino || ds[0].typ != syscall.DT_DIR {
			t.Errorf("%s: . is inode %d type %d, want the directory's own %d, DT_DIR", tc.dir, ds[0].ino, ds[0].typ, ino)
		}
		if ino := inoOf(t, tc.parent); ds[1].ino != ino || ds[1].typ != syscall.DT_DIR {
			t.Errorf("%s: .. is inode %d type %d, want the parent's %d, DT_DIR", tc.dir, ds[1].ino, ds[1].typ, ino)
		}
	}

	st.ResetCounts()
	out, err := exec.Command("ls", "-fa", a).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{".", "..", "b", "x.txt"}) {
		t.Errorf("ls -fa a: %q, want . and .. first", got)
	}
	out, err = exec.Command("ls", "-la", a).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 5 || !strings.HasSuffix(lines[1], " .") || !strings.HasSuffix(lines[2], " ..") ||
		!strings.HasPrefix(lines[1], "d") || !strings.HasPrefix(lines[2], "d") {
		t.Errorf("ls -la a:\n%s\nwant total, ., .., b and x.txt", out)
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("ls -fa and ls -la of a listed directory sent %v, want nothing", c)
	}
}

// Offsets count the dots: one entry per getdents64 gives each entry once,
// in order; rewinding starts again at "."; seeking to an offset handed
// out resumes after that entry.
func TestDirectoryOffsetsCountTheDots(t *testing.T) {
	st := memstore.New()
	var names []string
	for i := range 5 {
		names = append(names, fmt.Sprintf("f%d", i))
		st.Set("d/"+names[i], []byte("x"))
	}
	mnt := testMount(t, st, "", DefaultOptions(), true)
	dir := filepath.Join(mnt, "d")
	all := append([]string{".", ".."}, names...)

	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ds := getdents(t, f, 24) // room for one entry of these names per call
	if got := direntNames(ds); !slices.Equal(got, all) {
		t.Fatalf("one entry per getdents64: %v, want %v", got, all)
	}
	for i, d := range ds {
		if d.off != int64(i+1) {
			t.Errorf("%s has offset %d, want %d", d.name, d.off, i+1)
		}
	}
	if _, err := syscall.Seek(int(f.Fd()), 0, 0); err != nil {
		t.Fatal(err)
	}
	if got := direntNames(getdents(t, f, 1<<20)); !slices.Equal(got, all) {
		t.Errorf("after rewinding: %v, want %v", got, all)
	}
	for _, off := range []int{1, 2, 4, len(all)} {
		g, err := os.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := syscall.Seek(int(g.Fd()), int64(off), 0); err != nil {
			t.Fatal(err)
		}
		if got := direntNames(getdents(t, g, 1<<20)); !slices.Equal(got, all[off:]) {
			t.Errorf("seek to %d (after %s) on a new handle: %v, want %v", off, all[off-1], got, all[off:])
		}
		g.Close()
	}
}
