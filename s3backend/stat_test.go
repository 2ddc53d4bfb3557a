package s3backend_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func TestStat(t *testing.T) {
	f := newFake(t)
	f.put("dir/file.bin", []byte("0123456789"))
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()

	o, err := c.Stat(ctx, "dir/file.bin")
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != "dir/file.bin" || o.Size != 10 || o.ETag == "" || o.ModTime.IsZero() {
		t.Errorf("Stat = %+v", o)
	}
	l, _ := c.List(ctx, "dir/")
	if len(l.Objects) != 1 || l.Objects[0].ETag != o.ETag {
		t.Errorf("list ETag %+v != head ETag %q", l.Objects, o.ETag)
	}

	f.reset()
	_, err = c.Stat(ctx, "dir/missing")
	if !errors.Is(err, s3backend.ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v, want ErrNotExist", err)
	}
	if !strings.HasPrefix(err.Error(), `head "dir/missing": `) {
		t.Errorf("error not wrapped with op and key: %v", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("404 sent %d requests, want 1 (no retry)", n)
	}
}
