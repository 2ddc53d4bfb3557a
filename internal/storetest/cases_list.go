package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/s3backend"
)

func listCases() []Case {
	return []Case{
		{Name: "ListPagesInKeyOrder", Run: listPagesInKeyOrder},
		{Name: "ListDelimiter", Run: listDelimiter},
		{Name: "ListMarkerAlone", Run: listMarkerAlone, Needs: forbiddenKeysPossible},
		{Name: "ListMissingPrefix", Run: listMissingPrefix},
		{Name: "ListKeyBesideFolder", Run: listKeyBesideFolder},
	}
}

// pages lists prefix and returns every page fn was handed.
func pages(t *testing.T, s fs.Store, prefix string) ([]s3backend.Listing, error) {
	t.Helper()
	var out []s3backend.Listing
	err := s.ListPages(t.Context(), prefix, func(p s3backend.Listing) error {
		out = append(out, p)
		return nil
	})
	return out, err
}

// listing lists prefix and joins its pages; a failure ends the test.
func listing(t *testing.T, s fs.Store, prefix string) s3backend.Listing {
	t.Helper()
	ps, err := pages(t, s, prefix)
	if err != nil {
		t.Fatalf("ListPages(%q): %v", prefix, err)
	}
	var l s3backend.Listing
	for _, p := range ps {
		l.Prefixes = append(l.Prefixes, p.Prefixes...)
		l.Objects = append(l.Objects, p.Objects...)
	}
	return l
}

func keysOf(objs []s3backend.Object) []string {
	k := make([]string, len(objs))
	for i, o := range objs {
		k[i] = o.Key
	}
	return k
}

// entries are a page's prefixes and keys merged in key order.
func entries(p s3backend.Listing) []string {
	return slices.Sorted(slices.Values(append(slices.Clone(p.Prefixes), keysOf(p.Objects)...)))
}

func expectListing(t *testing.T, s fs.Store, prefix string, prefixes, keys []string) s3backend.Listing {
	t.Helper()
	l := listing(t, s, prefix)
	if !slices.Equal(l.Prefixes, prefixes) {
		t.Errorf("ListPages(%q) prefixes %s, want %s", prefix, quote(l.Prefixes), quote(prefixes))
	}
	if got := keysOf(l.Objects); !slices.Equal(got, keys) {
		t.Errorf("ListPages(%q) objects %s, want %s", prefix, quote(got), quote(keys))
	}
	return l
}

// listPagesInKeyOrder: a folder of objects and subfolders over three
// pages or more comes in key order across the pages, each entry once (a
// subfolder whose keys straddle a page boundary too), no page over the
// page size, and every listed object as Stat describes it.
func listPagesInKeyOrder(t *testing.T, b *Bucket) {
	n := 2*b.PageSize + b.PageSize/2 + 1
	var want []string
	for i := range n {
		name := fmt.Sprintf("e%04d", i)
		if i%3 == 1 { // a subfolder with more keys than one page holds
			for j := range b.PageSize + 1 {
				b.PutAll(fmt.Sprintf("%s/k%02d", name, j))
			}
			want = append(want, b.Key(name+"/"))
			continue
		}
		b.PutAll(name)
		want = append(want, b.Key(name))
	}

	ps, err := pages(t, b.Store, b.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 3 {
		t.Errorf("%d entries at %d a page came in %d pages, want 3 or more", n, b.PageSize, len(ps))
	}
	var got []string
	for i, p := range ps {
		if size := len(p.Prefixes) + len(p.Objects); size > b.PageSize {
			t.Errorf("page %d holds %d entries, over the page size %d", i, size, b.PageSize)
		}
		if !slices.IsSorted(p.Prefixes) || !slices.IsSorted(keysOf(p.Objects)) {
			t.Errorf("page %d out of order: %s %s", i, quote(p.Prefixes), quote(keysOf(p.Objects)))
		}
		e := entries(p)
		if len(got) > 0 && len(e) > 0 && e[0] <= got[len(got)-1] {
			t.Errorf("page %d starts at %q, not after the last entry %q of the pages before", i, e[0], got[len(got)-1])
		}
		got = append(got, e...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages joined: %d entries %s\nwant %d %s", len(got), quote(got), len(want), quote(want))
	}

	for _, o := range listing(t, b.Store, b.Dir).Objects[:3] {
		st, err := b.Store.Stat(t.Context(), o.Key)
		if err != nil {
			t.Fatal(err)
		}
		if st.Key != o.Key || st.Size != o.Size || !st.ModTime.Equal(o.ModTime) || !s3backend.SameETag(st.ETag, o.ETag) ||
			o.ETag == "" || o.ModTime.IsZero() || o.Size != int64(len(o.Key)-len(b.Dir)) {
			t.Errorf("listed %+v, Stat %+v: they must agree, with a size, an ETag and a time", o, st)
		}
	}
}

// listDelimiter: delimiter "/" rolls nested keys up into common prefixes,
// one level at a time; a "dir/" marker lists as an object of its own
// folder and as a common prefix of its parent.
func listDelimiter(t *testing.T, b *Bucket) {
	marker := !b.Quirks.NoForbiddenKeys // B2 cannot hold a "dir/" marker
	if marker {
		b.PutAll("dir/")
	}
	b.PutAll("a.txt", "dir/b.txt", "dir/sub/c.txt", "dir/sub/deeper/d", "other.txt", "other/e")
	k := b.Key

	rootKeys := []string{k("a.txt"), k("other.txt")}
	if b.Quirks.MarkerInParent && marker {
		rootKeys = []string{k("a.txt"), k("dir/"), k("other.txt")}
	}
	expectListing(t, b.Store, b.Dir, []string{k("dir/"), k("other/")}, rootKeys)
	dirKeys := []string{k("dir/b.txt")}
	if marker {
		dirKeys = []string{k("dir/"), k("dir/b.txt")}
	}
	l := expectListing(t, b.Store, k("dir/"), []string{k("dir/sub/")}, dirKeys)
	if marker && len(l.Objects) == 2 && (l.Objects[0].Size != 0 || l.Objects[1].Size != int64(len("dir/b.txt"))) {
		t.Errorf("dir/ listed sizes %d and %d, want 0 and %d", l.Objects[0].Size, l.Objects[1].Size, len("dir/b.txt"))
	}
	expectListing(t, b.Store, k("dir/sub/"), []string{k("dir/sub/deeper/")}, []string{k("dir/sub/c.txt")})
	expectListing(t, b.Store, k("dir/sub/deeper/"), nil, []string{k("dir/sub/deeper/d")})
}

// listMarkerAlone: a folder that holds only its "dir/" marker exists: its
// parent lists it, HasPrefix finds it, and its listing is the marker.
func listMarkerAlone(t *testing.T, b *Bucket) {
	b.PutAll("empty/")
	if b.Quirks.MarkerInParent {
		expectListing(t, b.Store, b.Dir, nil, []string{b.Key("empty/")})
	} else {
		expectListing(t, b.Store, b.Dir, []string{b.Key("empty/")}, nil)
	}
	expectListing(t, b.Store, b.Key("empty/"), nil, []string{b.Key("empty/")})
	if ok, err := b.Store.HasPrefix(t.Context(), b.Key("empty/")); !ok || err != nil {
		t.Errorf("HasPrefix(marker only) = %v, %v; want true", ok, err)
	}
	if st, err := b.Store.Stat(t.Context(), b.Key("empty/")); err != nil || st.Size != 0 {
		t.Errorf("Stat(marker) = %+v, %v", st, err)
	}
}

// listMissingPrefix: a prefix with nothing under it lists empty without
// error, and HasPrefix says no, even beside a key that extends it without
// its slash.
func listMissingPrefix(t *testing.T, b *Bucket) {
	b.PutAll("nope", "nopeX/y")
	expectListing(t, b.Store, b.Key("nope/"), nil, nil)
	for _, p := range []string{b.Key("nope/"), b.Key("nope/x"), b.Key("absent")} {
		if ok, err := b.Store.HasPrefix(t.Context(), p); ok || err != nil {
			t.Errorf("HasPrefix(%q) = %v, %v; want false, nil", p, ok, err)
		}
	}
	for _, p := range []string{b.Dir, b.Key("nope"), b.Key("nopeX/")} {
		if ok, err := b.Store.HasPrefix(t.Context(), p); !ok || err != nil {
			t.Errorf("HasPrefix(%q) = %v, %v; want true", p, ok, err)
		}
	}
}

// listKeyBesideFolder: a key "x" and keys under "x/" live side by side,
// listed as an object and a common prefix of the same name.
func listKeyBesideFolder(t *testing.T, b *Bucket) {
	if b.Quirks.NoKeyBesideFolder {
		b.PutAll("x/y")
		if err := b.Fixture.Put(b.Key("x"), []byte("x")); err == nil {
			_ = b.Fixture.Delete(b.Key("x"))
			t.Errorf("put of a key beside a folder of its name worked, though the quirk says it cannot")
		}
		return
	}
	b.PutAll("x", "x/y")
	expectListing(t, b.Store, b.Dir, []string{b.Key("x/")}, []string{b.Key("x")})
	expectListing(t, b.Store, b.Key("x/"), nil, []string{b.Key("x/y")})
	expectContent(t, b, b.Key("x"), []byte("x"))
}
