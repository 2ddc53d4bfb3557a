package fs_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// TestNameRulesThroughS3 checks the naming rules on a real S3 listing. Only
// the embedded server can hold these keys: versitygw's posix backend maps
// keys to paths, so it cannot store "a//b", "./", ".." or 256-byte
// components (the same rules are also tested against the in-memory store).
func TestNameRulesThroughS3(t *testing.T) {
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	const bucket = "names"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("L", 256)
	for _, k := range []string{
		"ok.jpg", "a//b.jpg", "/lead.jpg", "dot/./x.jpg", "dotdot/../y.jpg",
		long + ".jpg", "marker/", "folder/.bzEmpty", "clash", "clash/inner.jpg",
	} {
		if err := srv.PutObject(bucket, k, []byte("data of "+k)); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	mnt := mountBucket(t, srv, bucket, "")
	ls := func(dir string) []string {
		ents, err := os.ReadDir(filepath.Join(mnt, dir))
		if err != nil {
			t.Fatalf("readdir %q: %v", dir, err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	if got, want := ls(""), []string{"a", "clash", "dot", "dotdot", "folder", "marker", "ok.jpg"}; !slices.Equal(got, want) {
		t.Errorf("root = %v, want %v", got, want)
	}
	for dir, want := range map[string][]string{"a": nil, "dot": nil, "dotdot": nil, "folder": nil, "marker": nil, "clash": {"inner.jpg"}} {
		if got := ls(dir); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", dir, got, want)
		}
	}
	if data, err := os.ReadFile(filepath.Join(mnt, "clash/inner.jpg")); err != nil || string(data) != "data of clash/inner.jpg" {
		t.Errorf("clash/inner.jpg: %q %v", data, err)
	}
}

// The same rules hold for cold lookups, answered by pages listed from
// just below each name with no listing of the folder first: the folder
// wins over the file beside it, a marker alone is a folder, a placeholder
// is no file, and hidden keys are not found.
func TestNameRulesForColdLookupsThroughS3(t *testing.T) {
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	const bucket = "names"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("L", 256)
	for _, k := range []string{
		"ok.jpg", "a//b.jpg", long + ".jpg", "marker/", "folder/.bzEmpty",
		"clash", "clash.txt", "clash/inner.jpg", ".bzEmpty/in",
	} {
		if err := srv.PutObject(bucket, k, []byte("data of "+k)); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	mnt := mountBucket(t, srv, bucket, "")
	srv.Proxy.ResetCounts() // the mount's own check of the bucket
	for name, want := range map[string]string{
		"clash": "dir", "clash.txt": "file", "marker": "dir", "folder": "dir", ".bzEmpty": "dir",
		"folder/.bzEmpty": "missing", "ok.jpg": "file", "a": "dir", "nothing": "missing",
	} {
		got := "missing"
		switch info, err := os.Stat(filepath.Join(mnt, name)); {
		case err == nil && info.IsDir():
			got = "dir"
		case err == nil:
			got = "file"
		case !os.IsNotExist(err):
			got = err.Error()
		}
		if got != want {
			t.Errorf("cold stat %q: %s, want %s", name, got, want)
		}
	}
	if data, err := os.ReadFile(filepath.Join(mnt, "clash/inner.jpg")); err != nil || string(data) != "data of clash/inner.jpg" {
		t.Errorf("clash/inner.jpg: %q %v", data, err)
	}
	if c := srv.Proxy.Counts(); c[s3test.OpHead] != 0 {
		t.Errorf("cold lookups sent %v, want no HEAD", c)
		for _, r := range srv.Proxy.Requests() {
			t.Logf("%s %s?%s", r.Op, r.Path, r.Query)
		}
	}
}
