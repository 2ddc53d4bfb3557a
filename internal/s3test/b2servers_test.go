package s3test_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/b2mount/b2mount/internal/s3test"
)

// sdkClient is an SDK client of s's proxy, set up as the product sets up
// its own (path-style, no retries) with the given request checksum
// setting: WhenRequired is what B2 needs.
func sdkClient(t *testing.T, s *s3test.Server, checksums aws.RequestChecksumCalculation) *s3.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	t.Cleanup(tr.CloseIdleConnections)
	return s3.New(s3.Options{
		BaseEndpoint:               aws.String(s.URL),
		UsePathStyle:               true,
		Region:                     s.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(s.KeyID, s.SecretKey, ""),
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: checksums,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Logger:                     logging.Nop{},
		HTTPClient:                 &http.Client{Transport: tr, Timeout: hang},
	})
}

// wantAPIError checks that err is the S3 error code with a message that
// holds msg.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: %v, want %s with %q", what, err, code, msg)
	}
}

// The SDK, set up as B2 needs, writes through the rules on both servers;
// what B2 refuses is refused before the server sees it.
func TestB2RulesThroughServers(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *s3test.Server) {
		ctx := context.Background()
		if err := s.CreateBucket("bkt"); err != nil {
			t.Fatal(err)
		}
		c := sdkClient(t, s, aws.RequestChecksumCalculationWhenRequired)
		bkt := aws.String("bkt")

		// A small new file costs one PUT and nothing else.
		data := []byte("hello")
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("small.txt"), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, s.Proxy.Counts(), map[string]int{"PUT": 1})
		if r := s.Proxy.Requests()[0]; r.Size != int64(len(data)) || r.Status != 200 {
			t.Errorf("PutObject logged as %+v", r)
		}

		// The SDK's default checksums, a bad name, a conditional put.
		_, err := sdkClient(t, s, aws.RequestChecksumCalculationWhenSupported).PutObject(ctx,
			&s3.PutObjectInput{Bucket: bkt, Key: aws.String("crc.txt"), Body: bytes.NewReader(data)})
		wantAPIError(t, "PutObject with the SDK's default checksum", err, "InvalidArgument", "Unsupported header 'x-amz-checksum-")
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("dir/"), Body: bytes.NewReader(nil)})
		wantAPIError(t, "PutObject of dir/", err, "InvalidRequest", "must not end with '/'")
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("small.txt"), Body: bytes.NewReader(data), IfNoneMatch: aws.String("*")})
		wantAPIError(t, "conditional PutObject", err, "NotImplemented", "not implemented")
		for _, key := range []string{"crc.txt", "dir/"} {
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: aws.String(key)}); err == nil {
				t.Errorf("refused %s exists on the server", key)
			}
		}

		// A multipart upload with a small first part: the Complete is
		// refused and the upload stays open on the server.
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bkt, Key: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		part := func(n int32, size int) *string {
			t.Helper()
			out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: aws.String("big"), UploadId: up.UploadId,
				PartNumber: aws.Int32(n), Body: bytes.NewReader(randomBytes(size)), ContentLength: aws.Int64(int64(size))})
			if err != nil {
				t.Fatalf("part %d: %v", n, err)
			}
			return out.ETag
		}
		complete := func(etag1, etag2 *string) error {
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("big"), UploadId: up.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
					{PartNumber: aws.Int32(1), ETag: etag1}, {PartNumber: aws.Int32(2), ETag: etag2}}}})
			return err
		}
		e1, e2 := part(1, 1<<20), part(2, 1000)
		wantAPIError(t, "Complete with a 1 MiB first part", complete(e1, e2), "EntityTooSmall", "part 1 has 1048576 bytes")
		list, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bkt})
		if err != nil || len(list.Uploads) != 1 || aws.ToString(list.Uploads[0].UploadId) != aws.ToString(up.UploadId) {
			t.Fatalf("after the refused Complete: uploads %+v, %v", list, err)
		}
		// Part 1 again at 5 MiB (versitygw's own minimum; B2's is 5 MB).
		e1 = part(1, 5<<20)
		if err := complete(e1, e2); err != nil {
			t.Fatalf("Complete with a 5 MiB first part: %v", err)
		}
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(got.Body)
		got.Body.Close()
		if want := append(randomBytes(5<<20), randomBytes(1000)...); err != nil || !bytes.Equal(body, want) {
			t.Errorf("the completed object: %d bytes, %v", len(body), err)
		}
		if list, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bkt}); err != nil || len(list.Uploads) != 0 {
			t.Errorf("after Complete: uploads %+v, %v", list.Uploads, err)
		}

		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bkt, Key: aws.String("copy.txt"), CopySource: aws.String("bkt/small.txt")}); err != nil {
			t.Errorf("CopyObject: %v", err)
		}
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("small.txt")}); err != nil {
			t.Errorf("DeleteObject: %v", err)
		}
		wantCounts(t, s.Proxy.Counts(), map[string]int{"PUT": 4, "HEAD": 2, "CREATE": 1, "PART": 3, "COMPLETE": 2,
			"LISTUPLOADS": 2, "GET": 1, "COPY": 1, "DELETE": 1})
	})
}
