package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/b2mount/b2mount"
	"github.com/b2mount/b2mount/embedded"
)

// startDemo serves the bundled sample bucket from an in-process S3 server on
// 127.0.0.1 (package embedded) and points c at it; the mount then goes
// through the very same s3backend client as a real bucket. The returned
// func stops the server.
func startDemo(c *config, logger *slog.Logger) (func(), error) {
	srv, err := embedded.Start(logger.With("component", "demo-s3"))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	bucket := b2mount.SampleBucketName
	if err := srv.CreateBucket(bucket); err != nil {
		srv.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	put := func(_ context.Context, key string, data []byte) error { return srv.PutObject(bucket, key, data) }
	if err := embedded.LoadFS(context.Background(), b2mount.SampleBucket(), put); err != nil {
		srv.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	c.s3.Bucket = bucket
	c.s3.Endpoint, c.s3.Region, c.s3.KeyID, c.s3.SecretKey = srv.URL, srv.Region, srv.KeyID, srv.SecretKey
	for _, s := range []string{"credentials", "endpoint", "region"} {
		c.sources[s] = "the demo server"
	}
	logger.Info("demo S3 server serving the sample bucket", "endpoint", srv.URL, "bucket", bucket)
	return func() { srv.Close() }, nil
}
