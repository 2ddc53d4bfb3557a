package s3test

import (
	"crypto/md5"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestVersitySidecar runs versitygw with metadata in a sidecar directory,
// what StartVersity does on filesystems without user xattrs.
func TestVersitySidecar(t *testing.T) {
	bin, err := FindVersity()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skip(err)
	}
	if !xattrSupported(t.TempDir()) {
		t.Log("no user xattrs on the temp dir: StartVersity uses a sidecar there anyway")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	s, err := startVersity(t.Context(), bin, dir, nil, versityOptions{forceSidecar: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	data := []byte("sidecar metadata")
	if err := s.PutObject("bkt", "a/b", data); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "vgwmeta-data", "bkt", "a", "b")); err != nil {
		t.Errorf("no sidecar metadata: %v", err)
	}
	req, _ := http.NewRequest(http.MethodHead, s.URL+"/bkt/a/b", nil)
	if err := s.Sign(req, nil); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := fmt.Sprintf(`"%x"`, md5.Sum(data)); resp.StatusCode != 200 || resp.Header.Get("ETag") != want {
		t.Errorf("HEAD: status %d ETag %s, want %s", resp.StatusCode, resp.Header.Get("ETag"), want)
	}
}
