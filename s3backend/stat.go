package s3backend

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Stat describes one object with a HEAD request (retried, RequestTimeout per
// attempt, OperationTimeout in all): size, ETag, LastModified, the version
// id and the MTime stored with it (MTimeMetaKey), if any. A missing key
// gives an error wrapping ErrNotExist; errors read `head "<key>": ...`.
// Safe for concurrent use.
func (c *Client) Stat(ctx context.Context, key string) (Object, error) {
	var out *s3.HeadObjectOutput
	err := c.call(ctx, "head", key, 0, func(ctx context.Context) error {
		var err error
		out, err = c.s3.HeadObject(ctx, &s3.HeadObjectInput{
			Bucket: aws.String(c.bucket),
			Key:    aws.String(key),
		})
		return err
	})
	if err != nil {
		return Object{}, fmt.Errorf("head %q: %w", key, err)
	}
	return Object{
		Key:       key,
		Size:      aws.ToInt64(out.ContentLength),
		ModTime:   aws.ToTime(out.LastModified).Truncate(time.Second),
		ETag:      aws.ToString(out.ETag),
		MTime:     metaOf(out.Metadata).MTime,
		VersionID: versionID(out.VersionId),
	}, nil
}

// versionID is a version id as the server sent it, "" for none. S3 names
// the version of an object stored while versioning was off "null".
func versionID(v *string) string {
	if id := aws.ToString(v); id != "null" {
		return id
	}
	return ""
}
