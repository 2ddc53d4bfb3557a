package s3backend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
		page, err := c.listPage(ctx, prefix, token, c.listPageSize)
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
		for _, o := range page.Contents {
			out.Objects = append(out.Objects, Object{
				Key:     aws.ToString(o.Key),
				Size:    aws.ToInt64(o.Size),
				ModTime: aws.ToTime(o.LastModified).Truncate(time.Second), // HEAD has whole seconds only
				ETag:    aws.ToString(o.ETag),
			})
		}
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

// listPage fetches one page (maxKeys 0: server default) with retries,
// one level deep (delimiter "/"), with its keys decoded (keyencoding.go).
func (c *Client) listPage(ctx context.Context, prefix string, token *string, maxKeys int32) (*s3.ListObjectsV2Output, error) {
	return c.listPageDelim(ctx, prefix, delimiter, token, maxKeys)
}

// listPageDelim is listPage with any delimiter; "" lists every key under
// prefix, however deep.
func (c *Client) listPageDelim(ctx context.Context, prefix, delim string, token *string, maxKeys int32) (*s3.ListObjectsV2Output, error) {
	in := &s3.ListObjectsV2Input{
		Bucket:            aws.String(c.bucket),
		Prefix:            aws.String(prefix),
		ContinuationToken: token,
		EncodingType:      listEncoding,
	}
	if delim != "" {
		in.Delimiter = aws.String(delim)
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
	page, err := c.listPage(ctx, prefix, nil, 1)
	if err != nil {
		return false, fmt.Errorf("probe %q: %w", prefix, err)
	}
	return len(page.Contents) > 0 || len(page.CommonPrefixes) > 0, nil
}
