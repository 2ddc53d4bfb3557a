package fs

import (
	"context"
	"io"

	"github.com/b2mount/b2mount/s3backend"
)

// Store is all the file system needs from a bucket. s3backend.Client
// implements it, internal/memstore is the in-memory fake, and tests add
// decorators. The contract below is checked for each of them by one
// conformance suite (internal/storetest); a new method or rule is added
// there first.
//
// Implementations must be safe for concurrent use and return wrapped
// errors with the s3backend sentinels, never errnos: ErrNotExist for a
// key that is not there, ErrAccessDenied for one the credentials may not
// touch, ErrChanged for a pinned read of a version that is gone.
type Store interface {
	// ListPages lists the "directory" prefix (ending in "/", or "" for the
	// bucket root), ListObjectsV2 with delimiter "/", handing each page to
	// fn as it arrives; fn's error ends the listing. Across all pages the
	// keys and common prefixes come in key order (UTF-8 bytes), each once.
	// Keys are exactly as stored, whatever characters they hold (the
	// client undoes encoding-type=url). A "dir/" marker object of the
	// listed prefix itself is listed as an object; in its parent it is a
	// common prefix. A prefix with nothing under it lists empty, without
	// error.
	ListPages(ctx context.Context, prefix string, fn func(page s3backend.Listing) error) error
	// ListPage lists one page of the same listing as ListPages, starting
	// after the key startAfter ("" from the start; it must be valid
	// UTF-8): the keys and common prefixes greater than startAfter, in key
	// order, at most maxKeys of them (0: the page size ListPages uses),
	// with Truncated set when more follow (the rest starts after the
	// page's greatest key or common prefix). A common prefix is not
	// listed when it is startAfter: a walk that starts each page after the
	// last entry of the one before passes a folder whole. A startAfter
	// inside a folder of prefix ("dir/x") is not specified (servers
	// differ). One request (ListObjectsV2 with StartAfter); the file system
	// looks names up with it (see the package doc).
	ListPage(ctx context.Context, prefix, startAfter string, maxKeys int) (s3backend.Listing, error)
	// Stat returns one object's attributes (HEAD); a missing key is
	// s3backend.ErrNotExist.
	Stat(ctx context.Context, key string) (s3backend.Object, error)
	// HasPrefix reports whether any key starts with prefix (LIST, max-keys
	// 1); a "dir/" marker alone counts.
	HasPrefix(ctx context.Context, prefix string) (bool, error)
	// OpenRange streams n bytes of key from off (n < 0: to the end; n past
	// the end: what there is). off at or after the end is no error: the
	// reader returns io.EOF at once.
	//
	// A non-empty etag pins the read to that version. ETags compare
	// without their quotes (s3backend.SameETag): "abc" and `"abc"` are one
	// version. When the object was replaced, or deleted, since the etag
	// was seen, OpenRange (or a later Read) fails with s3backend.ErrChanged
	// and never with ErrNotExist: an open file has no path to be missing,
	// and the file system answers EIO, as for any version that is gone.
	// With etag "" a missing key is s3backend.ErrNotExist.
	OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error)
}

var _ Store = (*s3backend.Client)(nil)

// WriteStore is what a read-write mount needs from a bucket: Store and the
// calls that change it. Every call keeps to B2's rules (the file system
// makes sure of the sizes; the implementation sends no checksum header and
// no conditional write, both of which B2 refuses). Like Store, its
// contract is checked for every implementation by internal/storetest.
//
// A write answers the Object a HEAD would describe, without a HEAD: the
// server's ETag and version id ("" where the server keeps no versions),
// the size, the MTime as stored (whole milliseconds) and the local clock,
// in whole seconds, as ModTime. Each write is one request (two or more for
// multipart), retried with its body read again from its start.
type WriteStore interface {
	Store
	// Put stores size bytes of body as key with one PutObject (size at
	// most 5 GiB), with meta, replacing any object there. body is read
	// again from its start on each retry.
	Put(ctx context.Context, key string, body io.ReaderAt, size int64, meta s3backend.Meta) (s3backend.Object, error)
	// CreateUpload starts a multipart upload of key, with meta for the
	// object it will make.
	CreateUpload(ctx context.Context, key string, meta s3backend.Meta) (s3backend.Upload, error)
	// UploadPart uploads part n (1..10,000) of up: size bytes of body,
	// read again from its start on each retry. Every part but the last
	// must hold at least 5 MB (B2 and S3 refuse the complete otherwise;
	// some servers want 5 MiB). An upload that is gone is ErrNotExist.
	UploadPart(ctx context.Context, up s3backend.Upload, n int32, body io.ReaderAt, size int64) (s3backend.Part, error)
	// CompleteUpload makes the parts, in order of N (whatever their order
	// in parts), the object. Its Object carries no MTime: the meta went
	// with CreateUpload, and a Stat reads it back. An upload that is gone
	// is ErrNotExist, unless it is gone because an earlier attempt of this
	// call completed it (the answer lost on the way): then it succeeds.
	CompleteUpload(ctx context.Context, up s3backend.Upload, parts []s3backend.Part) (s3backend.Object, error)
	// AbortUpload drops an unfinished upload and its parts (B2 bills the
	// parts until then). An upload that is already gone is no error.
	AbortUpload(ctx context.Context, up s3backend.Upload) error
	// ListUploads lists the unfinished uploads of keys under prefix, with
	// their start times, over all pages; none is no error.
	ListUploads(ctx context.Context, prefix string) ([]s3backend.Upload, error)
	// Copy copies src server-side to dst, pinned to src.ETag (another
	// version, or none, fails with s3backend.ErrChanged, and nothing is
	// written): CopyObject up to 5 GB (B2's limit), a multipart upload of
	// copied ranges above. meta nil keeps the source's metadata; otherwise
	// meta replaces what b2mount stores (the MTime; a zero one removes
	// it), and the source's Content-Type and other metadata stay. It
	// returns the new object (MTime from meta, or src.MTime when meta is
	// nil) and the version id of the source version it copied ("" when
	// the server keeps no versions).
	Copy(ctx context.Context, src s3backend.Object, dst string, meta *s3backend.Meta) (s3backend.Object, string, error)
	// Delete removes key. versionID "" hides it (on B2 the older versions
	// stay, and are billed); otherwise it deletes that one version for
	// good. Deleting the current version by its id makes the version
	// before it current again (B2 and versioned S3 alike): the key reads
	// as that older version, unless it was hidden. A key or version that
	// is already gone is no error.
	Delete(ctx context.Context, key, versionID string) error
	// DeleteAllVersions deletes every version of exactly key for good,
	// hide (delete) markers too, and nothing of the keys that merely start
	// with it. Older versions go first, so no older content becomes
	// current on the way. A key that is not there is no error.
	DeleteAllVersions(ctx context.Context, key string) error
}

var _ WriteStore = (*s3backend.Client)(nil)
