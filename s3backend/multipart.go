package s3backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Multipart uploads. B2 and S3 take parts of 5 MB (5 MiB on some servers)
// to 5 GB, every one but the last at least that large, numbered 1 to
// 10,000; the caller chooses the sizes. An unfinished upload is billed by
// B2 as storage until it is completed or aborted.

// CreateUpload starts a multipart upload of key with meta as the object's
// user metadata and ContentTypeFor(key) as its Content-Type. Errors read
// `create upload "<key>": ...`.
func (c *Client) CreateUpload(ctx context.Context, key string, meta Meta) (Upload, error) {
	up, err := c.createUpload(ctx, key, sourceMeta{contentType: aws.String(ContentTypeFor(key)), md: meta.headers()})
	if err != nil {
		return Upload{}, fmt.Errorf("create upload %q: %w", key, err)
	}
	up.meta = &meta
	return up, nil
}

// createUpload starts an upload of key with the given metadata.
func (c *Client) createUpload(ctx context.Context, key string, m sourceMeta) (Upload, error) {
	var out *s3.CreateMultipartUploadOutput
	err := c.call(ctx, "create upload", key, 0, func(ctx context.Context) error {
		var err error
		out, err = c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket:      aws.String(c.bucket),
			Key:         aws.String(key),
			Metadata:    m.md,
			ContentType: m.contentType,
		})
		return err
	})
	if err != nil {
		return Upload{}, err
	}
	if aws.ToString(out.UploadId) == "" {
		return Upload{}, errors.New("the server sent no upload id")
	}
	return Upload{Key: key, ID: aws.ToString(out.UploadId), Initiated: c.now()}, nil
}

// UploadPart uploads part n (1..10,000) of up: size bytes of body, read
// from its start again on each retry (see send for the time limits).
// Errors read `upload part <n> of "<key>": ...`; an upload that is gone
// is ErrNotExist.
func (c *Client) UploadPart(ctx context.Context, up Upload, n int32, body io.ReaderAt, size int64) (Part, error) {
	if n < 1 || n > maxParts {
		return Part{}, fmt.Errorf("upload part %d of %q: part number not within 1..%d", n, up.Key, maxParts)
	}
	var out *s3.UploadPartOutput
	err := c.send(ctx, "upload part", up.Key, body, size, func(ctx context.Context, body io.ReadSeeker) error {
		var err error
		out, err = c.s3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(c.bucket),
			Key:           aws.String(up.Key),
			UploadId:      aws.String(up.ID),
			PartNumber:    aws.Int32(n),
			Body:          body,
			ContentLength: aws.Int64(size),
		})
		return err
	})
	if err != nil {
		return Part{}, fmt.Errorf("upload part %d of %q: %w", n, up.Key, err)
	}
	return Part{N: n, ETag: aws.ToString(out.ETag), Size: size}, nil
}

// maxParts is the most parts one upload may have.
const maxParts = 10_000

// AbortUpload drops an unfinished upload and its parts. An upload that is
// already gone (NoSuchUpload: aborted, completed, or never there) is no
// error. Errors read `abort upload of "<key>": ...`.
func (c *Client) AbortUpload(ctx context.Context, up Upload) error {
	err := c.call(ctx, "abort upload", up.Key, 0, func(ctx context.Context) error {
		_, err := c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket:   aws.String(c.bucket),
			Key:      aws.String(up.Key),
			UploadId: aws.String(up.ID),
		})
		return err
	})
	if err != nil && !errors.Is(err, ErrNotExist) {
		return fmt.Errorf("abort upload of %q: %w", up.Key, err)
	}
	return nil
}

// ListUploads lists the unfinished multipart uploads of keys under prefix,
// in the server's order (by key, then by start), following every page;
// each page is one operation with its own retries. Errors read
// `list uploads "<prefix>": ...`.
func (c *Client) ListUploads(ctx context.Context, prefix string) ([]Upload, error) {
	var ups []Upload
	var keyMarker, idMarker *string
	for {
		var out *s3.ListMultipartUploadsOutput
		err := c.call(ctx, "list uploads", prefix, 0, func(ctx context.Context) error {
			var err error
			out, err = c.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{
				Bucket:         aws.String(c.bucket),
				Prefix:         aws.String(prefix),
				KeyMarker:      keyMarker,
				UploadIdMarker: idMarker,
				EncodingType:   listEncoding,
			})
			return err
		})
		if apiCode(err) == "NoSuchUpload" {
			// gofakes3's answer for a bucket that never had an upload:
			// a listing cannot mean anything else by it.
			return ups, nil
		}
		if err == nil {
			err = decodeUploads(out)
		}
		if err != nil {
			return nil, fmt.Errorf("list uploads %q: %w", prefix, err)
		}
		for _, u := range out.Uploads {
			ups = append(ups, Upload{Key: aws.ToString(u.Key), ID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return ups, nil
		}
		nextKey, nextID := aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)
		if nextKey == "" || (nextKey == aws.ToString(keyMarker) && nextID == aws.ToString(idMarker)) {
			return nil, fmt.Errorf("list uploads %q: server repeated the marker %q/%q", prefix, nextKey, nextID)
		}
		keyMarker, idMarker = aws.String(nextKey), aws.String(nextID)
	}
}

// decodeUploads undoes encoding-type=url in an uploads listing, as
// decodeListing does for objects: the keys and the key marker.
func decodeUploads(out *s3.ListMultipartUploadsOutput) error {
	if out.EncodingType != listEncoding {
		return nil
	}
	if err := decodeKey(out.NextKeyMarker); err != nil {
		return err
	}
	for i := range out.Uploads {
		if err := decodeKey(out.Uploads[i].Key); err != nil {
			return err
		}
	}
	return nil
}

// completedParts is parts as CompleteMultipartUpload wants them: in order
// of N.
func completedParts(parts []Part) *types.CompletedMultipartUpload {
	sorted := slices.SortedFunc(slices.Values(parts), func(a, b Part) int { return int(a.N) - int(b.N) })
	out := &types.CompletedMultipartUpload{}
	for _, p := range sorted {
		out.Parts = append(out.Parts, types.CompletedPart{PartNumber: aws.Int32(p.N), ETag: aws.String(p.ETag)})
	}
	return out
}
