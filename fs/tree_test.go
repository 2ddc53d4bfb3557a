package fs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("readdir %s: %v", dir, err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		out = append(out, n)
	}
	return out
}

func TestTreeAttributesAndContent(t *testing.T) {
	st := memstore.New()
	st.Set("beach.jpg", []byte("sand and sea"))
	st.Set("album/photos.html", []byte("<html></html>"))
	st.Set("album/js/app.js", []byte("x()"))
	opt := DefaultOptions()
	opt.UID, opt.GID = 1234, 5678
	mnt := testMount(t, st, "", opt, true)

	if got, want := names(t, mnt), []string{"album/", "beach.jpg"}; !slices.Equal(got, want) {
		t.Errorf("root = %v, want %v", got, want)
	}
	if got, want := names(t, filepath.Join(mnt, "album")), []string{"js/", "photos.html"}; !slices.Equal(got, want) {
		t.Errorf("album = %v, want %v", got, want)
	}
	data, err := os.ReadFile(filepath.Join(mnt, "album/js/app.js"))
	if err != nil || string(data) != "x()" {
		t.Errorf("read app.js = %q, %v", data, err)
	}
	fi, err := os.Stat(filepath.Join(mnt, "beach.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	sys := fi.Sys().(*syscall.Stat_t)
	if fi.Size() != 12 || fi.Mode() != 0o444 || !fi.ModTime().Equal(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) ||
		sys.Uid != 1234 || sys.Gid != 5678 {
		t.Errorf("beach.jpg: size %d mode %v mtime %v uid %d gid %d", fi.Size(), fi.Mode(), fi.ModTime(), sys.Uid, sys.Gid)
	}
	di, err := os.Stat(filepath.Join(mnt, "album"))
	if err != nil || di.Mode() != os.ModeDir|0o555 {
		t.Errorf("album: %v %v", di.Mode(), err)
	}
	// The inode number stays the same across lookups.
	fi2, _ := os.Stat(filepath.Join(mnt, "beach.jpg"))
	if fi2.Sys().(*syscall.Stat_t).Ino != sys.Ino {
		t.Errorf("inode changed: %d then %d", sys.Ino, fi2.Sys().(*syscall.Stat_t).Ino)
	}
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(mnt, &sfs); err != nil || sfs.Bavail == 0 || sfs.Namelen != 255 {
		t.Errorf("statfs: %+v %v", sfs, err)
	}
	if out, err := exec.Command("df", "-h", mnt).CombinedOutput(); err != nil {
		t.Errorf("df: %v\n%s", err, out)
	}
}

func TestNameRules(t *testing.T) {
	st := memstore.New()
	long := strings.Repeat("x", 256)
	for _, k := range []string{
		"ok.txt",
		"a//b.txt",                       // empty component
		"/lead.txt",                      // empty first component
		"dot/./x.txt",                    // "." component
		"dotdot/../y.txt",                // ".." component
		long + ".txt",                    // over 255 bytes
		"d/" + long,                      // over 255 bytes, one level down
		"marker/",                        // an empty directory made with a marker
		"folder/.bzEmpty",                // an empty folder made in B2's web UI
		"clash",                          // a file ...
		"clash/inner.txt",                // ... and a directory of the same name: the directory wins
		"max" + strings.Repeat("y", 252), // exactly 255 bytes: fine
	} {
		st.Set(k, []byte("data"))
	}
	mnt := testMount(t, st, "", DefaultOptions(), true)
	want := []string{"a/", "clash/", "d/", "dot/", "dotdot/", "folder/", "marker/", "max" + strings.Repeat("y", 252), "ok.txt"}
	if got := names(t, mnt); !slices.Equal(got, want) {
		t.Errorf("root =\n%v\nwant\n%v", got, want)
	}
	for dir, want := range map[string][]string{
		"a": nil, "dot": nil, "dotdot": nil, "d": nil,
		"marker": nil, "folder": nil, "clash": {"inner.txt"},
	} {
		if got := names(t, filepath.Join(mnt, dir)); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", dir, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(mnt, "folder", ".bzEmpty")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat .bzEmpty: %v, want not exist", err)
	}
	if fi, err := os.Stat(filepath.Join(mnt, "clash")); err != nil || !fi.IsDir() {
		t.Errorf("clash: %v %v, want a directory", fi, err)
	}
}

func TestLsCostsOnlyListRequests(t *testing.T) {
	st := memstore.New()
	for i := range 2500 {
		st.Set(fmt.Sprintf("big/f%05d.jpg", i), []byte("x"))
	}
	mnt := testMount(t, st, "", DefaultOptions(), true)
	if _, err := os.Stat(filepath.Join(mnt, "big")); err != nil {
		t.Fatal(err)
	}
	st.ResetCounts()
	out, err := exec.Command("ls", "-l", filepath.Join(mnt, "big")).CombinedOutput()
	if err != nil {
		t.Fatalf("ls -l: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), ".jpg\n"); n != 2500 {
		t.Errorf("ls -l printed %d files, want 2500", n)
	}
	if st.Count("LIST") != 3 || st.Count("HEAD") != 0 || st.Count("PROBE") != 0 || st.Count("GET") != 0 {
		t.Errorf("requests for ls -l: %v, want 3 LIST pages only", st.Counts())
	}
	// A second ls -l within the TTL costs nothing.
	st.ResetCounts()
	if out, err := exec.Command("ls", "-l", filepath.Join(mnt, "big")).CombinedOutput(); err != nil {
		t.Fatalf("ls -l: %v\n%s", err, out)
	}
	if len(st.Counts()) != 0 {
		t.Errorf("second ls -l sent %v, want nothing", st.Counts())
	}
}

func TestLookupBeforeListingIsOneListAndMissesAreCached(t *testing.T) {
	st := memstore.New()
	st.Set("a/b/c.txt", []byte("hello"))
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	mnt := testMount(t, st, "", opt, false)

	data, err := os.ReadFile(filepath.Join(mnt, "a/b/c.txt"))
	if err != nil || string(data) != "hello" {
		t.Fatalf("read = %q, %v", data, err)
	}
	// Three names, each one LIST from just below the name (window.go);
	// a one-letter name lists from its folder's start, so each page holds
	// its whole folder.
	if c := st.Counts(); c["LIST"] != 3 || c["HEAD"] != 0 || c["PROBE"] != 0 || c["GET"] != 1 {
		t.Errorf("requests %v, want 3 LIST + 1 GET", c)
	}
	st.ResetCounts()
	for range 3 {
		if _, err := os.Stat(filepath.Join(mnt, "a/b/missing.txt")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("stat missing: %v", err)
		}
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("3 stats of a missing name in a folder a lookup listed whole sent %v, want nothing", c)
	}
	// After the TTL the miss is asked again and a new object shows up.
	st.Set("a/b/missing.txt", []byte("now here"))
	clock.Advance(opt.MetadataTTL + time.Second)
	if data, err := os.ReadFile(filepath.Join(mnt, "a/b/missing.txt")); err != nil || string(data) != "now here" {
		t.Errorf("after TTL: %q, %v", data, err)
	}
}

func TestWritesAreRefusedWithEROFS(t *testing.T) {
	st := memstore.New()
	st.Set("dir/file.txt", []byte("keep me"))
	mnt := testMount(t, st, "", DefaultOptions(), true)
	f := filepath.Join(mnt, "dir/file.txt")
	d := filepath.Join(mnt, "dir")
	ops := map[string]func() error{
		"create":         func() error { _, err := os.Create(filepath.Join(d, "new")); return err },
		"open for write": func() error { _, err := os.OpenFile(f, os.O_WRONLY, 0); return err },
		"open rdwr":      func() error { _, err := os.OpenFile(f, os.O_RDWR, 0); return err },
		"truncate":       func() error { return os.Truncate(f, 0) },
		"mkdir":          func() error { return os.Mkdir(filepath.Join(d, "sub"), 0o755) },
		"unlink":         func() error { return os.Remove(f) },
		"rmdir":          func() error { return syscall.Rmdir(d) },
		"rename":         func() error { return os.Rename(f, filepath.Join(d, "moved")) },
		"chmod":          func() error { return os.Chmod(f, 0o777) },
		"chown":          func() error { return os.Chown(f, 1, 1) },
		"utimes":         func() error { return os.Chtimes(f, time.Now(), time.Now()) },
		"symlink":        func() error { return os.Symlink("file.txt", filepath.Join(d, "link")) },
		"link":           func() error { return os.Link(f, filepath.Join(d, "hard")) },
		"setxattr":       func() error { return syscall.Setxattr(f, "user.x", []byte("1"), 0) },
		"removexattr":    func() error { return syscall.Removexattr(f, "user.x") },
		"mknod":          func() error { return syscall.Mknod(filepath.Join(d, "fifo"), syscall.S_IFIFO|0o644, 0) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s: %v, want EROFS", name, err)
		}
	}
	if data, err := os.ReadFile(f); err != nil || string(data) != "keep me" {
		t.Errorf("file after write attempts: %q, %v", data, err)
	}
}

func TestPrefixMount(t *testing.T) {
	st := memstore.New()
	st.Set("photos/2024/a.jpg", []byte("a"))
	st.Set("photos/b.jpg", []byte("b"))
	st.Set("other/c.jpg", []byte("c"))
	mnt := testMount(t, st, "photos/", DefaultOptions(), true)
	if got, want := names(t, mnt), []string{"2024/", "b.jpg"}; !slices.Equal(got, want) {
		t.Errorf("prefix mount root = %v, want %v", got, want)
	}
	if data, err := os.ReadFile(filepath.Join(mnt, "2024/a.jpg")); err != nil || string(data) != "a" {
		t.Errorf("read: %q %v", data, err)
	}
}
