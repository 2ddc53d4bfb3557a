package s3test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// s3HTTP performs setup operations over signed path-style HTTP requests.
type s3HTTP struct {
	base   string // server base URL, http://host:port
	signer Signer
	client *http.Client
}

// S3Error is an S3 error answer.
type S3Error struct {
	Status  int
	Code    string
	Message string
}

func (e *S3Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("s3: HTTP %d", e.Status)
	}
	return fmt.Sprintf("s3: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// objectURL returns the path-style URL of bucket/key (key may be "").
func (c *s3HTTP) objectURL(bucket, key string) string {
	u := c.base + "/" + url.PathEscape(bucket)
	if key != "" {
		u += "/" + escapeKey(key)
	}
	return u
}

// escapeKey escapes each '/'-separated segment of key.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// do sends a signed request and turns non-2xx answers into *S3Error.
func (c *s3HTTP) do(ctx context.Context, method, rawURL string, body []byte) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return err
	}
	hash := ""
	if body != nil {
		hash = PayloadHash(body)
		req.Header.Set("Content-Type", "binary/octet-stream")
	}
	if err := c.signer.Sign(req, hash); err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	return parseS3Error(resp.StatusCode, data)
}

// parseS3Error decodes an S3 XML error body; a body that is not one still
// gives an *S3Error with the status.
func parseS3Error(status int, body []byte) *S3Error {
	var x struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	_ = xml.Unmarshal(body, &x)
	return &S3Error{Status: status, Code: x.Code, Message: x.Message}
}

func (c *s3HTTP) createBucket(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPut, c.objectURL(name, ""), nil)
}

func (c *s3HTTP) putObject(ctx context.Context, bucket, key string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	return c.do(ctx, http.MethodPut, c.objectURL(bucket, key), data)
}

func (c *s3HTTP) deleteObject(ctx context.Context, bucket, key string) error {
	return c.do(ctx, http.MethodDelete, c.objectURL(bucket, key), nil)
}
