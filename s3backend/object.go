// Package s3backend is b2mount's only door to the network: an S3 client for
// Backblaze B2's S3-compatible API (and any other S3 server), built on
// aws-sdk-go-v2 and configured the way B2 needs it. It reads (list, HEAD,
// ranged GET) and writes (PUT, multipart uploads, server-side copies,
// deletes), keeping to B2's rules: no checksum header, no conditional
// write, one DeleteObject per key.
//
// It speaks in plain value types (Object, Listing) and wrapped Go errors with
// sentinels (ErrNotExist, ErrAccessDenied, ErrChanged, ErrThrottled, ...). It
// knows nothing about FUSE: mapping errors to errnos is the file system's job.
//
// All methods are safe for concurrent use.
package s3backend

import "time"

// Object is what a listing or a HEAD says about one object.
type Object struct {
	Key     string    // full key, including any mount prefix
	Size    int64     // bytes
	ModTime time.Time // LastModified, in whole seconds (listings have milliseconds, HEAD only seconds; one object must not seem to change between the two)
	ETag    string    // as the server sent it, quotes included; "" if unknown
	// MTime is the modification time the writer stored with the object
	// (B2's src_last_modified_millis, see Meta). Only a HEAD returns it;
	// listings never do. Zero when unknown.
	MTime time.Time
	// VersionID is the version a write created (PUT, Complete, Copy) or a
	// HEAD described; "" when unknown or when the server keeps no
	// versions.
	VersionID string
	// Own is set on a version this client wrote with b2mount's metadata
	// alone, Content-Type ContentTypeFor(Key) and Meta{MTime}: a Copy
	// that replaces its metadata then knows the source's without a HEAD.
	// Listings and HEADs never set it.
	Own bool
}

// Listing is one "directory" of a bucket: the result of ListObjectsV2 with
// delimiter "/" over every page, or one page of it (ListPage).
type Listing struct {
	// Prefixes are the common prefixes, each the full key prefix ending in "/".
	Prefixes []string
	// Objects are the keys directly under the prefix, in the server's order.
	// A "dir/" marker object for the listed prefix itself is included as is;
	// the caller decides what it means.
	Objects []Object
	// Truncated, on a page from ListPage, says that more of the prefix
	// follows the page: the next page starts after its greatest key or
	// common prefix. False on a page that reaches the end of the prefix,
	// and on a whole listing.
	Truncated bool
}
