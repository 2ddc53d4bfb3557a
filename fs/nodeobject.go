package fs

import (
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// nodeObject is a file's object as its node keeps it: the same facts as
// s3backend.Object in 64 bytes instead of 104 plus an ETag string, since
// the kernel holds a node for every name it has seen (each name of a
// million-key folder after ls -l of it). The usual object, listed with an
// MD5 ETag and a LastModified in whole seconds, fits in the fixed fields;
// any other (a multipart ETag, a version ID, a stored mtime) keeps the
// rest in rare. A nodeObject turns back into the very Object it was made
// from (object).
type nodeObject struct {
	key   string
	size  int64
	mod   int64    // ModTime in Unix seconds, when flags&modSet
	md5   [16]byte // the ETag, when flags&etagMD5
	flags nodeObjectFlags
	rare  *rareObject // nil for most objects
}

type nodeObjectFlags uint8

const (
	modSet  nodeObjectFlags = 1 << iota // mod holds ModTime (a zero ModTime has neither)
	etagMD5                             // md5 holds the ETag `"<32 lowercase hex digits>"`
	own                                 // Object.Own
)

// rareObject is what a nodeObject keeps of an object that does not fit
// its fixed fields.
type rareObject struct {
	etag      string    // when not etagMD5
	modTime   time.Time // when not modSet and not zero
	mtime     time.Time
	versionID string
}

// newNodeObject keeps o.
func newNodeObject(o s3backend.Object) nodeObject {
	v := nodeObject{key: o.Key, size: o.Size}
	if o.Own {
		v.flags |= own
	}
	var r rareObject
	if !o.ModTime.IsZero() {
		if s, ok := compactTime(o.ModTime); ok {
			v.mod, v.flags = s, v.flags|modSet
		} else {
			r.modTime = o.ModTime
		}
	}
	if md5, ok := md5ETag(o.ETag); ok {
		v.md5, v.flags = md5, v.flags|etagMD5
	} else {
		r.etag = o.ETag
	}
	r.mtime, r.versionID = o.MTime, o.VersionID
	if r != (rareObject{}) {
		v.rare = &r
	}
	return v
}

// object is the Object v was made from.
func (v nodeObject) object() s3backend.Object {
	o := s3backend.Object{Key: v.key, Size: v.size, ETag: v.etag(), ModTime: v.modTime(), Own: v.flags&own != 0}
	if r := v.rare; r != nil {
		o.MTime, o.VersionID = r.mtime, r.versionID
	}
	return o
}

// modTime is the object's ModTime.
func (v nodeObject) modTime() time.Time {
	switch {
	case v.flags&modSet != 0:
		return unixTime(v.mod)
	case v.rare != nil:
		return v.rare.modTime
	}
	return time.Time{}
}

// etag is the object's ETag, as the server sent it.
func (v nodeObject) etag() string {
	switch {
	case v.flags&etagMD5 != 0:
		return md5ETagString(v.md5)
	case v.rare != nil:
		return v.rare.etag
	}
	return ""
}
