package s3backend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// delimiter makes listings one directory deep.
const delimiter = "/"

// List returns everything directly under prefix (which should be "" or end
// in "/"): ListObjectsV2 with delimiter "/", following every continuation
// token. Each page is one operation, with its own retries and deadline.
// Nothing is skipped: marker objects and odd names are the caller's business.
// Objects stay in server order; a common prefix repeated across a page
// boundary (some servers do that) is kept once. Errors are
// `list "<prefix>": ...` wrapping a sentinel where understood.
// Safe for concurrent use.
func (c *Client) List(ctx context.Context, prefix string) (Listing, error) {
	var out Listing
	err := c.ListPages(ctx, prefix, func(page Listing) error {
		out.Prefixes = append(out.Prefixes, page.Prefixes...)
		out.Objects = append(out.Objects, page.Objects...)
		return nil
	})
	if err != nil {
		return Listing{}, err
	}
	return out, nil
}

// ListPages is List one page at a time: fn gets each page as it arrives,
// in server order (UTF-8 binary order of the keys; a page's common prefixes
// and objects all sort after every earlier page's), and its error ends the
// listing and is returned as it is. A common prefix repeated across a page
// boundary is given to fn once.
func (c *Client) ListPages(ctx context.Context, prefix string, fn func(page Listing) error) error {
	seen := make(map[string]bool)
	var token *string
	for {
		page, err := c.listPage(ctx, prefix, "", token, c.listPageSize)
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		var out Listing
		for _, cp := range page.CommonPrefixes {
			p := aws.ToString(cp.Prefix)
			if !seen[p] {
				seen[p] = true
				out.Prefixes = append(out.Prefixes, p)
			}
		}
		out.Objects = listedObjects(page.Contents)
		if err := fn(out); err != nil {
			return err
		}
		next := aws.ToString(page.NextContinuationToken)
		if !aws.ToBool(page.IsTruncated) || next == "" {
			return nil
		}
		if token != nil && *token == next {
			return fmt.Errorf("list %q: server repeated continuation token %q", prefix, next)
		}
		token = aws.String(next)
	}
}

// ListPage lists one page of the "directory" prefix (delimiter "/"): the
// keys and common prefixes after startAfter ("" from the start), in key
// order, at most maxKeys of them (0: the server's default, 1,000), with
// Truncated set when more follow. startAfter must be valid UTF-8 (S3 and
// B2 refuse anything else); it is sent as the key itself (the SDK escapes
// it in the query), and the keys that come back are decoded
// (encoding-type=url). One request, with its retries; errors are
// `list "<prefix>" after "<startAfter>": ...`. Safe for concurrent use.
func (c *Client) ListPage(ctx context.Context, prefix, startAfter string, maxKeys int) (Listing, error) {
	size := c.listPageSize
	if maxKeys > 0 {
		size = int32(min(maxKeys, 1000))
	}
	page, err := c.listPage(ctx, prefix, startAfter, nil, size)
	if err != nil {
		return Listing{}, fmt.Errorf("list %q after %q: %w", prefix, startAfter, err)
	}
	var out Listing
	for _, cp := range page.CommonPrefixes {
		out.Prefixes = append(out.Prefixes, aws.ToString(cp.Prefix))
	}
	out.Objects = listedObjects(page.Contents)
	out.Truncated = aws.ToBool(page.IsTruncated)
	return out, nil
}

// listPage fetches one page (maxKeys 0: server default) with retries,
// one level deep (delimiter "/"), with its keys decoded (keyencoding.go).
// startAfter is only for a first page (no token).
func (c *Client) listPage(ctx context.Context, prefix, startAfter string, token *string, maxKeys int32) (*s3.ListObjectsV2Output, error) {
	return c.listPageDelim(ctx, prefix, delimiter, startAfter, token, maxKeys)
}

// listPageDelim is listPage with any delimiter; "" lists every key under
// prefix, however deep.
func (c *Client) listPageDelim(ctx context.Context, prefix, delim, startAfter string, token *string, maxKeys int32) (*s3.ListObjectsV2Output, error) {
	in := &s3.ListObjectsV2Input{
		Bucket:            aws.String(c.bucket),
		Prefix:            aws.String(prefix),
		ContinuationToken: token,
		EncodingType:      listEncoding,
	}
	if delim != "" {
		in.Delimiter = aws.String(delim)
	}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	if maxKeys > 0 {
		in.MaxKeys = aws.Int32(maxKeys)
	}
	var page *s3.ListObjectsV2Output
	err := c.newRetrier("list", prefix).run(ctx, c.deadline(), timed(func(ctx context.Context) error {
		var err error
		page, err = c.s3.ListObjectsV2(ctx, in)
		return err
	}))
	if err != nil {
		return nil, err
	}
	if page == nil {
		return nil, errors.New("empty response")
	}
	if err := decodeListing(page); err != nil {
		return nil, err
	}
	return page, nil
}

// HasPrefix reports whether any key starts with prefix: one ListObjectsV2
// with MaxKeys 1 (retried like any request, OperationTimeout in all). A "dir/" marker alone counts.
// Errors are `probe "<prefix>": ...`. Safe for concurrent use.
func (c *Client) HasPrefix(ctx context.Context, prefix string) (bool, error) {
	page, err := c.listPage(ctx, prefix, "", nil, 1)
	if err != nil {
		return false, fmt.Errorf("probe %q: %w", prefix, err)
	}
	return len(page.Contents) > 0 || len(page.CommonPrefixes) > 0, nil
}

// listedObjects are the objects of one listing page.
func listedObjects(contents []types.Object) []Object {
	var out []Object
	for _, o := range contents {
		out = append(out, Object{
			Key:     aws.ToString(o.Key),
			Size:    aws.ToInt64(o.Size),
			ModTime: aws.ToTime(o.LastModified).Truncate(time.Second), // HEAD has whole seconds only
			ETag:    aws.ToString(o.ETag),
		})
	}
	return out
}
