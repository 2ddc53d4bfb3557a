package fs

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

// The fuzz targets below take lists as newline-separated strings; their
// seed corpora live in testdata/fuzz/<FuzzName>/ and run as plain tests in
// `go test`. Run the fuzzer with e.g.
//
//	go test ./fs -run '^$' -fuzz FuzzBuildListing -fuzztime 2m

// splitList splits a newline-separated list; "" is the empty list.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// mountPrefix normalises a prefix the way NewRoot does.
func mountPrefix(p string) string {
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// checkName fails t unless name can be a Linux file name.
func checkName(t *testing.T, where, name string) {
	t.Helper()
	if name == "" || name == "." || name == ".." || len(name) > maxNameLen ||
		strings.ContainsAny(name, "/\x00") {
		t.Fatalf("%s: visible name %q is not a valid file name", where, name)
	}
	if hiddenReason(name) != "" {
		t.Fatalf("%s: visible name %q would be refused by Lookup: %s", where, name, hiddenReason(name))
	}
}

// checkListing checks the invariants of one built listing of prefix:
// every visible name is a valid file name and unique, names is sorted and
// matches entries, and every entry maps back to the key it came from:
// prefix+name for a file, prefix+name+"/" for a directory.
func checkListing(t *testing.T, prefix string, d *dirListing, objects map[string]bool, prefixes map[string]bool) {
	t.Helper()
	if len(d.names) != d.len() || !sort.StringsAreSorted(d.names) {
		t.Fatalf("listing of %q: names %q do not match %d entries", prefix, d.names, d.len())
	}
	for i, name := range d.names {
		if i > 0 && d.names[i-1] == name {
			t.Fatalf("listing of %q: name %q twice", prefix, name)
		}
		checkName(t, "listing of "+prefix, name)
		e, ok := d.lookup(name)
		if !ok || e.name != name {
			t.Fatalf("listing of %q: name %q has entry %+v", prefix, name, e)
		}
		switch e.kind {
		case kindFile:
			if e.obj.Key != prefix+name || !objects[e.obj.Key] {
				t.Fatalf("listing of %q: file %q maps to key %q", prefix, name, e.obj.Key)
			}
		case kindDir:
			// A common prefix, or a child's "dir/" marker object.
			if e.obj.Key != prefix+name+"/" || (!prefixes[e.obj.Key] && !objects[e.obj.Key]) {
				t.Fatalf("listing of %q: dir %q maps to prefix %q", prefix, name, e.obj.Key)
			}
		default:
			t.Fatalf("listing of %q: %q has kind %d", prefix, name, e.kind)
		}
	}
}

// FuzzBuildListing feeds buildListing whatever a server might answer, even
// what no correct S3 server sends (prefixes outside the listed one, without
// a trailing "/", keys with "/" below the delimiter, duplicates), and checks
// the listing's invariants, and that every key the rules let through is
// shown and every key they drop is accounted for.
func FuzzBuildListing(f *testing.F) {
	f.Add("", "a/\nb/", "x.txt\ny.txt")
	f.Add("dir/", "dir/sub/", "dir/\ndir/f\ndir/.bzEmpty")
	f.Fuzz(func(t *testing.T, rawPrefix, rawPrefixes, rawObjects string) {
		prefix := mountPrefix(rawPrefix)
		var l s3backend.Listing
		prefixes := map[string]bool{}
		for _, p := range splitList(rawPrefixes) {
			l.Prefixes = append(l.Prefixes, p)
			prefixes[p] = true
		}
		objects := map[string]bool{}
		for i, k := range splitList(rawObjects) {
			l.Objects = append(l.Objects, s3backend.Object{Key: k, Size: int64(i), ETag: fmt.Sprintf(`"%d"`, i)})
			objects[k] = true
		}
		d, hidden := buildListing(prefix, l)
		checkListing(t, prefix, d, objects, prefixes)

		hiddenKeys := map[string]bool{}
		for _, h := range hidden {
			if h.reason == "" {
				t.Fatalf("key %q hidden without a reason", h.key)
			}
			if h.key == "" || (!objects[h.key] && !prefixes[h.key]) {
				t.Fatalf("hidden key %q is not in the listing", h.key)
			}
			hiddenKeys[h.key] = true
		}
		for _, o := range l.Objects {
			name, under := strings.CutPrefix(o.Key, prefix)
			e, shown := d.lookup(name)
			dirName, isMarker := strings.CutSuffix(name, "/")
			switch {
			case !under || name == "" || name == bzEmpty:
				// Outside the directory, its own marker, or a B2 placeholder.
			case isMarker && !strings.Contains(dirName, "/"):
				// A child's marker the server did not roll up: a directory.
				if e, ok := d.lookup(dirName); hiddenReason(dirName) == "" && (!ok || e.kind != kindDir) {
					t.Fatalf("marker %q not shown as a directory", o.Key)
				}
				if hiddenReason(dirName) != "" && !hiddenKeys[o.Key] {
					t.Fatalf("marker %q (%s) neither shown nor reported hidden", o.Key, hiddenReason(dirName))
				}
			case strings.Contains(name, "/"):
				// Below the delimiter: a correct server never sends it.
			case hiddenReason(name) != "":
				if !hiddenKeys[o.Key] {
					t.Fatalf("key %q (%s) neither shown nor reported hidden", o.Key, hiddenReason(name))
				}
			case shown && e.kind == kindDir:
				if !hiddenKeys[o.Key] {
					t.Fatalf("key %q lost to a directory without being reported hidden", o.Key)
				}
			case !shown || e.kind != kindFile:
				t.Fatalf("valid key %q not shown as a file", o.Key)
			}
		}
		for _, p := range l.Prefixes {
			name, under := strings.CutPrefix(p, prefix)
			name, isDir := strings.CutSuffix(name, "/")
			if !under || !isDir {
				continue // not a directory of this listing
			}
			if hiddenReason(name) != "" {
				if !hiddenKeys[p] {
					t.Fatalf("prefix %q (%s) neither shown nor reported hidden", p, hiddenReason(name))
				}
				continue
			}
			if e, ok := d.lookup(name); !ok || e.kind != kindDir {
				t.Fatalf("valid prefix %q not shown as a directory", p)
			}
		}
	})
}

// s3List answers a delimiter "/" listing of prefix over keys the way S3
// does: keys with a "/" after the prefix roll up into common prefixes.
func s3List(keys []string, prefix string) s3backend.Listing {
	var l s3backend.Listing
	seen := map[string]bool{}
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			if p := prefix + rest[:i+1]; !seen[p] {
				seen[p] = true
				l.Prefixes = append(l.Prefixes, p)
			}
			continue
		}
		l.Objects = append(l.Objects, s3backend.Object{Key: k})
	}
	return l
}

// shouldShow says whether the naming rules make key a file of the mount of
// prefix: every path component valid, not a B2 placeholder, not a marker,
// and no key below key+"/" (a directory wins).
func shouldShow(keys []string, prefix, key string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if hiddenReason(p) != "" {
			return false
		}
	}
	if parts[len(parts)-1] == bzEmpty {
		return false
	}
	for _, k := range keys {
		if strings.HasPrefix(k, key+"/") {
			return false
		}
	}
	return true
}

// FuzzKeysToTree builds the whole tree a bucket of keys shows, listing
// every visible directory the way S3 does, and checks that every visible
// file is exactly one key, every key the rules allow is visible exactly
// once, at the path of its key, and each listing keeps the invariants.
func FuzzKeysToTree(f *testing.F) {
	f.Add("", "a/b/c.txt\na/d.txt\ne.txt")
	f.Fuzz(func(t *testing.T, rawPrefix, rawKeys string) {
		prefix := mountPrefix(rawPrefix)
		keys := slices.Compact(slices.Sorted(slices.Values(splitList(rawKeys))))
		if len(keys) > 200 {
			return // keep each run cheap
		}
		all := map[string]bool{}
		for _, k := range keys {
			all[k] = true
		}
		shown := map[string]string{} // key -> path in the mount
		var walk func(dirPrefix, path string, depth int)
		walk = func(dirPrefix, path string, depth int) {
			if depth > 300 {
				t.Fatalf("directory %q nested deeper than any key", dirPrefix)
			}
			l := s3List(keys, dirPrefix)
			prefixes := map[string]bool{}
			for _, p := range l.Prefixes {
				prefixes[p] = true
			}
			d, _ := buildListing(dirPrefix, l)
			checkListing(t, dirPrefix, d, all, prefixes)
			for i, name := range d.names {
				e := d.at(i)
				if e.kind == kindDir {
					walk(e.obj.Key, path+"/"+name, depth+1)
					continue
				}
				if prev, dup := shown[e.obj.Key]; dup {
					t.Fatalf("key %q shown twice: %s and %s", e.obj.Key, prev, path+"/"+name)
				}
				shown[e.obj.Key] = path + "/" + name
			}
		}
		walk(prefix, "", 0)
		for _, k := range keys {
			want := shouldShow(keys, prefix, k)
			path, got := shown[k]
			if got != want {
				t.Fatalf("key %q: shown %v (at %q), want %v", k, got, path, want)
			}
			if got && path != "/"+strings.TrimPrefix(k, prefix) {
				t.Fatalf("key %q shown at %q", k, path)
			}
		}
	})
}
