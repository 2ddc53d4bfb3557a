package fs

import (
	"testing"
	"time"
	"unsafe"

	"github.com/b2mount/b2mount/s3backend"
)

// A node keeps any object it is given and gives back exactly that object.
func TestNodeObjectKeepsEveryObjectExactly(t *testing.T) {
	whole := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	objs := []s3backend.Object{
		{},
		{Key: "a", Size: 3, ModTime: whole, ETag: `"0123456789abcdef0123456789abcdef"`},
		{Key: "b", ModTime: whole, ETag: `"0123456789ABCDEF0123456789ABCDEF"`},        // upper case: kept as a string
		{Key: "c", ETag: `"0123456789abcdef0123456789abcdef-3"`},                      // multipart
		{Key: "d", ETag: `0123456789abcdef0123456789abcdef`},                          // unquoted
		{Key: "e", ETag: `"0123456789abcdef0123456789abcdeg"`},                        // not hex
		{Key: "f", ModTime: whole.Add(time.Millisecond)},                              // not whole seconds
		{Key: "g", ModTime: whole.In(time.FixedZone("x", 3600))},                      // another zone
		{Key: "h", ModTime: time.Unix(-1, 0).UTC()},                                   // before 1970
		{Key: "i", ModTime: whole, MTime: whole.Add(time.Second), VersionID: "4_z27"}, // from a HEAD or a write
		{Key: "j", Size: 1, ModTime: whole, ETag: `"0123456789abcdef0123456789abcdef"`, Own: true},
	}
	for _, o := range objs {
		if got := newNodeObject(o).object(); got != o {
			t.Errorf("kept %+v, gave back %+v", o, got)
		}
	}
	if v := newNodeObject(objs[1]); v.rare != nil {
		t.Errorf("a listed object with an MD5 ETag keeps extra fields: %+v", v.rare)
	}
}

// The point of nodeObject: the fixed part stays small.
func TestNodeObjectSize(t *testing.T) {
	if n := unsafe.Sizeof(nodeObject{}); n > 64 {
		t.Errorf("nodeObject is %d bytes, want at most 64", n)
	}
}
