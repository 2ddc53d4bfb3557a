package fs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
)

// gatedPages holds back every page of prefix's listings from page from on
// until open is closed.
func gatedPages(prefix string, from int, open <-chan struct{}) func(string, int) error {
	return func(p string, i int) error {
		if p == prefix && i >= from {
			<-open
		}
		return nil
	}
}

func TestReaddirHandsOutEachPageAsItArrives(t *testing.T) {
	st := memstore.New()
	const files = 3500
	for i := range files {
		st.Set(fmt.Sprintf("photos/img%05d.jpg", i), []byte("x"))
		st.Set(fmt.Sprintf("more/img%05d.jpg", i), []byte("x"))
	}
	open, open2 := make(chan struct{}), make(chan struct{})
	defer close(open2)
	photos, more := gatedPages("photos/", 1, open), gatedPages("more/", 1, open2)
	st.SetBeforePage(func(prefix string, i int) error {
		_ = photos(prefix, i)
		return more(prefix, i)
	})
	mnt := testMount(t, st, "", DefaultOptions(), true)
	names(t, mnt)
	st.ResetCounts()

	f, err := os.Open(filepath.Join(mnt, "photos"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type result struct {
		ents []os.DirEntry
		err  error
	}
	first := make(chan result, 1)
	go func() {
		ents, err := f.ReadDir(10)
		first <- result{ents, err}
	}()
	var r result
	select {
	case r = <-first:
	case <-time.After(hangBound):
		close(open)
		t.Fatal("readdir gave nothing while the second page was held back; want the first page's names at once")
	}
	if r.err != nil || len(r.ents) != 10 || r.ents[0].Name() != "img00000.jpg" {
		t.Fatalf("first names while page 2 is held back: %v, %v", r.ents, r.err)
	}
	info, err := r.ents[3].Info()
	if err != nil || info.Size() != 1 || !info.Mode().IsRegular() {
		t.Errorf("attributes of a name from the first page: %v, %v", info, err)
	}
	close(open)
	rest, err := f.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	got := len(r.ents) + len(rest)
	if got != files {
		t.Errorf("readdir gave %d names, want %d", got, files)
	}
	seen := map[string]bool{}
	for _, e := range append(r.ents, rest...) {
		if seen[e.Name()] {
			t.Errorf("%s handed out twice", e.Name())
		}
		seen[e.Name()] = true
	}
	if c := st.Counts(); c["LIST"] != 4 || c["HEAD"] != 0 || c["PROBE"] != 0 {
		t.Errorf("reading 3,500 names sent %v, want 4 LIST and nothing else", c)
	}

	// One getdents64 with a 1 MiB buffer (as ls uses) must not wait for
	// the whole listing either: the names decided so far come back at once.
	d, err := os.Open(filepath.Join(mnt, "more"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got1 := make(chan int, 1)
	go func() {
		buf := make([]byte, 1<<20)
		n, err := syscall.Getdents(int(d.Fd()), buf)
		if err != nil {
			got1 <- -1
			return
		}
		_, count, _ := syscall.ParseDirent(buf[:n], -1, nil) // names without . and ..
		got1 <- count
	}()
	select {
	case n := <-got1:
		if n <= 0 {
			t.Errorf("getdents64 while page 2 is held back: %d names", n)
		}
	case <-time.After(hangBound):
		t.Fatal("a 1 MiB getdents64 waited for the held-back page; want the first page's names at once")
	}

	// ls -l gets the same, now from the kept listing, with no request.
	st.ResetCounts()
	out, err := exec.Command("ls", "-l", filepath.Join(mnt, "photos")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "\n-r"); n != files {
		t.Errorf("ls -l shows %d files, want %d", n, files)
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("ls -l within the TTL sent %v, want nothing", c)
	}
}

func TestListingThatFailsMidwayGivesEIOAndIsNotKept(t *testing.T) {
	st := memstore.New()
	st.SetPageSize(10)
	for i := range 35 {
		st.Set(fmt.Sprintf("d/f%02d", i), []byte("x"))
	}
	var fail atomic.Bool
	fail.Store(true)
	st.SetBeforePage(func(prefix string, i int) error {
		if prefix == "d/" && i == 2 && fail.Load() {
			return errors.New("connection reset")
		}
		return nil
	})
	mnt := testMount(t, st, "", DefaultOptions(), true)
	names(t, mnt)
	_, err := os.ReadDir(filepath.Join(mnt, "d"))
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("readdir with the third page failing: %v, want EIO", err)
	}
	fail.Store(false)
	got := names(t, filepath.Join(mnt, "d"))
	if len(got) != 35 {
		t.Errorf("after the failure, readdir gave %d names, want 35 (a fresh listing)", len(got))
	}
}
