package embedded_test

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/b2mount/b2mount/embedded"
)

// get fetches bucket/key from s without signing (gofakes3 checks none).
func get(t *testing.T, s *embedded.Server, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestServer(t *testing.T) {
	s, err := embedded.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID == "" || s.SecretKey == "" || s.Region != embedded.Region {
		t.Errorf("credentials %q/%q region %q", s.KeyID, s.SecretKey, s.Region)
	}
	if err := s.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket("bkt"); err == nil {
		t.Error("second CreateBucket succeeded")
	}
	if err := s.CreateBucket("Bad_Name"); err == nil {
		t.Error("CreateBucket accepted an invalid name")
	}
	data := []byte("hello, demo")
	if err := s.PutObject("bkt", "dir/obj.txt", data); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, s, "/bkt/dir/obj.txt")
	if want := fmt.Sprintf(`"%x"`, md5.Sum(data)); resp.StatusCode != 200 || string(body) != string(data) || resp.Header.Get("ETag") != want {
		t.Errorf("GET: %d %q ETag %s, want 200 %q %s", resp.StatusCode, body, resp.Header.Get("ETag"), data, want)
	}
	if _, err := http.ParseTime(resp.Header.Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified %q: %v", resp.Header.Get("Last-Modified"), err)
	}
	if err := s.PutObject("no-such-bucket", "k", data); err == nil {
		t.Error("PutObject into a missing bucket succeeded")
	}
	if err := s.DeleteObject("bkt", "dir/obj.txt"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, s, "/bkt/dir/obj.txt"); resp.StatusCode != 404 {
		t.Errorf("GET after delete: %d, want 404", resp.StatusCode)
	}
	if err := s.DeleteObject("bkt", "dir/obj.txt"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(s.URL + "/bkt"); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"top.txt":      {Data: []byte("top")},
		"a/b/c.txt":    {Data: []byte("deep")},
		"a/empty":      {Data: nil},
		"link":         {Data: []byte("top.txt"), Mode: fs.ModeSymlink},
		"a/b/emptydir": {Mode: fs.ModeDir},
	}
	var mu sync.Mutex // guards got
	got := map[string]string{}
	err := embedded.LoadFS(t.Context(), fsys, func(_ context.Context, key string, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		got[key] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"top.txt": "top", "a/b/c.txt": "deep", "a/empty": ""}
	if !maps.Equal(got, want) {
		t.Errorf("loaded %q, want %q", got, want)
	}

	// The first failure comes back, naming the key.
	boom := errors.New("boom")
	err = embedded.LoadFS(t.Context(), fsys, func(_ context.Context, key string, _ []byte) error {
		if key == "a/b/c.txt" {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "a/b/c.txt") {
		t.Errorf("LoadFS with a failing put = %v, want boom naming a/b/c.txt", err)
	}
	if err := embedded.LoadFS(t.Context(), fstest.MapFS{}, nil); err != nil {
		t.Errorf("empty tree: %v", err)
	}
}

// LoadFS has 8 puts under way at once, never more.
func TestLoadFSParallel(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 40 {
		fsys[fmt.Sprintf("f%02d", i)] = &fstest.MapFile{Data: []byte{byte(i)}}
	}
	var (
		mu       sync.Mutex // guards inflight, most, n
		inflight int
		most     int
		n        int
		eight    = make(chan struct{}) // closed when 8 puts are under way together
	)
	err := embedded.LoadFS(t.Context(), fsys, func(context.Context, string, []byte) error {
		mu.Lock()
		inflight++
		n++
		most = max(most, inflight)
		if n == 8 { // none has returned yet: all 8 are under way
			close(eight)
		}
		mu.Unlock()
		defer func() { mu.Lock(); inflight--; mu.Unlock() }()
		select { // the first puts wait for each other: a serial loader hangs here
		case <-eight:
			return nil
		case <-time.After(time.Minute):
			return errors.New("fewer than 8 puts under way at once")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if most != 8 || n != 40 {
		t.Errorf("%d puts, at most %d at once; want 40, 8", n, most)
	}
}
