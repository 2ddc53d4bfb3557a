package fs

import (
	"strings"

	"github.com/b2mount/b2mount/s3backend"
)

// bzEmpty is the placeholder object B2's web UI writes into a new folder.
const bzEmpty = ".bzEmpty"

// maxNameLen is the longest file name Linux accepts (NAME_MAX).
const maxNameLen = 255

// entryKind tells a directory entry's type.
type entryKind uint8

const (
	kindFile entryKind = iota + 1
	kindDir
)

// entry is one visible name of a directory.
type entry struct {
	name string
	kind entryKind
	obj  s3backend.Object // for files: the object; for dirs: Key is the prefix, ModTime the marker's
	// id, when set, is the file's identity in the inoTable instead of
	// fileID(obj.Key, obj.ETag): a file created by this mount and not in
	// the bucket yet (newFileID).
	id inoID
}

// identity is the entry's identity in the inoTable.
func (e entry) identity() inoID {
	switch {
	case e.kind == kindDir:
		return dirID(e.obj.Key)
	case e.id != (inoID{}):
		return e.id
	}
	return fileID(e.obj.Key, e.obj.ETag)
}

// hiddenReason says why a name cannot be shown ("" when it can).
func hiddenReason(name string) string {
	switch {
	case name == "":
		return "empty path component"
	case name == "." || name == "..":
		return "path component . or .."
	case len(name) > maxNameLen:
		return "path component longer than 255 bytes"
	case strings.IndexByte(name, 0) >= 0:
		return "NUL byte in name"
	case strings.IndexByte(name, '/') >= 0:
		return "slash in name (the server listed past the delimiter)"
	}
	return ""
}

// hiddenKey is a key the listing could not show, for logging.
type hiddenKey struct {
	key, reason string
}

// buildListing applies the naming rules (see the package doc) to the
// listing of prefix: markers and .bzEmpty placeholders are dropped, invalid
// names are reported in hidden, and a directory beats a file of the same
// name.
func buildListing(prefix string, l s3backend.Listing) (*dirListing, []hiddenKey) {
	d := &dirListing{prefix: prefix}
	entries := make(map[string]entry, len(l.Objects)+len(l.Prefixes))
	var hidden []hiddenKey
	addDir := func(p string) {
		name := strings.TrimSuffix(p[len(prefix):], "/")
		if r := hiddenReason(name); r != "" {
			hidden = append(hidden, hiddenKey{p, r})
			return
		}
		entries[name] = entry{name: name, kind: kindDir, obj: s3backend.Object{Key: p}}
	}
	for _, p := range l.Prefixes {
		// With delimiter "/" every common prefix ends in "/"; anything else
		// is a server's mistake and is not shown.
		if strings.HasPrefix(p, prefix) && strings.HasSuffix(p, "/") && len(p) > len(prefix) {
			addDir(p)
		}
	}
	// A child's "dir/" marker that the server did not roll up into a common
	// prefix (some do not) is a directory too. Directories are all known
	// before the first file, so that a file never hides one, whatever the
	// order of the listing.
	for _, o := range l.Objects {
		if name, ok := strings.CutPrefix(o.Key, prefix); ok && name != "" && strings.IndexByte(name, '/') == len(name)-1 {
			addDir(o.Key)
		}
	}
	for _, o := range l.Objects {
		if !strings.HasPrefix(o.Key, prefix) {
			continue
		}
		name := o.Key[len(prefix):]
		switch {
		case name == "":
			d.markerT, d.marker = o.ModTime, true // the directory's own marker
			continue
		case name == bzEmpty:
			d.bzEmpty = true
			continue
		case strings.IndexByte(name, '/') == len(name)-1:
			continue // a child's marker: a directory, above
		case strings.Contains(name, "/"):
			continue // cannot happen with delimiter "/"; never show it as a file
		}
		if r := hiddenReason(name); r != "" {
			hidden = append(hidden, hiddenKey{o.Key, r})
			continue
		}
		if _, isDir := entries[name]; isDir {
			hidden = append(hidden, hiddenKey{o.Key, "a directory of the same name wins"})
			continue
		}
		entries[name] = entry{name: name, kind: kindFile, obj: o}
	}
	d.hidden = len(hidden)
	all := make([]entry, 0, len(entries))
	for _, e := range entries {
		all = append(all, e)
	}
	return listingOf(d, all), hidden
}
