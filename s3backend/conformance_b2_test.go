package s3backend_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/storetest"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// b2Op bounds each out-of-band request to B2.
const b2Op = time.Minute

// The client keeps the Store contract on B2 itself. It runs only when the
// environment names a bucket and a key that may read and write it:
//
//	B2_TEST_ENDPOINT         e.g. https://s3.us-west-004.backblazeb2.com
//	B2_TEST_BUCKET           a bucket the run may write to
//	B2_TEST_KEY_ID           application key id (listFiles, readFiles,
//	B2_TEST_APPLICATION_KEY  writeFiles, deleteFiles on the bucket)
//	B2_TEST_REGION           optional; else taken from the endpoint
//
// and, for the denied-key case, a second key with no rights there:
//
//	B2_TEST_DENIED_KEY_ID, B2_TEST_DENIED_APPLICATION_KEY
//
// The run works under a prefix of its own, b2mount-storetest-<random>/,
// and deletes every version of every key under it when it ends.
func TestStoreConformanceB2(t *testing.T) {
	env := func(name string) string { return os.Getenv("B2_TEST_" + name) }
	endpoint, bucket, keyID, key := env("ENDPOINT"), env("BUCKET"), env("KEY_ID"), env("APPLICATION_KEY")
	if endpoint == "" || bucket == "" || keyID == "" || key == "" {
		t.Skip("B2 not configured: set B2_TEST_ENDPOINT, B2_TEST_BUCKET, B2_TEST_KEY_ID and B2_TEST_APPLICATION_KEY")
	}
	f := sdkFixture(t, endpoint, env("REGION"), bucket, keyID, key)
	// B2 keeps versions, refuses forbidden names even out of band; its
	// other departures are unknown until it runs.
	f.Quirks = storetest.Quirks{B2NameRules: true, NoForbiddenKeys: true}
	if id, secret := env("DENIED_KEY_ID"), env("DENIED_APPLICATION_KEY"); id != "" && secret != "" {
		f.Deny = func(t *testing.T, _ string) fs.Store {
			return newStoreClient(t, endpoint, env("REGION"), bucket, id, secret)
		}
	}
	storetest.Run(t, f)
}

// sdkFixture is a fixture of a shared bucket: the client under test, a
// run prefix of its own, and puts and deletes through the SDK with the
// client's own settings. Every version under the prefix is deleted when
// the test ends.
func sdkFixture(t *testing.T, endpoint, region, bucket, keyID, key string) storetest.Fixture {
	t.Helper()
	c := newStoreClient(t, endpoint, region, bucket, keyID, key)
	sdk := s3backend.SDK(c)
	prefix := randomName(t, "b2mount-storetest-") + "/"
	t.Cleanup(func() { purgeB2(t, sdk, bucket, prefix) })
	return storetest.Fixture{
		Store:  c,
		Prefix: prefix,
		Put: func(k string, data []byte) error {
			ctx, cancel := context.WithTimeout(context.Background(), b2Op)
			defer cancel()
			_, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
				Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
			return err
		},
		Delete: func(k string) error {
			ctx, cancel := context.WithTimeout(context.Background(), b2Op)
			defer cancel()
			_, err := sdk.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			return err
		},
		Versions: func(k string) (int, error) { return countVersions(sdk, bucket, k) },
		PageSize: conformancePageSize,
	}
}

// purgeB2 deletes every version and delete marker under prefix: a plain
// DeleteObject on B2 only hides a file.
func purgeB2(t *testing.T, sdk *s3.Client, bucket, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*b2Op)
	defer cancel()
	p := s3.NewListObjectVersionsPaginator(sdk, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Errorf("purge %s: %v", prefix, err)
			return
		}
		type version struct{ key, id *string }
		var all []version
		for _, v := range page.Versions {
			all = append(all, version{v.Key, v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			all = append(all, version{m.Key, m.VersionId})
		}
		for _, v := range all {
			if _, err := sdk.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.key, VersionId: v.id}); err != nil {
				t.Errorf("purge %s (version %s): %v", aws.ToString(v.key), aws.ToString(v.id), err)
			}
		}
	}
}

// The B2 fixture's own plumbing (its prefix, SDK puts and deletes, the
// purge of every version) works, on the embedded server, since B2 itself
// cannot be reached from CI.
func TestSDKFixtureOnEmbeddedServer(t *testing.T) {
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	const bucket = "shared"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutObject(bucket, "someone-else/keep", []byte("k")); err != nil {
		t.Fatal(err)
	}
	c := newStoreClient(t, srv.URL, srv.Region, bucket, srv.KeyID, srv.SecretKey)
	t.Cleanup(func() { // runs after the purge
		if l, err := c.List(context.Background(), ""); err != nil || len(l.Objects) != 0 || !slices.Equal(l.Prefixes, []string{"someone-else/"}) {
			t.Errorf("after the purge the bucket holds %+v (%v), want only someone-else/", l, err)
		}
	})
	f := sdkFixture(t, srv.URL, srv.Region, bucket, srv.KeyID, srv.SecretKey)
	// Its puts go through the proxy, which refuses forbidden names as B2
	// does: the fixture meets them as it would on B2.
	f.Quirks = embeddedQuirks
	f.Quirks.NoForbiddenKeys = true
	for _, k := range []string{"left/over", "replaced"} { // for the purge alone
		for _, v := range []string{"1", "2"} {
			if err := f.Put(f.Prefix+k, []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
	}
	storetest.Run(t, f)
}

// countVersions counts the versions and delete markers of exactly key,
// through the SDK (out of band of the Store under test).
func countVersions(sdk *s3.Client, bucket, key string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b2Op)
	defer cancel()
	n := 0
	p := s3.NewListObjectVersionsPaginator(sdk, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == key {
				n++
			}
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) == key {
				n++
			}
		}
	}
	return n, nil
}
