package fs_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// A name this mount creates is found at once, though a lookup's page
// without it is remembered: this mount's own changes come before any page
// the store gave. So is a name it removes gone, and ls shows both.
func TestCreatedNameFoundAfterARememberedPageThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			b.put("d/old.txt", []byte("old"))
			b.put("d/zz.txt", []byte("zz"))
			mnt := b.mount(mountSpec{})
			p := func(name string) string { return filepath.Join(mnt, "d", name) }
			b.srv.Proxy.ResetCounts()
			if _, err := os.Stat(p("new.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("stat new.txt before: %v", err)
			}
			if info, err := os.Stat(p("zz.txt")); err != nil || info.Size() != 2 {
				t.Fatalf("stat zz.txt: %v, %v", info, err)
			}
			if c := b.srv.Proxy.Counts(); c[s3test.OpList] != 2 || len(c) != 1 {
				t.Errorf("cold stats of d and d/new.txt, then zz.txt, sent %v, want 2 LIST", c)
			}
			if err := os.WriteFile(p("new.txt"), []byte("new"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(p("zz.txt")); err != nil {
				t.Fatal(err)
			}
			if data, err := os.ReadFile(p("new.txt")); err != nil || string(data) != "new" {
				t.Errorf("read new.txt: %q, %v", data, err)
			}
			if _, err := os.Stat(p("zz.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stat zz.txt after rm: %v, want ENOENT", err)
			}
			if got := dirNames(t, filepath.Join(mnt, "d")); !slices.Equal(got, []string{"new.txt", "old.txt"}) {
				t.Errorf("ls d = %q", got)
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
