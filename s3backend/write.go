package s3backend

import "time"

// MTimeMetaKey is the user metadata key (x-amz-meta-...) under which an
// object's modification time is stored: B2's own name for a file's
// "source last modified" time, in milliseconds since the Unix epoch, which
// B2's web UI and its other tools show as the file's modification time.
const MTimeMetaKey = "src_last_modified_millis"

// Meta is what b2mount stores with an object it writes.
type Meta struct {
	// MTime, when not zero, is stored as MTimeMetaKey (whole
	// milliseconds).
	MTime time.Time
}

// Upload is a multipart upload in progress.
type Upload struct {
	Key string
	ID  string
	// Initiated is when the server started it (ListUploads); zero when
	// unknown.
	Initiated time.Time
}

// Part is one uploaded part of an Upload.
type Part struct {
	N    int32 // 1..10,000
	ETag string
	Size int64
}
