package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

func TestInoTableRemembersIdleNumbersOnly(t *testing.T) {
	tab := newInoTable()
	a := tab.number(fileID("a", "1"))
	if again := tab.number(fileID("a", "1")); again != a {
		t.Fatalf("a second number for the same identity: %d then %d", a, again)
	}
	if other := tab.number(fileID("a", "2")); other == a {
		t.Fatalf("a new version got the old version's number %d", a)
	}

	// A node takes the number readdir showed; the table then holds nothing
	// for it, and hands out no other name's number meanwhile.
	if got := tab.take(fileID("a", "1")); got != a {
		t.Fatalf("the node of a got %d, readdir showed %d", got, a)
	}
	if n := tab.idleCount(); n != 1 {
		t.Fatalf("with a's node live the table remembers %d numbers, want 1 (a's other version)", n)
	}
	b := tab.take(dirID("b/"))
	if b == a {
		t.Fatalf("b got a's number")
	}

	// Twice the idle limit of names that are only listed: a's number,
	// given back once its node was forgotten, is dropped in its turn, and
	// the table stays bounded.
	tab.release(fileID("a", "1"), a)
	if got := tab.number(fileID("a", "1")); got != a {
		t.Fatalf("a forgotten node's number is not found again: %d, want %d", got, a)
	}
	for i := range 2 * maxIdleInos {
		tab.number(fileID(fmt.Sprintf("k%d", i), "e"))
	}
	if n := tab.idleCount(); n != maxIdleInos {
		t.Errorf("after %d listed names the table remembers %d numbers, want %d", 2*maxIdleInos, n, maxIdleInos)
	}
	if got := tab.number(fileID("a", "1")); got == a {
		t.Errorf("a dropped number came back (%d): numbers are never reused", got)
	}
}

// Nodes made and forgotten over and over (a walk that the kernel keeps
// dropping) keep the table's bookkeeping within twice what it remembers.
func TestInoTableStaysBoundedUnderChurn(t *testing.T) {
	tab := newInoTable()
	for i := range 20 * maxIdleInos {
		id := fileID(fmt.Sprintf("k%d", i%1000), "e")
		tab.release(id, tab.take(id))
	}
	if n, q := tab.idleCount(), len(tab.order)-tab.head; n != 1000 || q > 2*n+1024 {
		t.Errorf("the table remembers %d numbers in a queue of %d, want 1000 in at most %d", n, q, 2*n+1024)
	}
}

// When the kernel forgets a file (here because its entry was invalidated),
// its node gives its number back to the table, so a stat soon after gives
// the same inode number.
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
	if n := tab.idleCount(); n != 0 {
		t.Fatalf("after stat dir/a.jpg the table remembers %d numbers, want none: the nodes of dir and a.jpg hold theirs", n)
	}
	dir := root.(*dirNode).GetChild("dir")
	if dir == nil {
		t.Fatal("no node for dir")
	}
	if errno := dir.NotifyEntry("a.jpg"); errno != 0 {
		t.Fatalf("invalidate dir/a.jpg: %v", errno)
	}
	if !waitUntil(func() bool { return tab.idleCount() == 1 }) {
		t.Fatalf("%s after the kernel dropped dir/a.jpg, the table remembers %d numbers, want 1 (a.jpg's)", hangBound, tab.idleCount())
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
