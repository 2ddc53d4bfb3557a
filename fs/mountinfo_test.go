package fs

import (
	"os"
	"path/filepath"
	"testing"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/internal/testenv"
)

// The kernel escapes a space, a tab, a newline and a backslash in the
// mount table as \040, \011, \012 and \134: MountedAt finds mounts at such
// paths under their real names, with the source and type they were
// mounted with, and not once they are gone.
func TestMountedAtDecodesEscapedMountPoints(t *testing.T) {
	testenv.RequireFUSE(t)
	for _, name := range []string{"a space", "a\ttab", "a\nnewline", `a\backslash`, `all \ of	them
 \040`} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := MountedAt(dir); err != nil || ok {
				t.Fatalf("MountedAt(%q) before mounting: %v, %v", dir, ok, err)
			}
			server, err := gofs.Mount(dir, &gofs.Inode{}, &gofs.Options{MountOptions: fuse.MountOptions{
				FsName: "b2:odd bucket", Name: "b2mount", Options: []string{"ro"}}})
			if err != nil {
				t.Fatalf("mount at %q: %v", dir, err)
			}
			unmounted := false
			t.Cleanup(func() {
				if !unmounted {
					server.Unmount()
				}
			})
			m, ok, err := MountedAt(dir)
			if err != nil || !ok {
				t.Fatalf("MountedAt(%q) = %v, %v; want the mount", dir, ok, err)
			}
			if m.MountPoint != dir || m.FSType != "fuse.b2mount" || m.Source != "b2:odd bucket" {
				t.Errorf("MountedAt(%q) = %+v; want that mount point, type fuse.b2mount, source b2:odd bucket", dir, m)
			}
			if m.Options == "" || m.Options[:2] != "ro" || m.SuperOptions == "" {
				t.Errorf("options %q, super options %q; want ro first, and some super options", m.Options, m.SuperOptions)
			}
			if err := server.Unmount(); err != nil {
				t.Fatal(err)
			}
			unmounted = true
			if _, ok, err := MountedAt(dir); err != nil || ok {
				t.Errorf("MountedAt(%q) after unmounting: %v, %v", dir, ok, err)
			}
		})
	}
}
