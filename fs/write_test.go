package fs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

// rwMount mounts st read-write with its own state directory.
func rwMount(t *testing.T, st *memstore.Store) string {
	t.Helper()
	opt := DefaultOptions()
	opt.Writes = WriteOptions{Enabled: true, StateDir: t.TempDir(), RenameDirLimit: 1000}
	opt.FileMode, opt.DirMode = 0o644, 0o755
	return testMount(t, st, "", opt, true)
}

// sh runs script with sh in dir. The shell changes into dir itself: a
// child that does it between fork and exec (exec.Cmd.Dir) can deadlock a
// process that serves the mount, since the forking thread waits for the
// child's exec while the child waits for this process to answer, and a
// garbage collection meanwhile stops every other thread.
func sh(t *testing.T, dir, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-ec", `cd "$1"; shift; `+script, "sh", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}

func TestWriteNewFileIsOnePut(t *testing.T) {
	st := memstore.New()
	st.Set("photos/old.jpg", []byte("old"))
	mnt := rwMount(t, st)
	if _, err := os.ReadDir(filepath.Join(mnt, "photos")); err != nil {
		t.Fatal(err)
	}
	st.ResetCounts()
	data := bytes.Repeat([]byte("photo"), 1000)
	if err := os.WriteFile(filepath.Join(mnt, "photos/new.jpg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, ok := st.Data("photos/new.jpg"); !ok || !bytes.Equal(got, data) {
		t.Fatalf("object after close: %q, %v", got, ok)
	}
	if c := st.Counts(); c[memstore.OpPut] != 1 || len(c) != 1 {
		t.Errorf("a small new file cost %v; want one PUT and nothing else", c)
	}
	names, _ := os.ReadDir(filepath.Join(mnt, "photos"))
	var got []string
	for _, e := range names {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, []string{"new.jpg", "old.jpg"}) {
		t.Errorf("ls = %v", got)
	}
	back, err := os.ReadFile(filepath.Join(mnt, "photos/new.jpg"))
	if err != nil || !bytes.Equal(back, data) {
		t.Errorf("read back: %v", err)
	}
}

func TestWriteProgramsThroughTheMount(t *testing.T) {
	st := memstore.New()
	st.Set("notes.txt", []byte("one\n"))
	st.Set("docs/a.txt", []byte("alpha\n"))
	mnt := rwMount(t, st)
	sh(t, mnt, `
echo two >> notes.txt
sed -i 's/alpha/ALPHA/' docs/a.txt
mkdir -p x/y/z
echo deep > x/y/z/f.txt
mv docs/a.txt docs/b.txt
mv x w
rm -r w/y/z
touch empty
`)
	check := map[string]string{"notes.txt": "one\ntwo\n", "docs/b.txt": "ALPHA\n", "empty": ""}
	for k, want := range check {
		if got, ok := st.Data(k); !ok || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", k, got, ok, want)
		}
	}
	for _, gone := range []string{"docs/a.txt", "x/y/z/f.txt", "w/y/z/f.txt", "x/.bzEmpty"} {
		if _, ok := st.Data(gone); ok {
			t.Errorf("%s is still in the bucket", gone)
		}
	}
	if out := sh(t, mnt, "ls -R"); !strings.Contains(out, "w/y:") || strings.Contains(out, "z") || strings.Contains(out, "x:") {
		t.Errorf("ls -R:\n%s", out)
	}
	if _, ok := st.Data("w/y/.bzEmpty"); !ok {
		t.Errorf("emptied folder w/y has no placeholder: it would vanish")
	}
}
