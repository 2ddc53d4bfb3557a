package s3backend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// CopyLimit is the largest object one CopyObject copies: 5 GB
// (5,000,000,000 bytes), B2's limit for a server-side copy (S3's is
// 5 GiB). A larger source is copied as a multipart upload of ranges
// (UploadPartCopy), each at most CopyLimit.
const CopyLimit = 5_000_000_000

// copyRate is the slowest server-side copy waited for: an attempt to copy
// n bytes may take RequestTimeout plus n/copyRate seconds to answer (4
// minutes more for 5 GB). Servers copy inside the data centre, without a
// byte on this client's link, but answer only when done.
const copyRate = 20 << 20

// copyParallel is how many ranges of one large copy are copied at once.
const copyParallel = 4

// Copy copies src server-side to dst, pinned to src.ETag (sent as
// x-amz-copy-source-if-match: another version fails with 412, a deleted
// one with 404, both ErrChanged), with one CopyObject up to CopyLimit
// bytes and a multipart upload of UploadPartCopy ranges, each pinned the
// same way, above (an empty src.ETag copies whatever is there).
//
// meta nil keeps the source's metadata. Otherwise meta replaces what
// b2mount stores (MTimeMetaKey), and the source's Content-Type and other
// user metadata stay: they are read with a HEAD pinned like the copy and
// sent with MetadataDirective REPLACE (B2 refuses a REPLACE without a
// Content-Type). A source this client wrote (Own) has no other metadata,
// so it needs no HEAD, and its copy, with or without meta, takes
// ContentTypeFor(dst) (a file written under rsync's temporary name gets
// its real name's type). Above
// CopyLimit the upload is given the metadata read the same way, with or
// without meta. So a copy costs one request (CopyObject) and, with meta
// (unless the source is Own) or above CopyLimit, one HEAD more.
//
// It returns the new object (ETag and version id from the server, MTime
// from meta or src) and the version id of the source version copied
// (x-amz-copy-source-version-id; "" when the server keeps no versions).
// Errors read `copy "<src>" to "<dst>": ...`.
func (c *Client) Copy(ctx context.Context, src Object, dst string, meta *Meta) (Object, string, error) {
	copyFn := c.copyObject
	if src.Size > c.copyLimit {
		copyFn = c.copyParts
	}
	o, ver, err := copyFn(ctx, src, dst, meta)
	if err != nil {
		return Object{}, "", fmt.Errorf("copy %q to %q: %w", src.Key, dst, err)
	}
	o.MTime = src.MTime
	if meta != nil {
		o.MTime = meta.stored().MTime
	}
	return o, ver, nil
}

// copySource is the x-amz-copy-source of key: bucket/key, URL-encoded
// (every byte but A-Z a-z 0-9 - _ . ~ and /).
func (c *Client) copySource(key string) *string {
	return aws.String(httpbinding.EscapePath(c.bucket+"/"+key, false))
}

// sourceGone turns a 404 of a pinned source into ErrChanged: the version
// asked for was deleted, as good as replaced.
func sourceGone(src Object, err error) error {
	if src.ETag != "" && errors.Is(err, ErrNotExist) {
		return fmt.Errorf("%w: the source was deleted (%v)", ErrChanged, err)
	}
	return err
}

// copySlack is how much longer than a plain request a copy of n bytes may take.
func copySlack(n int64) time.Duration { return time.Duration(n / copyRate * int64(time.Second)) }

func (c *Client) copyObject(ctx context.Context, src Object, dst string, meta *Meta) (Object, string, error) {
	in := &s3.CopyObjectInput{
		Bucket:     aws.String(c.bucket),
		Key:        aws.String(dst),
		CopySource: c.copySource(src.Key),
	}
	if src.ETag != "" {
		in.CopySourceIfMatch = aws.String(ifMatch(src.ETag))
	}
	if meta == nil && src.Own && ContentTypeFor(src.Key) != ContentTypeFor(dst) {
		// All the source holds is b2mount's: the same again, under the new
		// name's type, costs nothing more.
		meta = &Meta{MTime: src.MTime}
	}
	own := src.Own
	if meta != nil {
		m := sourceMeta{contentType: aws.String(ContentTypeFor(dst))}
		if !src.Own {
			var err error
			if m, err = c.sourceMeta(ctx, src); err != nil {
				return Object{}, "", err
			}
		}
		m = m.with(*meta)
		in.MetadataDirective = types.MetadataDirectiveReplace
		in.Metadata, in.ContentType = m.md, m.contentType
	}
	var out *s3.CopyObjectOutput
	err := c.call(ctx, "copy", dst, copySlack(src.Size), func(ctx context.Context) error {
		var err error
		out, err = c.s3.CopyObject(ctx, in)
		return err
	})
	if err != nil {
		return Object{}, "", sourceGone(src, err)
	}
	o := Object{Key: dst, Size: src.Size, ModTime: c.writtenAt(), VersionID: versionID(out.VersionId), Own: own}
	if r := out.CopyObjectResult; r != nil {
		o.ETag = aws.ToString(r.ETag)
		if r.LastModified != nil {
			o.ModTime = r.LastModified.Truncate(time.Second)
		}
	}
	return o, versionID(out.CopySourceVersionId), nil
}

// copyParts copies src as a multipart upload of ranges of at most
// copyPartSize, several at once, and aborts the upload if any fails.
func (c *Client) copyParts(ctx context.Context, src Object, dst string, meta *Meta) (o Object, ver string, err error) {
	m, err := c.sourceMeta(ctx, src)
	if err != nil {
		return Object{}, "", err
	}
	if meta != nil {
		m = m.with(*meta)
	}
	up, err := c.createUpload(ctx, dst, m)
	if err != nil {
		return Object{}, "", err
	}
	defer func() {
		if err != nil {
			_ = c.AbortUpload(context.WithoutCancel(ctx), up)
		}
	}()

	n := (src.Size + c.copyPartSize - 1) / c.copyPartSize
	per := (src.Size + n - 1) / n
	parts := make([]Part, n)
	vers := make([]string, n)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex // guards first
	var first error   // the first part that failed, or one that found the source changed
	next := make(chan int64)
	var wg sync.WaitGroup
	for range min(int64(copyParallel), n) {
		wg.Go(func() {
			for i := range next {
				start := i * per
				p, v, err := c.copyPart(pctx, src, up, int32(i+1), start, min(start+per, src.Size))
				if err != nil {
					mu.Lock()
					if first == nil || (errors.Is(err, ErrChanged) && !errors.Is(first, ErrChanged)) {
						first = err
					}
					mu.Unlock()
					cancel()
				}
				parts[i], vers[i] = p, v
			}
		})
	}
	for i := int64(0); i < n && pctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-pctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return Object{}, "", first
	}
	if err := ctx.Err(); err != nil {
		return Object{}, "", err
	}
	o, err = c.CompleteUpload(ctx, up, parts)
	return o, vers[0], err
}

// copyPart copies bytes start..end-1 of src as part n of up.
func (c *Client) copyPart(ctx context.Context, src Object, up Upload, n int32, start, end int64) (Part, string, error) {
	in := &s3.UploadPartCopyInput{
		Bucket:          aws.String(c.bucket),
		Key:             aws.String(up.Key),
		UploadId:        aws.String(up.ID),
		PartNumber:      aws.Int32(n),
		CopySource:      c.copySource(src.Key),
		CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", start, end-1)),
	}
	if src.ETag != "" {
		in.CopySourceIfMatch = aws.String(ifMatch(src.ETag))
	}
	var out *s3.UploadPartCopyOutput
	err := c.call(ctx, "copy part", up.Key, copySlack(end-start), func(ctx context.Context) error {
		var err error
		out, err = c.s3.UploadPartCopy(ctx, in)
		return err
	})
	if err != nil {
		return Part{}, "", fmt.Errorf("part %d: %w", n, sourceGone(src, err))
	}
	var etag string
	if out.CopyPartResult != nil {
		etag = aws.ToString(out.CopyPartResult.ETag)
	}
	return Part{N: n, ETag: etag, Size: end - start}, versionID(out.CopySourceVersionId), nil
}

// sourceMeta is an object's Content-Type and user metadata.
type sourceMeta struct {
	contentType *string
	md          map[string]string
}

// with is m with what b2mount stores replaced by meta.
func (m sourceMeta) with(meta Meta) sourceMeta {
	md := maps.Clone(m.md)
	if md == nil {
		md = make(map[string]string)
	}
	delete(md, MTimeMetaKey)
	maps.Copy(md, meta.headers())
	return sourceMeta{contentType: m.contentType, md: md}
}

// sourceMeta reads the metadata of src with a HEAD pinned to its ETag
// (If-Match, and the answer's ETag checked for servers that ignore it).
func (c *Client) sourceMeta(ctx context.Context, src Object) (sourceMeta, error) {
	var out *s3.HeadObjectOutput
	err := c.call(ctx, "head", src.Key, 0, func(ctx context.Context) error {
		in := &s3.HeadObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(src.Key)}
		if src.ETag != "" {
			in.IfMatch = aws.String(ifMatch(src.ETag))
		}
		var err error
		out, err = c.s3.HeadObject(ctx, in)
		return err
	})
	if err != nil {
		return sourceMeta{}, sourceGone(src, err)
	}
	if got := aws.ToString(out.ETag); src.ETag != "" && !SameETag(got, src.ETag) {
		return sourceMeta{}, fmt.Errorf("%w: the source's ETag is %s, not %s", ErrChanged, got, src.ETag)
	}
	return sourceMeta{contentType: out.ContentType, md: out.Metadata}, nil
}
