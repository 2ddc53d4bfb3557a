package storetest

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

func nameCases() []Case {
	return []Case{
		{Name: "OddNames", Run: oddNames},
		{Name: "XMLIllegalName", Run: xmlIllegalName, Needs: forbiddenKeysPossible},
		{Name: "LongName", Run: longName},
	}
}

// oddNameSet returns names that S3 clients and servers get wrong: characters
// with a meaning in URLs, query strings, XML or shells, and non-ASCII.
// Each names a folder too (with "-dir"), so that common prefixes carry
// it as well.
func oddNameSet(allowControl bool) []string {
	names := []string{
		"with space.txt",
		"plus+sign",
		"a+b c",
		"percent%41",   // must never become "percentA"
		"percent%2Bes", // nor "percent+es"
		"percent%",     // not an escape at all
		"amp&lt;.txt",
		"quote\"'<>",
		"tab\tand~tilde*star",
		"ünïcødé-日本語-😀.txt",
		"question?mark=1#hash",
	}
	if allowControl {
		return names
	}
	return slices.DeleteFunc(names, func(n string) bool { return strings.ContainsFunc(n, func(r rune) bool { return r < 32 || r == 127 }) })
}

// forbiddenKeysPossible: the fixture can put a key B2's name rules forbid.
func forbiddenKeysPossible(f *Fixture) bool { return !f.Quirks.NoForbiddenKeys }

// oddNames: a key reads back exactly, in listings (objects and common
// prefixes), Stat, HasPrefix and OpenRange, whatever characters it holds.
func oddNames(t *testing.T, b *Bucket) {
	ctx := t.Context()
	var wantKeys, wantPrefixes []string
	names := oddNameSet(!b.Quirks.NoForbiddenKeys)
	for _, n := range names {
		wantKeys = append(wantKeys, b.Put(n, []byte(n)))
		b.PutAll(n + "-dir/inner")
		wantPrefixes = append(wantPrefixes, b.Key(n+"-dir/"))
	}
	slices.Sort(wantKeys)
	slices.Sort(wantPrefixes)
	expectListing(t, b.Store, b.Dir, wantPrefixes, wantKeys)

	for _, n := range names {
		dir := b.Key(n + "-dir/")
		expectListing(t, b.Store, dir, nil, []string{dir + "inner"})
		if ok, err := b.Store.HasPrefix(ctx, dir); !ok || err != nil {
			t.Errorf("HasPrefix(%q) = %v, %v", dir, ok, err)
		}
		expectContent(t, b, b.Key(n), []byte(n))
	}
}

// expectContent checks Stat's size and the whole content of key.
func expectContent(t *testing.T, b *Bucket, key string, want []byte) {
	t.Helper()
	st, err := b.Store.Stat(t.Context(), key)
	if err != nil || st.Key != key || st.Size != int64(len(want)) {
		t.Errorf("Stat(%q) = %+v, %v; want size %d", key, st, err, len(want))
	}
	rc, err := b.Store.OpenRange(t.Context(), key, st.ETag, 0, -1)
	if err != nil {
		t.Errorf("OpenRange(%q): %v", key, err)
		return
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, want) {
		t.Errorf("read %q: %q, %v; want %q", key, got, err, want)
	}
}

// xmlIllegalName: a key with a character XML 1.0 cannot carry (U+0001)
// lists, stats and reads like any other, and does not break the listing
// of its folder (AWS sends such keys raw unless asked for
// encoding-type=url, and Go's XML decoder rejects them).
func xmlIllegalName(t *testing.T, b *Bucket) {
	ctrl := b.Put("ctrl\x01char", []byte("one"))
	plain := b.Put("plain", []byte("two"))
	l := listing(t, b.Store, b.Dir)
	got := keysOf(l.Objects)
	if b.Quirks.XMLIllegalKeysMangled {
		// The server names a key that does not exist; the folder still
		// lists, and the real key still reads.
		mangled := strings.ReplaceAll(ctrl, "\x01", "\uFFFD")
		if !slices.Equal(got, []string{mangled, plain}) {
			t.Errorf("listed %s, want the quirk's %s", quote(got), quote([]string{mangled, plain}))
		}
	} else if !slices.Equal(got, []string{ctrl, plain}) {
		t.Errorf("listed %s, want %s", quote(got), quote([]string{ctrl, plain}))
	}
	expectContent(t, b, ctrl, []byte("one"))

	b.PutAll("dir\x01x/inner")
	wantPrefix := b.Key("dir\x01x/")
	if b.Quirks.XMLIllegalKeysMangled {
		wantPrefix = b.Key("dir\uFFFDx/")
	}
	if l := listing(t, b.Store, b.Dir); !slices.Equal(l.Prefixes, []string{wantPrefix}) {
		t.Errorf("prefixes %s, want %s", quote(l.Prefixes), quote([]string{wantPrefix}))
	}
	expectListing(t, b.Store, b.Key("dir\x01x/"), nil, listedAs(b, []string{b.Key("dir\x01x/inner")}))
}

// listedAs is how the fixture's server lists keys: as they are, or
// mangled by XMLIllegalKeysMangled.
func listedAs(b *Bucket, keys []string) []string {
	if !b.Quirks.XMLIllegalKeysMangled {
		return keys
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.ReplaceAll(k, "\x01", "\uFFFD")
	}
	return out
}

// longName: keys near S3's limit of 1,024 bytes work, in folders whose
// names are as long as Linux allows (255 bytes), and with one component
// longer than that (the file system hides it, the store must not).
func longName(t *testing.T, b *Bucket) {
	seg := strings.Repeat("L", 250)
	deep := strings.Join([]string{seg, seg, seg}, "/") + "/" + strings.Repeat("z", 1000-len(b.Dir)-3*251)
	key := b.Put(deep, []byte("deep"))
	if len(key) != 1000 {
		t.Fatalf("built a key of %d bytes, want 1000", len(key))
	}
	expectListing(t, b.Store, b.Dir, []string{b.Key(seg + "/")}, nil)
	dir := key[:strings.LastIndexByte(key, '/')+1]
	expectListing(t, b.Store, dir, nil, []string{key})
	expectContent(t, b, key, []byte("deep"))

	long := strings.Repeat("N", 300)
	if b.Quirks.MaxNameLen != 0 && len(long) > b.Quirks.MaxNameLen {
		if err := b.Fixture.Put(b.Key(long), []byte("x")); err == nil {
			_ = b.Fixture.Delete(b.Key(long))
			t.Errorf("put of a %d-byte name worked, though the quirk says at most %d", len(long), b.Quirks.MaxNameLen)
		}
		return
	}
	k := b.Put(long, []byte("long"))
	expectListing(t, b.Store, b.Dir, []string{b.Key(seg + "/")}, []string{k})
	expectContent(t, b, k, []byte("long"))
}
