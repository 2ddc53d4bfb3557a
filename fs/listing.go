package fs

import (
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// A listing is kept compactly, because a folder may hold millions of keys
// and the mount keeps its listing for the TTL (and past it, for outages):
// one sorted slice of names and parallel columns of what a listed file
// needs (its size, the whole seconds of its LastModified, its ETag as the
// 16 bytes of an MD5 when it is one), about 70 bytes per name where a map
// of s3backend.Object took 600. A name's key is rebuilt (prefix+name) only
// when an entry is asked for. The rare entry that does not fit the columns
// (an ETag that is not an MD5, a file this mount created) is kept whole in
// extra.

// Column flags of one name.
const (
	colDir   uint8 = 1 << iota // a directory: its key is prefix+name+"/"
	colMD5                     // the ETag is the quoted hex MD5 in etags
	colWhole                   // the entry is in extra
)

// dirListing is what one directory holds, derived from one listing.
// It is immutable once built.
type dirListing struct {
	prefix string         // the directory's key prefix
	names  []string       // sorted, for Readdir
	cols   listingColumns // the entry of names[i] is cols.entry(prefix, names[i], i)

	markerT time.Time // LastModified of the directory's own "dir/" marker, if any
	marker  bool      // the directory has its own "dir/" marker object
	bzEmpty bool      // the directory has its own ".bzEmpty" placeholder
	hidden  int       // keys directly in the directory that cannot be shown
}

// listingColumns holds entries column by column, appended in any order.
type listingColumns struct {
	flags  []uint8
	sizes  []int64
	mtimes []int64    // LastModified, Unix seconds
	etags  [][16]byte // with colMD5
	extra  map[int]entry
}

// len is how many names the listing shows.
func (l *dirListing) len() int { return len(l.names) }

// at is the i-th entry in name order.
func (l *dirListing) at(i int) entry { return l.cols.entry(l.prefix, l.names[i], i) }

// lookup finds name (binary search: no per-name map).
func (l *dirListing) lookup(name string) (entry, bool) {
	i := sort.SearchStrings(l.names, name)
	if i == len(l.names) || l.names[i] != name {
		return entry{}, false
	}
	return l.at(i), true
}

// compactTime is t as Unix seconds, if it is exactly what unixTime gives back.
func compactTime(t time.Time) (int64, bool) {
	s := t.Unix()
	return s, unixTime(s) == t
}

func unixTime(s int64) time.Time {
	if s == zeroUnix {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

var zeroUnix = time.Time{}.Unix()

// md5ETag decodes a quoted 32-digit lowercase hex ETag (S3's MD5 of a
// single-part upload).
func md5ETag(etag string) (b [16]byte, ok bool) {
	if len(etag) != 34 || etag[0] != '"' || etag[33] != '"' || strings.ToLower(etag) != etag {
		return b, false
	}
	_, err := hex.Decode(b[:], []byte(etag[1:33]))
	return b, err == nil
}

// md5ETagString is the ETag md5ETag decoded.
func md5ETagString(md5 [16]byte) string {
	var b [34]byte
	b[0], b[33] = '"', '"'
	hex.Encode(b[1:33], md5[:])
	return string(b[:])
}

// add appends e, the entry of a name of prefix.
func (c *listingColumns) add(prefix string, e entry) {
	i := len(c.flags)
	var flag uint8
	var size, mtime int64
	var etag [16]byte
	whole := e.id != (inoID{})
	if e.kind == kindDir {
		flag = colDir
		whole = whole || e.obj != (s3backend.Object{Key: e.obj.Key}) || e.obj.Key != prefix+e.name+"/"
	} else {
		var ok bool
		size = e.obj.Size
		mtime, ok = compactTime(e.obj.ModTime)
		whole = whole || !ok || e.obj.Key != prefix+e.name || !e.obj.MTime.IsZero() || e.obj.VersionID != ""
		if etag, ok = md5ETag(e.obj.ETag); ok {
			flag = colMD5
		} else if e.obj.ETag != "" {
			whole = true
		}
	}
	if whole {
		flag, size, mtime, etag = colWhole, 0, 0, [16]byte{}
		if c.extra == nil {
			c.extra = map[int]entry{}
		}
		c.extra[i] = e
	}
	c.flags = append(c.flags, flag)
	c.sizes = append(c.sizes, size)
	c.mtimes = append(c.mtimes, mtime)
	c.etags = append(c.etags, etag)
}

// entry rebuilds the i-th entry, named name, of prefix.
func (c *listingColumns) entry(prefix, name string, i int) entry {
	flag := c.flags[i]
	switch {
	case flag&colWhole != 0:
		return c.extra[i]
	case flag&colDir != 0:
		return entry{name: name, kind: kindDir, obj: s3backend.Object{Key: prefix + name + "/"}}
	}
	o := s3backend.Object{Key: prefix + name, Size: c.sizes[i], ModTime: unixTime(c.mtimes[i])}
	if flag&colMD5 != 0 {
		o.ETag = md5ETagString(c.etags[i])
	}
	return entry{name: name, kind: kindFile, obj: o}
}

// sortedListing is a listing of prefix of the names (taken, and reordered)
// with their entries in cols, in the same order.
func sortedListing(prefix string, names []string, cols listingColumns) *dirListing {
	l := &dirListing{prefix: prefix, names: names, cols: cols}
	if sort.StringsAreSorted(names) {
		return l
	}
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return names[idx[a]] < names[idx[b]] })
	l.names = make([]string, len(names))
	var out listingColumns
	out.grow(len(names))
	for j, i := range idx {
		l.names[j] = names[i]
		out.flags = append(out.flags, cols.flags[i])
		out.sizes = append(out.sizes, cols.sizes[i])
		out.mtimes = append(out.mtimes, cols.mtimes[i])
		out.etags = append(out.etags, cols.etags[i])
		if e, ok := cols.extra[i]; ok {
			if out.extra == nil {
				out.extra = map[int]entry{}
			}
			out.extra[j] = e
		}
	}
	l.cols = out
	return l
}

// grow makes room for n more entries (amortised, as append grows).
func (c *listingColumns) grow(n int) {
	c.flags = slices.Grow(c.flags, n)
	c.sizes = slices.Grow(c.sizes, n)
	c.mtimes = slices.Grow(c.mtimes, n)
	c.etags = slices.Grow(c.etags, n)
}

// listingOf builds a listing of prefix from entries (any order, names
// unique) and the directory's own facts from base.
func listingOf(base *dirListing, entries []entry) *dirListing {
	sort.Slice(entries, func(a, b int) bool { return entries[a].name < entries[b].name })
	names := make([]string, len(entries))
	var cols listingColumns
	cols.grow(len(entries))
	for i, e := range entries {
		names[i] = e.name
		cols.add(base.prefix, e)
	}
	return &dirListing{prefix: base.prefix, names: names, cols: cols,
		markerT: base.markerT, marker: base.marker, bzEmpty: base.bzEmpty, hidden: base.hidden}
}
