package s3backend_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func TestListPagination(t *testing.T) {
	f := newFake(t)
	var want []string
	for i := range 2500 {
		k := fmt.Sprintf("big/k%05d", i)
		want = append(want, k)
		f.put(k, []byte("x"))
	}
	f.put("big/sub1/a", []byte("a"))
	f.put("big/sub2/b", []byte("b"))
	f.put("outside", []byte("o"))
	c := newClient(t, f.srv.URL, nil)

	l, err := c.List(context.Background(), "big/")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range l.Objects {
		got = append(got, o.Key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %d keys (first %q), want %d", len(got), got[:min(len(got), 3)], len(want))
	}
	if !slices.Equal(l.Prefixes, []string{"big/sub1/", "big/sub2/"}) {
		t.Errorf("prefixes %q", l.Prefixes)
	}
	if n := f.count("LIST"); n != 3 {
		t.Errorf("%d LIST requests, want 3", n)
	}
}

func TestListDelimiter(t *testing.T) {
	f := newFake(t)
	f.put("a.txt", []byte("hello"))
	f.put("dir/", nil)
	f.put("dir/b.txt", []byte("bb"))
	f.put("dir/sub/c.txt", []byte("c"))
	f.put("other/d", []byte("d"))
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()

	root, err := c.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(root.Prefixes, []string{"dir/", "other/"}) {
		t.Errorf("root prefixes %q", root.Prefixes)
	}
	// gofakes3 (unlike S3/B2) also returns the "dir/" marker itself as an
	// object of the parent listing; List passes server output through as is.
	if len(root.Objects) != 2 || root.Objects[0].Key != "a.txt" || root.Objects[0].Size != 5 ||
		root.Objects[0].ETag == "" || root.Objects[0].ModTime.IsZero() || root.Objects[1].Key != "dir/" {
		t.Errorf("root objects %+v", root.Objects)
	}

	dir, err := c.List(ctx, "dir/")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dir.Prefixes, []string{"dir/sub/"}) {
		t.Errorf("dir prefixes %q", dir.Prefixes)
	}
	if len(dir.Objects) != 2 || dir.Objects[0].Key != "dir/" || dir.Objects[0].Size != 0 ||
		dir.Objects[1].Key != "dir/b.txt" || dir.Objects[1].Size != 2 {
		t.Errorf("dir objects %+v", dir.Objects)
	}

	empty, err := c.List(ctx, "nothing/")
	if err != nil || len(empty.Objects)+len(empty.Prefixes) != 0 {
		t.Errorf("empty listing: %+v, %v", empty, err)
	}
}

func TestListPageSize(t *testing.T) {
	f := newFake(t)
	for i := range 7 {
		f.put(fmt.Sprintf("p/k%d", i), []byte("x"))
	}
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.ListPageSize = 3 })
	l, err := c.List(context.Background(), "p/")
	if err != nil || len(l.Objects) != 7 {
		t.Fatalf("List: %d objects, %v", len(l.Objects), err)
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Errorf("7 keys at 3 a page took %d LISTs, want 3", len(reqs))
	}
	for _, r := range reqs {
		if !strings.Contains(r.Query, "max-keys=3") {
			t.Errorf("LIST without max-keys=3: %s", r.Query)
		}
	}
	for _, n := range []int{-1, 1001} {
		_, err := s3backend.New(context.Background(), s3backend.Config{Endpoint: f.srv.URL, Bucket: testBucket, ListPageSize: n})
		if err == nil || !strings.Contains(err.Error(), "list page size") {
			t.Errorf("ListPageSize %d: %v, want an error naming it", n, err)
		}
	}
}
