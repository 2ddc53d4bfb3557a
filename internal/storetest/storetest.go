// Package storetest is the conformance suite of the file system's Store
// contract (fs.Store): one set of cases, run against every implementation
// (the in-memory fake, the S3 client on each test server, and the S3
// client on B2 itself), in the style of gcsfuse's RegisterBucketTests.
//
// An implementation joins by building a Fixture (its Store, and a way
// around it to put and delete objects) and calling Run from its own
// tests. A case is a function over a Bucket; capabilities that not every
// implementation has (denied keys, ...) are Fixture fields, and a case
// that needs one is not registered where it is missing (never skipped).
// Where a server departs from S3 and B2, the departure is a Quirk: the
// case then checks the documented wrong answer, so that a fixed server
// fails the suite until its quirk is removed.
//
// To add a case, add it to one of the case tables (cases_*.go). When
// Store gains a method (Put, Copy, Delete), its cases go in a table of
// their own and the Fixture gains whatever they need to check it out of
// band. The write cases (cases_write*.go, for fs.WriteStore) run for
// every Store that implements it; what they write is deleted, and the
// uploads they leave unfinished are aborted, when each case ends.
package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/b2mount/b2mount/fs"
)

// Fixture is one Store implementation under test, with out-of-band access
// to the bucket behind it.
type Fixture struct {
	// Store is the implementation under test.
	Store fs.Store
	// Put stores data under key without going through Store, replacing
	// any object there. Delete removes key the same way; a missing key is
	// no error.
	Put    func(key string, data []byte) error
	Delete func(key string) error
	// Prefix is where the suite works: each case gets Prefix+<case>/ and
	// deletes what it put there when it ends. "" on a bucket of its own;
	// a unique prefix per run on a shared bucket (B2).
	Prefix string
	// PageSize is the most entries Store answers in one listing page. The
	// listing cases put enough keys for three pages, so keep it small
	// (the S3 client's Config.ListPageSize, memstore's SetPageSize).
	PageSize int
	// Deny, when set, returns a Store for the same bucket that may not
	// touch anything under prefix (credentials without rights there). Nil:
	// the implementation cannot express it, and the denied-key cases are
	// not registered.
	Deny func(t *testing.T, prefix string) fs.Store
	// Versions, when set, counts the versions of exactly key out of band,
	// delete markers (B2: hide markers) included. Nil: the write cases
	// check what Store shows only.
	Versions func(key string) (int, error)
	// Quirks are the ways the server behind Store departs from S3 and B2.
	Quirks Quirks
}

// Quirks are documented departures of a server from S3 and B2. Each one a
// case meets is checked as the server's actual behaviour, so the suite
// fails when a server changes; none of them is our code's doing.
type Quirks struct {
	// MarkerInParent: a "dir/" marker object is listed in its parent as
	// an object, and the common prefix "dir/" is there only when other
	// keys lie under it (gofakes3 1.2). S3 and B2 list the common prefix
	// only, marker or not.
	MarkerInParent bool
	// StartAfterRelistsFolder: ListObjectsV2 with StartAfter equal to a
	// common prefix ("dir/") lists that common prefix again, since keys
	// under it sort after it (gofakes3 1.2). S3 passes the folder whole,
	// as it does for the V1 marker its NextMarker names. b2mount never
	// starts a listing on a folder (a lookup starts below a name, and
	// ListPages follows continuation tokens), so it is harmless.
	StartAfterRelistsFolder bool
	// NoKeyBesideFolder: a key "x" cannot be stored while keys "x/..."
	// exist, nor the other way round (versitygw's posix backend keeps
	// objects as files and folders as directories, and answers 409
	// ObjectParentIsFile). S3 and B2 keep both.
	NoKeyBesideFolder bool
	// XMLIllegalKeysMangled: the server ignores encoding-type=url (no
	// EncodingType in the answer, or an empty one) and, being written in
	// Go, cannot send a key with a character XML 1.0 forbids (U+0001,
	// ...): encoding/xml writes U+FFFD in its place, so the listing names
	// a key that does not exist (gofakes3 1.2, versitygw 1.8; seen in
	// their raw answers). AWS sends "&#x1;" raw, or the key URL-encoded
	// when asked, as B2 documents.
	XMLIllegalKeysMangled bool
	// MaxNameLen, when not 0, is the longest path component (between
	// slashes) a key may have: versitygw's posix backend keeps objects as
	// files, so NAME_MAX (255) applies and a longer one cannot be stored
	// (S3 and B2 take any key up to 1,024 bytes).
	MaxNameLen int
	// B2NameRules: the server refuses to create a key B2's file-name
	// rules forbid (a character below 32 or DEL, a trailing "/"): B2
	// itself, and the test servers behind the proxy, which keeps B2's
	// rules for writes. The write cases create no such key.
	B2NameRules bool
	// NoForbiddenKeys: no key B2's name rules forbid can be put, not even
	// out of band (B2 itself): the read cases that need one (a control
	// character, a "dir/" marker) are not registered, or leave it out.
	NoForbiddenKeys bool
	// NoVersions: the bucket keeps no older versions of a replaced or
	// deleted key, and writes answer no version id (gofakes3 and
	// versitygw buckets without versioning). B2 keeps every version until
	// it is deleted by its id.
	NoVersions bool
	// StrayVersionIDs: though the bucket keeps no versions and PUT
	// answers no version id, HEAD names one, and CopyObject answers the
	// source's as both the source's and the new object's (gofakes3 1.2
	// with its s3mem backend). The ids mean nothing, and the cases do not
	// compare them. (With versioning on, gofakes3 mixes up the versions'
	// metadata and fails a HEAD after the current version is deleted, so
	// its bucket stays without.) S3 names no version in a bucket without
	// versioning; B2 names every one.
	StrayVersionIDs bool
	// CopyMergesMeta: CopyObject with MetadataDirective REPLACE keeps the
	// source's user metadata that the request does not name (gofakes3
	// 1.2). S3, B2 and versitygw replace all of it.
	CopyMergesMeta bool
	// CopyIgnoresIfMatch: CopyObject copies whatever is there, ignoring
	// x-amz-copy-source-if-match (gofakes3 1.2). S3, B2 and versitygw
	// answer 412.
	CopyIgnoresIfMatch bool
	// SmallPartsAccepted: CompleteMultipartUpload accepts a part below
	// the 5 MB minimum that is not the last (gofakes3 1.2). S3, B2 and
	// versitygw answer EntityTooSmall.
	SmallPartsAccepted bool
	// MultipartETagIsMD5: the object a multipart upload made has the
	// MD5 of its whole content as ETag, not S3's MD5 of the parts' MD5s
	// with "-" and their number (gofakes3 1.2, which answered the complete
	// with the S3 form all the same; package embedded makes it answer the
	// ETag it stores, so that reads pinned to it work). S3, B2 and
	// versitygw use the multipart form.
	MultipartETagIsMD5 bool
}

// Case is one conformance check.
type Case struct {
	Name string
	// Needs reports whether f can run the case; nil: every fixture can.
	Needs func(f *Fixture) bool
	Run   func(t *testing.T, b *Bucket)
}

// cases is every case of the suite, in the order they run.
func cases() []Case {
	return slices.Concat(listCases(), pageCases(), nameCases(), readCases(), deniedCases(),
		writeCases(), multipartCases(), copyCases())
}

// Run runs every case f can run, each as a subtest with a fresh
// directory of its own under f.Prefix.
func Run(t *testing.T, f Fixture) {
	t.Helper()
	if f.Store == nil || f.Put == nil || f.Delete == nil || f.PageSize <= 0 {
		t.Fatalf("storetest: the fixture needs Store, Put, Delete and PageSize: %+v", f)
	}
	for _, c := range cases() {
		if c.Needs != nil && !c.Needs(&f) {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			c.Run(t, newBucket(t, &f, c.Name))
		})
	}
}

// Bucket is what a case works with: the fixture, and a directory of the
// bucket that only this case uses. Its Put and Delete take names in that
// directory; the fixture's own take full keys (b.Fixture.Put).
type Bucket struct {
	*Fixture
	// Dir is the case's directory, Prefix+<case>/; every key a case puts
	// is under it.
	Dir string

	t       *testing.T
	mu      sync.Mutex // guards keys and uploads
	keys    []string   // every key put or written, for the cleanup
	uploads bool       // a multipart upload was started: abort what is left
}

func newBucket(t *testing.T, f *Fixture, name string) *Bucket {
	b := &Bucket{Fixture: f, Dir: f.Prefix + name + "/", t: t}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.uploads {
			b.abortAll()
		}
		for _, k := range b.keys {
			if err := f.Delete(k); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return b
}

// track adds key to what the cleanup deletes.
func (b *Bucket) track(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.keys = append(b.keys, key)
}

// Key is the full key of name in the case's directory.
func (b *Bucket) Key(name string) string { return b.Dir + name }

// Put stores data under the case's name out of band and returns its key.
func (b *Bucket) Put(name string, data []byte) string {
	b.t.Helper()
	key := b.Key(name)
	b.mu.Lock()
	b.keys = append(b.keys, key)
	b.mu.Unlock()
	if err := b.Fixture.Put(key, data); err != nil {
		b.t.Fatalf("put %q out of band: %v", key, err)
	}
	return key
}

// PutAll stores each name with its own name as content, and a "dir/"
// marker (a name ending in "/") empty, as the B2 web UI and S3 consoles
// create folders.
func (b *Bucket) PutAll(names ...string) {
	b.t.Helper()
	for _, n := range names {
		var data []byte
		if !strings.HasSuffix(n, "/") {
			data = []byte(n)
		}
		b.Put(n, data)
	}
}

// Delete removes the case's name out of band.
func (b *Bucket) Delete(name string) {
	b.t.Helper()
	if err := b.Fixture.Delete(b.Key(name)); err != nil {
		b.t.Fatalf("delete %q out of band: %v", b.Key(name), err)
	}
}

// quote shows a key with Go quoting, so control characters are visible.
func quote(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return "[" + strings.Join(q, " ") + "]"
}
