package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

func TestDirectoryWinsAcrossAPageBoundary(t *testing.T) {
	// Keys in order: "a", "a.txt", "a/x" ('.' sorts before '/'). With two
	// entries a page, the file "a" ends page 1 and the directory "a/"
	// comes on page 2; "a" must be shown as the directory, once.
	st := memstore.New()
	st.SetPageSize(2)
	st.Set("a", []byte("file"))
	st.Set("a.txt", []byte("t"))
	st.Set("a/x", []byte("x"))
	st.Set("b", []byte("b"))
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
