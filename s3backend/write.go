package s3backend

import (
	"mime"
	"path"
	"strconv"
	"time"
)

// MTimeMetaKey is the user metadata key (x-amz-meta-...) under which an
// object's modification time is stored: B2's own name for a file's
// "source last modified" time, in milliseconds since the Unix epoch, which
// B2's web UI and its other tools show as the file's modification time.
const MTimeMetaKey = "src_last_modified_millis"

// ContentTypeFor is the Content-Type b2mount writes key with: the type of
// its extension (Go's table, and the system's mime.types), else
// application/octet-stream. Without one, a server picks its own default,
// which B2 and S3 serve to browsers and CDNs as a download.
func ContentTypeFor(key string) string {
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Meta is what b2mount stores with an object it writes.
type Meta struct {
	// MTime, when not zero, is stored as MTimeMetaKey (whole
	// milliseconds, rounded down).
	MTime time.Time
}

// Upload is a multipart upload in progress.
type Upload struct {
	Key string
	ID  string
	// Initiated is when it started: the server's time in ListUploads, the
	// local clock in CreateUpload's answer.
	Initiated time.Time
	// meta is what CreateUpload gave it, which then is all the object
	// holds (Object.Own); nil for an upload ListUploads found or a
	// copy's.
	meta *Meta
}

// Part is one uploaded part of an Upload.
type Part struct {
	N    int32 // 1..10,000
	ETag string
	Size int64
}

// headers is m as the user metadata of a request (x-amz-meta-*); nil when
// there is none.
func (m Meta) headers() map[string]string {
	if m.MTime.IsZero() {
		return nil
	}
	return map[string]string{MTimeMetaKey: strconv.FormatInt(m.MTime.UnixMilli(), 10)}
}

// stored is m as a HEAD will read it back: MTime in whole milliseconds.
func (m Meta) stored() Meta {
	if m.MTime.IsZero() {
		return m
	}
	return Meta{MTime: time.UnixMilli(m.MTime.UnixMilli())}
}

// metaOf reads Meta back from an object's user metadata (keys in lower
// case, as the SDK gives them). A value that is not a whole number of
// milliseconds is ignored: another tool wrote it.
func metaOf(md map[string]string) Meta {
	ms, err := strconv.ParseInt(md[MTimeMetaKey], 10, 64)
	if err != nil {
		return Meta{}
	}
	return Meta{MTime: time.UnixMilli(ms)}
}

// writtenAt is the ModTime of an object this client just wrote: the
// answers to PUT and CompleteMultipartUpload carry no Last-Modified, and
// a HEAD after each write would cost a request, so it is the local clock,
// in whole seconds like every other ModTime.
func (c *Client) writtenAt() time.Time { return c.now().Truncate(time.Second) }
