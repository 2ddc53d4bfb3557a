package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

func TestInoTableKeepsHeldNumbersAndForgetsIdleOnes(t *testing.T) {
	tab := newInoTable()
	a := tab.number(fileID("a", "1"))
	if again := tab.number(fileID("a", "1")); again != a {
		t.Fatalf("a second number for the same identity: %d then %d", a, again)
	}
	if other := tab.number(fileID("a", "2")); other == a {
		t.Fatalf("a new version got the old version's number %d", a)
	}
	b := tab.number(dirID("b/"))
	tab.pin(dirID("b/"), b)

	// Twice the idle limit of names that are only listed: a's number is
	// dropped, b's (held by a node) is kept, and the table stays bounded.
	for i := range 2 * maxIdleInos {
		tab.number(fileID(fmt.Sprintf("k%d", i), "e"))
	}
	if held, live := tab.stats(); held != maxIdleInos+1 || live != 1 {
		t.Errorf("after %d listed names the table holds %d numbers, %d live; want %d and 1", 2*maxIdleInos, held, live, maxIdleInos+1)
	}
	if got := tab.number(dirID("b/")); got != b {
		t.Errorf("a held number changed: %d, want %d", got, b)
	}
	if got := tab.number(fileID("a", "1")); got == a {
		t.Errorf("a dropped number came back (%d): numbers are never reused", got)
	}

	// Once its node is forgotten, b's number is idle and goes in its turn;
	// a stale unpin (another number) changes nothing.
	tab.unpin(dirID("b/"), b+1000)
	if _, live := tab.stats(); live != 1 {
		t.Fatalf("an unpin with another number released b")
	}
	tab.unpin(dirID("b/"), b)
	for i := range maxIdleInos {
		tab.number(fileID(fmt.Sprintf("m%d", i), "e"))
	}
	if got := tab.number(dirID("b/")); got == b {
		t.Errorf("b kept its number %d after its node was forgotten and %d other names were listed", b, maxIdleInos)
	}
}

// When the kernel forgets a file (here because its entry was invalidated),
// its number is no longer held, but it keeps it while the table remembers
// it, so a stat soon after gives the same inode number.
func TestForgottenNodeReleasesItsNumber(t *testing.T) {
	st := memstore.New()
	st.Set("dir/a.jpg", []byte("a"))
	st.Set("dir/b.jpg", []byte("b"))
	opt := DefaultOptions()
	root, err := NewRoot(st, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	mnt := mountRoot(t, root, opt, true)
	tab := root.(*dirNode).fsys.inos

	var st1 syscall.Stat_t
	if err := syscall.Stat(filepath.Join(mnt, "dir", "a.jpg"), &st1); err != nil {
		t.Fatal(err)
	}
	if _, live := tab.stats(); live != 2 {
		t.Fatalf("after stat dir/a.jpg %d numbers are held by nodes, want 2 (dir, a.jpg)", live)
	}
	dir := root.(*dirNode).GetChild("dir")
	if dir == nil {
		t.Fatal("no node for dir")
	}
	if errno := dir.NotifyEntry("a.jpg"); errno != 0 {
		t.Fatalf("invalidate dir/a.jpg: %v", errno)
	}
	if !waitUntil(func() bool { _, live := tab.stats(); return live == 1 }) {
		_, live := tab.stats()
		t.Fatalf("%s after the kernel dropped dir/a.jpg, %d numbers are still held, want 1 (dir)", hangBound, live)
	}
	var st2 syscall.Stat_t
	if err := syscall.Stat(filepath.Join(mnt, "dir", "a.jpg"), &st2); err != nil {
		t.Fatal(err)
	}
	if st2.Ino != st1.Ino {
		t.Errorf("dir/a.jpg came back as inode %d, was %d", st2.Ino, st1.Ino)
	}
	if _, err := os.ReadFile(filepath.Join(mnt, "dir", "a.jpg")); err != nil {
		t.Error(err)
	}
}
