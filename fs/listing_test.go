package fs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// A compact listing gives back exactly the entries it was built from:
// names in order, files with their key, size, time and ETag (an MD5 from
// the columns, anything else kept whole), directories with their prefix,
// and the directory's own marker, placeholder and hidden keys.
func TestListingKeepsEveryEntry(t *testing.T) {
	mt := time.Date(2024, 5, 1, 12, 0, 7, 0, time.UTC)
	objs := []s3backend.Object{
		{Key: "p/", ModTime: mt},
		{Key: "p/.bzEmpty"},
		{Key: "p/b.txt", Size: 3, ModTime: mt, ETag: `"0123456789abcdef0123456789abcdef"`},
		{Key: "p/a.txt", Size: 1 << 40, ModTime: mt, ETag: `"9b2cf535f27731c974343645a3985328-2"`},
		{Key: "p/c", Size: 0},
		{Key: "p/d", ModTime: mt.Add(time.Millisecond), ETag: `"0123456789ABCDEF0123456789ABCDEF"`},
		{Key: "p/sub", Size: 5},
		{Key: "p/bad\x00name"},
		{Key: "p/m/"},
	}
	l, hidden := buildListing("p/", s3backend.Listing{Prefixes: []string{"p/sub/", "p/z/"}, Objects: objs})
	want := []entry{
		{name: "a.txt", kind: kindFile, obj: objs[3]},
		{name: "b.txt", kind: kindFile, obj: objs[2]},
		{name: "c", kind: kindFile, obj: objs[4]},
		{name: "d", kind: kindFile, obj: objs[5]},
		{name: "m", kind: kindDir, obj: s3backend.Object{Key: "p/m/"}},
		{name: "sub", kind: kindDir, obj: s3backend.Object{Key: "p/sub/"}},
		{name: "z", kind: kindDir, obj: s3backend.Object{Key: "p/z/"}},
	}
	if l.len() != len(want) {
		t.Fatalf("%d names %q, want %d", l.len(), l.names, len(want))
	}
	for i, w := range want {
		if got := l.at(i); got != w {
			t.Errorf("entry %d: %+v, want %+v", i, got, w)
		}
		if got, ok := l.lookup(w.name); !ok || got != w {
			t.Errorf("lookup %q: %+v, %v, want %+v", w.name, got, ok, w)
		}
	}
	for _, name := range []string{"", "a", "b.txt2", "zz", ".bzEmpty", "bad\x00name"} {
		if e, ok := l.lookup(name); ok {
			t.Errorf("lookup %q found %+v", name, e)
		}
	}
	if !l.marker || l.markerT != mt || !l.bzEmpty || l.hidden != 2 || len(hidden) != 2 {
		t.Errorf("marker %v at %v, bzEmpty %v, hidden %d %v: want the marker, the placeholder, 2 hidden",
			l.marker, l.markerT, l.bzEmpty, l.hidden, hidden)
	}
	// Entries of this mount's own changes (an identity, a version) stay whole.
	added := entry{name: "new", kind: kindFile, obj: s3backend.Object{Key: "p/new", VersionID: "v1"}, id: newFileID("p/new", 1)}
	m := merged(l, map[string]change{"new": {e: added}, "c": {removed: true}})
	if e, ok := m.lookup("new"); !ok || e != added {
		t.Errorf("added entry: %+v, %v", e, ok)
	}
	if _, ok := m.lookup("c"); ok || m.len() != len(want) || !m.marker || !m.bzEmpty {
		t.Errorf("merged listing: %q, marker %v, bzEmpty %v", m.names, m.marker, m.bzEmpty)
	}
}

// listingBytesBound is what one listed key may cost in a listing, far
// above what it does (about 80 bytes for these names, see the README's
// benchmark) so that no allocator or runtime change makes the test flaky,
// and far below the 600 bytes of the map it replaced.
const listingBytesBound = 200

// A listing of 100,000 keys keeps less than listingBytesBound bytes per key
// once the pages it came from are gone (heap after GC, not time).
func TestListingBytesPerKey(t *testing.T) {
	const n = 100_000
	before := liveHeap()
	call := newListCall("photos/2024/")
	for p := 0; p < n/1000; p++ {
		var page s3backend.Listing
		for i := p * 1000; i < (p+1)*1000; i++ {
			page.Objects = append(page.Objects, s3backend.Object{
				Key: fmt.Sprintf("photos/2024/IMG_%07d.jpg", i), Size: int64(i) << 10,
				ModTime: time.Unix(1.7e9+int64(i), 0).UTC(), ETag: fmt.Sprintf(`"%032x"`, i)})
		}
		call.addPage(page)
	}
	l := call.listing()
	call = nil

	if l.len() != n {
		t.Fatalf("%d names, want %d", l.len(), n)
	}
	if e, ok := l.lookup("IMG_0054321.jpg"); !ok || e.obj.Size != 54321<<10 || e.obj.ETag != fmt.Sprintf(`"%032x"`, 54321) {
		t.Fatalf("lookup in the listing: %+v, %v", e, ok)
	}
	per := (int64(liveHeap()) - int64(before)) / n
	t.Logf("a listing of %d keys holds %d bytes per key (heap after GC)", n, per)
	if per > listingBytesBound {
		t.Errorf("a listing holds %d bytes per key, want at most %d", per, listingBytesBound)
	}
	runtime.KeepAlive(l)
}

// Past Options.PlusEntries names, READDIRPLUS gives names alone, so listing names
// (ls -f) makes no node for them; ls -l then looks each up, answered from
// the listing: ⌈N/1000⌉ LIST and no HEAD whatever the order, and a node for
// every name at the end.
func TestBigFolderNamesMakeNoNodePastTheBound(t *testing.T) {
	const plusEntries = 3000
	const n = plusEntries + 1500
	st := memstore.New()
	for i := range n {
		st.Set(fmt.Sprintf("big/f%06d", i), []byte("x"))
	}
	opt := DefaultOptions()
	opt.PlusEntries = plusEntries
	root, err := NewRoot(st, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	mnt := mountRoot(t, root, opt, true)
	dir := filepath.Join(mnt, "big")
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	st.ResetCounts()
	out, err := exec.Command("ls", "-f", dir).Output()
	if err != nil {
		t.Fatalf("ls -f: %v", err)
	}
	if got := strings.Count(string(out), "\n"); got != n+2 {
		t.Fatalf("ls -f listed %d lines, want %d", got, n+2)
	}
	big := root.(*dirNode).GetChild("big")
	if nodes := len(big.Children()); nodes > plusEntries {
		t.Errorf("ls -f made %d nodes, want at most %d", nodes, plusEntries)
	}
	out, err = exec.Command("ls", "-l", dir).Output()
	if err != nil {
		t.Fatalf("ls -l: %v", err)
	}
	if got := strings.Count(string(out), "\n-r"); got != n {
		t.Errorf("ls -l showed %d files, want %d", got, n)
	}
	if c := st.Counts(); c[memstore.OpList] != (n+999)/1000 || len(c) != 1 {
		t.Errorf("ls -f and ls -l sent %v, want %d LIST and nothing else", c, (n+999)/1000)
	}
	if nodes := len(big.Children()); nodes != n {
		t.Errorf("after ls -l the folder has %d nodes, want %d", nodes, n)
	}
}
