package main

import (
	"fmt"
	iofs "io/fs"
	"log/slog"

	"github.com/b2mount/b2mount"
	"github.com/b2mount/b2mount/internal/s3test"
)

// startDemo serves the bundled sample bucket from an in-process S3 server on
// 127.0.0.1 and points c at it; the mount then goes through the very same
// s3backend client as a real bucket. The returned func stops the server.
func startDemo(c *config, logger *slog.Logger) (func(), error) {
	srv, err := s3test.StartEmbedded(logger.With("component", "demo-s3"))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	c.s3.Bucket = b2mount.SampleBucketName
	if err := srv.CreateBucket(c.s3.Bucket); err != nil {
		srv.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := loadFS(srv, c.s3.Bucket, b2mount.SampleBucket()); err != nil {
		srv.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	c.s3.Endpoint, c.s3.Region, c.s3.KeyID, c.s3.SecretKey = srv.URL, srv.Region, srv.KeyID, srv.SecretKey
	c.sources["credentials"] = "the demo server"
	logger.Info("demo S3 server serving the sample bucket", "endpoint", srv.URL, "bucket", c.s3.Bucket)
	return func() { srv.Close() }, nil
}

// loadFS puts every file of fsys into bucket, keyed by its path.
func loadFS(srv *s3test.Server, bucket string, fsys iofs.FS) error {
	return iofs.WalkDir(fsys, ".", func(path string, d iofs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := iofs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		return srv.PutObject(bucket, path, data)
	})
}
