package s3test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/encoding/httpbinding"
	"github.com/aws/smithy-go/logging"
)

// setupClient does a server's setup operations on its own URL, bypassing
// the proxy, with the SDK the product reads through: path-style, no
// retries, checksums only when required (as s3backend sets it up).
type setupClient struct {
	s3     *s3.Client
	http   *http.Client // the SDK's, and for calls it has none for
	base   string       // the server's base URL, http://host:port
	keyID  string
	secret string
}

func newSetupClient(base, keyID, secret string) *setupClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // loopback only, never an HTTP proxy from the environment
	hc := &http.Client{Transport: tr}
	return &setupClient{
		s3: s3.New(s3.Options{
			BaseEndpoint:               aws.String(base),
			UsePathStyle:               true,
			Region:                     DefaultRegion,
			Credentials:                credentials.NewStaticCredentialsProvider(keyID, secret, ""),
			Retryer:                    aws.NopRetryer{},
			RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
			ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
			Logger:                     logging.Nop{},
			HTTPClient:                 hc,
		}),
		http: hc, base: base, keyID: keyID, secret: secret,
	}
}

func (c *setupClient) createBucket(ctx context.Context, name string) error {
	_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	return err
}

func (c *setupClient) putObject(ctx context.Context, bucket, key string, data []byte) error {
	_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
	})
	return err
}

func (c *setupClient) deleteObject(ctx context.Context, bucket, key string) error {
	_, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
	return err
}

// do sends method path with body, signed with the server's key, for the
// calls the SDK has none for; a non-2xx answer is an error.
func (c *setupClient) do(ctx context.Context, method, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if err := SignAs(req, c.keyID, c.secret, DefaultRegion, body); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(answer))
	}
	return nil
}

func (c *setupClient) close() { c.http.CloseIdleConnections() }

// SignAs signs req for S3 with SigV4 as keyID/secret in region, with the
// SDK's signer, for tests that send raw requests. body is the request's
// body (nil for none): its SHA-256 goes into X-Amz-Content-Sha256 and the
// signature. The path is escaped the way S3 canonicalises it (every byte
// but A-Z a-z 0-9 - _ . ~ and /), so what goes on the wire is what was
// signed.
func SignAs(req *http.Request, keyID, secret, region string, body []byte) error {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	req.URL.RawPath = httpbinding.EscapePath(req.URL.Path, false)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	cred := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := signer.SignHTTP(req.Context(), cred, req, hash, "s3", region, time.Now()); err != nil {
		return fmt.Errorf("sign %s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}
