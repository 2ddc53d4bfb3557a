package s3backend_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/storetest"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// conformancePageSize spreads listings of a few dozen keys over several
// pages.
const conformancePageSize = 4

const conformanceBucket = "conformance"

// The client keeps the Store contract on the embedded server (gofakes3).
// gofakes3 has no users, so the denied-key case is not registered here.
func TestStoreConformanceEmbedded(t *testing.T) {
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	f := serverFixture(t, srv)
	f.Quirks = embeddedQuirks
	storetest.Run(t, f)
}

// embeddedQuirks are gofakes3's departures from S3 and B2.
// Through the proxy, which keeps B2's write rules, small parts and
// forbidden names are refused as B2 refuses them.
var embeddedQuirks = storetest.Quirks{MarkerInParent: true, XMLIllegalKeysMangled: true,
	NoVersions: true, StrayVersionIDs: true, CopyIgnoresIfMatch: true, CopyMergesMeta: true,
	MultipartETagIsMD5: true, B2NameRules: true, StartAfterRelistsFolder: true}

// The client keeps the Store contract on versitygw (posix backend), with
// its IAM service on so that a second key without rights shows denial.
func TestStoreConformanceVersity(t *testing.T) {
	srv := testenv.StartVersityWithUsers(t)
	f := serverFixture(t, srv)
	f.Deny = func(t *testing.T, _ string) fs.Store {
		// A plain user owns no bucket and is granted none: every key of
		// the fixture's bucket is denied to it.
		id, secret := randomName(t, "DENIED"), randomName(t, "secret")
		if err := srv.CreateUser(id, secret, s3test.RoleUser); err != nil {
			t.Fatal(err)
		}
		return newStoreClient(t, srv.URL, srv.Region, conformanceBucket, id, secret)
	}
	f.Quirks = storetest.Quirks{XMLIllegalKeysMangled: true, NoKeyBesideFolder: true, MaxNameLen: 255,
		NoVersions: true, B2NameRules: true}
	storetest.Run(t, f)
}

// serverFixture is a bucket of srv, read by the client through the
// proxy and arranged behind the proxy's back.
func serverFixture(t *testing.T, srv *s3test.Server) storetest.Fixture {
	t.Helper()
	if err := srv.CreateBucket(conformanceBucket); err != nil {
		t.Fatal(err)
	}
	c := newStoreClient(t, srv.URL, srv.Region, conformanceBucket, srv.KeyID, srv.SecretKey)
	t.Cleanup(func() { expectEmpty(t, c) }) // after every case's own cleanup
	return storetest.Fixture{
		Store:    c,
		Put:      func(key string, data []byte) error { return srv.PutObject(conformanceBucket, key, data) },
		Delete:   func(key string) error { return srv.DeleteObject(conformanceBucket, key) },
		Versions: func(key string) (int, error) { return countVersions(s3backend.SDK(c), conformanceBucket, key) },
		PageSize: conformancePageSize,
	}
}

// newStoreClient is a client of bucket with small listing pages.
func newStoreClient(t *testing.T, endpoint, region, bucket, keyID, secret string) *s3backend.Client {
	t.Helper()
	c, err := s3backend.New(context.Background(), s3backend.Config{
		Endpoint:     endpoint,
		Region:       region,
		Bucket:       bucket,
		KeyID:        keyID,
		SecretKey:    secret,
		ListPageSize: conformancePageSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// randomName is prefix and 16 random hex digits.
func randomName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s%x", prefix, b)
}

// expectEmpty checks that the cases left nothing in the bucket: no key,
// however deep, and no unfinished upload.
func expectEmpty(t *testing.T, c *s3backend.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), b2Op)
	defer cancel()
	out, err := s3backend.SDK(c).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.Bucket())})
	if err != nil {
		t.Errorf("listing what the cases left: %v", err)
	} else if len(out.Contents) != 0 {
		t.Errorf("the cases left %d objects behind, %q the first", len(out.Contents), aws.ToString(out.Contents[0].Key))
	}
	if ups, err := c.ListUploads(ctx, ""); err != nil || len(ups) != 0 {
		t.Errorf("the cases left uploads behind: %+v, %v", ups, err)
	}
}
