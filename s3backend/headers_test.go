package s3backend_test

import (
	"context"
	"io"
	"strings"
	"testing"
)

// B2 answers 400 "Unsupported header" to the checksum headers the SDK sends
// by default since 2025; none may ever go out.
func TestNoChecksumHeaders(t *testing.T) {
	f := newFake(t)
	f.put("d/a.txt", []byte(strings.Repeat("abc", 1000)))
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()

	if err := c.Check(ctx, "d/"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(ctx, "d/"); err != nil {
		t.Fatal(err)
	}
	o, err := c.Stat(ctx, "d/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, etag := range []string{"", o.ETag} {
		rc, err := c.OpenRange(ctx, "d/a.txt", etag, 10, 100)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}

	kinds := map[string]int{}
	for _, r := range f.requests() {
		kinds[r.Kind()]++
		for name := range r.Header {
			l := strings.ToLower(name)
			if strings.HasPrefix(l, "x-amz-checksum") || strings.HasPrefix(l, "x-amz-sdk-checksum") {
				t.Errorf("%s %s sent header %s: %q", r.Kind(), r.Path, name, r.Header[name])
			}
		}
	}
	if kinds["LIST"] != 2 || kinds["HEAD"] != 2 || kinds["GET"] != 2 { // Check: LIST + HEAD
		t.Errorf("requests seen: %v", kinds)
	}
	if logs := c.log.String(); strings.Contains(logs, "checksum") {
		t.Errorf("checksum chatter logged: %s", logs)
	}
}
