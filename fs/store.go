package fs

import (
	"context"
	"io"

	"github.com/b2mount/b2mount/s3backend"
)

// Store is all the file system needs from a bucket. s3backend.Client
// implements it; tests use fakes and decorators. Implementations must be
// safe for concurrent use and return wrapped errors with the s3backend
// sentinels (never errnos).
type Store interface {
	// ListPages lists the "directory" prefix (ending in "/", or "" for the
	// bucket root), ListObjectsV2 with delimiter "/", handing each page to
	// fn as it arrives, in key order; fn's error ends the listing.
	ListPages(ctx context.Context, prefix string, fn func(page s3backend.Listing) error) error
	// Stat returns one object's attributes (HEAD).
	Stat(ctx context.Context, key string) (s3backend.Object, error)
	// HasPrefix reports whether any key starts with prefix (LIST, max-keys 1).
	HasPrefix(ctx context.Context, prefix string) (bool, error)
	// OpenRange streams n bytes of key from off (n < 0: to the end), pinned
	// to etag when it is not empty; a different version fails with
	// s3backend.ErrChanged.
	OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error)
}

var _ Store = (*s3backend.Client)(nil)
