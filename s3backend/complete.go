package s3backend

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// CompleteUpload makes the parts, in order of N, the object up.Key. The
// Object returned carries the server's ETag and version id, the sum of
// the parts' sizes and the local clock as ModTime; for an upload that
// CreateUpload started, it is Own, with the MTime given there (else no
// MTime: a Stat reads it back). Errors read
// `complete upload of "<key>": ...`; an upload that is gone is ErrNotExist.
//
// A retried complete whose earlier attempt did succeed on the server (the
// answer was lost: a timeout, a cut connection, a 5xx from a proxy) finds
// the upload gone, NoSuchUpload. Then one HEAD of the key decides: the
// object there is this upload's when its version id is the upload id (B2
// names a large file's version by the id its upload started with) or
// when its size and ETag are what S3 computes for these parts (the MD5 of
// the parts' MD5s, "-" and the number of parts). Then the complete
// succeeded; otherwise the error stands. Trusting NoSuchUpload alone would
// report success for an upload that someone aborted.
func (c *Client) CompleteUpload(ctx context.Context, up Upload, parts []Part) (Object, error) {
	if len(parts) == 0 {
		return Object{}, fmt.Errorf("complete upload of %q: no parts", up.Key)
	}
	var size int64
	for _, p := range parts {
		size += p.Size
	}
	var out *s3.CompleteMultipartUploadOutput
	r := c.newRetrier("complete upload", up.Key)
	err := r.run(ctx, c.deadline(), timed(func(ctx context.Context) error {
		var err error
		out, err = c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket:          aws.String(c.bucket),
			Key:             aws.String(up.Key),
			UploadId:        aws.String(up.ID),
			MultipartUpload: completedParts(parts),
		})
		return err
	}))
	if err != nil && r.failures > 0 && apiCode(err) == "NoSuchUpload" {
		if o, ok := c.completedBefore(ctx, up, parts, size); ok {
			c.log.Debug("s3 complete was retried after it had succeeded", "key", up.Key)
			return o, nil
		}
	}
	if err != nil {
		return Object{}, fmt.Errorf("complete upload of %q: %w", up.Key, err)
	}
	o := Object{
		Key:       up.Key,
		Size:      size,
		ModTime:   c.writtenAt(),
		ETag:      aws.ToString(out.ETag),
		VersionID: versionID(out.VersionId),
	}
	if up.meta != nil {
		o.Own, o.MTime = true, up.meta.stored().MTime
	}
	return o, nil
}

// completedBefore reports whether the object at up.Key is the one up
// became, and describes it.
func (c *Client) completedBefore(ctx context.Context, up Upload, parts []Part, size int64) (Object, bool) {
	o, err := c.Stat(ctx, up.Key)
	if err != nil {
		return Object{}, false
	}
	etag := multipartETag(parts)
	if (o.VersionID != "" && o.VersionID == up.ID) || (etag != "" && SameETag(o.ETag, etag) && o.Size == size) {
		o.MTime = time.Time{} // as a complete answers
		return o, true
	}
	return Object{}, false
}

// multipartETag is the ETag S3 gives the object made of parts: the MD5
// of the parts' binary MD5s, "-" and their number, quoted; "" when a part's
// ETag is not an MD5.
func multipartETag(parts []Part) string {
	h := md5.New()
	for _, p := range completedParts(parts).Parts {
		sum, err := hex.DecodeString(trimETag(aws.ToString(p.ETag)))
		if err != nil || len(sum) != md5.Size {
			return ""
		}
		h.Write(sum)
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}
