package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
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
		st.Put(fmt.Sprintf("photos/img%05d.jpg", i), []byte("x"))
		st.Put(fmt.Sprintf("more/img%05d.jpg", i), []byte("x"))
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
	case <-time.After(10 * time.Second):
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
	case <-time.After(10 * time.Second):
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

func TestDirectoryWinsAcrossAPageBoundary(t *testing.T) {
	// Keys in order: "a", "a.txt", "a/x" ('.' sorts before '/'). With two
	// entries a page, the file "a" ends page 1 and the directory "a/"
	// comes on page 2; "a" must be shown as the directory, once.
	st := memstore.New()
	st.SetPageSize(2)
	st.Put("a", []byte("file"))
	st.Put("a.txt", []byte("t"))
	st.Put("a/x", []byte("x"))
	st.Put("b", []byte("b"))
	open := make(chan struct{})
	st.SetBeforePage(gatedPages("", 1, open))
	mnt := testMount(t, st, "", DefaultOptions(), true)
	type result struct {
		names []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		ents, err := os.ReadDir(mnt)
		var n []string
		for _, e := range ents {
			s := e.Name()
			if e.IsDir() {
				s += "/"
			}
			n = append(n, s)
		}
		done <- result{n, err}
	}()
	close(open)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	sort.Strings(r.names)
	if want := []string{"a.txt", "a/", "b"}; fmt.Sprint(r.names) != fmt.Sprint(want) {
		t.Errorf("names across the page boundary: %v, want %v", r.names, want)
	}
	if fi, err := os.Stat(filepath.Join(mnt, "a")); err != nil || !fi.IsDir() {
		t.Errorf("stat a: %v, %v; want the directory", fi, err)
	}
}

func TestListingThatFailsMidwayGivesEIOAndIsNotKept(t *testing.T) {
	st := memstore.New()
	st.SetPageSize(10)
	for i := range 35 {
		st.Put(fmt.Sprintf("d/f%02d", i), []byte("x"))
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

func TestANameIsDecidedOnlyOnceTheListingIsPastIt(t *testing.T) {
	c := newListCall("")
	obj := func(k string) s3backend.Object { return s3backend.Object{Key: k, ETag: `"` + k + `"`} }
	c.addPage(s3backend.Listing{Objects: []s3backend.Object{obj("a"), obj("a.txt")}})
	if n := c.ready(); n != 0 {
		t.Fatalf("after page 1 (a, a.txt) %d names are decided, want 0: a/ and a.txt/ sort after a.txt", n)
	}
	if _, _, known := c.lookup("a"); known {
		t.Error("a is known after page 1; a later page may still hold a/")
	}
	if _, found, known := c.lookup("0"); !known || found {
		t.Errorf("0, which sorts before page 1: found %v known %v, want known missing", found, known)
	}
	c.addPage(s3backend.Listing{Prefixes: []string{"a/"}, Objects: []s3backend.Object{obj("b")}})
	var got []string
	for i := range c.ready() {
		e, _, _ := c.entry(context.Background(), i)
		got = append(got, fmt.Sprintf("%s:%d", e.name, e.kind))
	}
	if want := []string{fmt.Sprintf("a:%d", kindDir), fmt.Sprintf("a.txt:%d", kindFile)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decided after page 2: %v, want %v (b stays open until the end)", got, want)
	}
	if e, found, known := c.lookup("a"); !known || !found || e.kind != kindDir {
		t.Errorf("a after page 2: %v found %v known %v, want the directory", e, found, known)
	}
	if _, _, known := c.lookup("c"); known {
		t.Error("c is known before the end; a later page may hold it")
	}
	c.finish(nil)
	if _, found, known := c.lookup("c"); !known || found {
		t.Errorf("c after the end: found %v known %v, want known missing", found, known)
	}
	if e, ok, err := c.entry(context.Background(), 2); !ok || err != nil || e.name != "b" {
		t.Errorf("after the end: %v %v %v, want b", e, ok, err)
	}
	if _, ok, err := c.entry(context.Background(), 3); ok || err != nil {
		t.Errorf("past the end: %v %v, want the end", ok, err)
	}

	failed := newListCall("")
	failed.addPage(s3backend.Listing{Objects: []s3backend.Object{obj("x")}})
	failed.finish(errors.New("cut"))
	if _, _, known := failed.lookup("a"); known {
		t.Error("a listing that failed still answers lookups; a probe should")
	}
}

// While a directory is being listed, looking up a name the pages so far
// decide sends nothing: a file on the first page is found, and a name the
// listing has gone past without seeing is missing. A name further on is
// still probed.
func TestLookupWhileListingAnswersFromThePagesSoFar(t *testing.T) {
	st := memstore.New()
	for i := range 2500 {
		st.Put(fmt.Sprintf("photos/img%05d.jpg", i), []byte("x"))
	}
	open := make(chan struct{})
	var once atomic.Bool
	release := func() {
		if once.CompareAndSwap(false, true) {
			close(open)
		}
	}
	defer release()
	st.SetBeforePage(gatedPages("photos/", 1, open))
	mnt := testMount(t, st, "", DefaultOptions(), true)
	names(t, mnt)

	f, err := os.Open(filepath.Join(mnt, "photos"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ents, err := f.ReadDir(1); err != nil || len(ents) != 1 {
		t.Fatalf("first name while page 2 is held back: %v, %v", ents, err)
	}
	st.ResetCounts()
	// Far enough into the first page that readdir has not handed it out.
	if info, err := os.Stat(filepath.Join(mnt, "photos", "img00900.jpg")); err != nil || info.Size() != 1 {
		t.Errorf("stat of a name on the first page: %v, %v", info, err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "photos", "img00500.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of a name the listing went past: %v, want ENOENT", err)
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("lookups the first page answers sent %v, want nothing", c)
	}
	if info, err := os.Stat(filepath.Join(mnt, "photos", "img02400.jpg")); err != nil || info.Size() != 1 {
		t.Errorf("stat of a name on a held-back page: %v, %v", info, err)
	}
	if c := st.Counts(); c["HEAD"] != 1 {
		t.Errorf("a name beyond the pages so far sent %v, want its probe", c)
	}
	release()
}
