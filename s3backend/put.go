package s3backend

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MaxPutSize is the most one PutObject may carry: 5 GiB on B2 and S3.
// Larger objects go up as multipart uploads.
const MaxPutSize = 5 << 30

// Put stores size bytes of body as key with one PutObject, with meta as
// its user metadata and ContentTypeFor(key) as its Content-Type, replacing any object there (on B2 the older one stays
// as an older version). body is read from its start again on each retry
// (see send for the time limits). No checksum header, Content-MD5 or
// condition is sent: B2 refuses the first and the conditions, and the
// payload travels as UNSIGNED-PAYLOAD over HTTPS (TLS guards it; the SDK
// signs its SHA-256 only over plain HTTP).
//
// The Object returned is what a HEAD would say, without asking: the
// server's ETag and version id, size, meta.MTime in whole milliseconds,
// and the local clock as ModTime; it is Own. Errors read `put "<key>": ...`. Safe for
// concurrent use.
func (c *Client) Put(ctx context.Context, key string, body io.ReaderAt, size int64, meta Meta) (Object, error) {
	if size < 0 || size > MaxPutSize {
		return Object{}, fmt.Errorf("put %q: size %d is not within 0..%d", key, size, int64(MaxPutSize))
	}
	var out *s3.PutObjectOutput
	err := c.send(ctx, "put", key, body, size, func(ctx context.Context, body io.ReadSeeker) error {
		var err error
		out, err = c.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(c.bucket),
			Key:           aws.String(key),
			Body:          body,
			ContentLength: aws.Int64(size),
			ContentType:   aws.String(ContentTypeFor(key)),
			Metadata:      meta.headers(),
		})
		return err
	})
	if err != nil {
		return Object{}, fmt.Errorf("put %q: %w", key, err)
	}
	return Object{
		Key:       key,
		Size:      size,
		ModTime:   c.writtenAt(),
		ETag:      aws.ToString(out.ETag),
		MTime:     meta.stored().MTime,
		VersionID: versionID(out.VersionId),
		Own:       true,
	}, nil
}
