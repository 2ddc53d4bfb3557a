package s3backend

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Deletes go one key at a time, DeleteObject each: DeleteObjects (the
// batch call) carries a Content-MD5 or checksum header the SDK always
// adds, which B2 refuses.

// Delete removes key with one DeleteObject. versionID "" deletes the
// current version the S3 way: B2 hides the file (its older versions stay,
// and are billed), a versioned S3 bucket adds a delete marker, another
// bucket removes it. Otherwise that one version is deleted for good. A key
// or version that is already gone is no error. Errors read
// `delete "<key>": ...`.
func (c *Client) Delete(ctx context.Context, key, versionID string) error {
	if err := c.deleteVersion(ctx, key, versionID); err != nil && !errors.Is(err, ErrNotExist) {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return nil
}

func (c *Client) deleteVersion(ctx context.Context, key, id string) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)}
	if id != "" {
		in.VersionId = aws.String(id)
	}
	return c.call(ctx, "delete", key, 0, func(ctx context.Context) error {
		_, err := c.s3.DeleteObject(ctx, in)
		return err
	})
}

// DeleteAllVersions deletes every version of key for good, and its delete
// markers (B2: hide markers): ListObjectVersions of the key, then one
// DeleteObject by version id each, the oldest version first and the
// markers last, so that no older version ever becomes the current one
// while a newer one is still there. A server that keeps no versions (it
// lists only "null" ids, or does not implement the listing) gets one
// plain DeleteObject. Errors read `delete versions of "<key>": ...`.
func (c *Client) DeleteAllVersions(ctx context.Context, key string) error {
	ids, err := c.versionsOf(ctx, key)
	if apiCode(err) == "NotImplemented" {
		return c.Delete(ctx, key, "")
	}
	if err != nil {
		return fmt.Errorf("delete versions of %q: %w", key, err)
	}
	for _, id := range ids {
		if err := c.deleteVersion(ctx, key, id); err != nil && !errors.Is(err, ErrNotExist) {
			return fmt.Errorf("delete versions of %q: version %q: %w", key, id, err)
		}
	}
	return nil
}

// versionsOf lists the version ids of exactly key, in the order to delete
// them: versions oldest first, then delete markers; "" for a version that
// has no id. Other keys that start with key (key+"/x", key+".bak") sort
// after key, so the listing stops at the first of them.
func (c *Client) versionsOf(ctx context.Context, key string) ([]string, error) {
	var versions, markers []string
	var keyMarker, idMarker *string
	for {
		var page *s3.ListObjectVersionsOutput
		err := c.call(ctx, "list versions", key, 0, func(ctx context.Context) error {
			var err error
			page, err = c.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{
				Bucket:          aws.String(c.bucket),
				Prefix:          aws.String(key),
				KeyMarker:       keyMarker,
				VersionIdMarker: idMarker,
				EncodingType:    listEncoding,
			})
			return err
		})
		if err == nil {
			err = decodeVersions(page)
		}
		if err != nil {
			return nil, err
		}
		others := false // a key after this one: every version of key is listed
		for _, v := range page.Versions {
			if aws.ToString(v.Key) != key {
				others = true
				continue
			}
			versions = append(versions, versionID(v.VersionId))
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) != key {
				others = true
				continue
			}
			markers = append(markers, versionID(m.VersionId))
		}
		if others || !aws.ToBool(page.IsTruncated) {
			slices.Reverse(versions) // the listing has the newest first
			return slices.Concat(versions, markers), nil
		}
		nextKey, nextID := aws.ToString(page.NextKeyMarker), aws.ToString(page.NextVersionIdMarker)
		if nextKey == aws.ToString(keyMarker) && nextID == aws.ToString(idMarker) {
			return nil, fmt.Errorf("server repeated the marker %q/%q", nextKey, nextID)
		}
		keyMarker, idMarker = aws.String(nextKey), aws.String(nextID)
	}
}

// decodeVersions undoes encoding-type=url in a versions listing, as
// decodeListing does for objects.
func decodeVersions(page *s3.ListObjectVersionsOutput) error {
	if page.EncodingType != listEncoding {
		return nil
	}
	if err := decodeKey(page.NextKeyMarker); err != nil {
		return err
	}
	for i := range page.Versions {
		if err := decodeKey(page.Versions[i].Key); err != nil {
			return err
		}
	}
	for i := range page.DeleteMarkers {
		if err := decodeKey(page.DeleteMarkers[i].Key); err != nil {
			return err
		}
	}
	return nil
}
