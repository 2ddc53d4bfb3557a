package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"sync"

	"github.com/b2mount/b2mount"
	"github.com/b2mount/b2mount/embedded"
	"github.com/b2mount/b2mount/internal/s3test"
)

// The bucket's layout.
const (
	bucket      = "bench"
	bigKey      = "big/1gib.bin"
	parPrefix   = "par/"
	smallPrefix = "small/"
	treePrefix  = "tree/"
	photoPrefix = "photos/"
	treeDirs    = 20 // tree/dNN/ with treeFiles files each
	treeFiles   = 50
)

// photoKeys are the five sample photos, read by the photo workload.
var photoKeys = []string{"beach.jpg", "bobcat.jpg", "coconuts.jpg", "lake.jpg", "sunset.jpg"}

func parKey(i int) string { return fmt.Sprintf("%sf%d.bin", parPrefix, i) }

// generate fills the bucket: the big file, the parallel files (each only
// when a workload reads it), the folder of small files, a small tree, and
// the sample bucket (whose root holds the photos) under photos/. Contents are pseudo-random, so nothing
// compresses.
func generate(ctx context.Context, srv *s3test.Server, cfg *config) error {
	if err := srv.CreateBucket(bucket); err != nil {
		return err
	}
	if cfg.wants(wSeq, wRand4k, wRand1m) {
		if err := srv.PutObject(bucket, bigKey, noise(cfg.bigSize, 1)); err != nil {
			return err
		}
	}
	for i := range cfg.parFiles {
		if !cfg.wants(wPar) {
			break
		}
		if err := srv.PutObject(bucket, parKey(i), noise(cfg.parSize, uint64(100+i))); err != nil {
			return err
		}
	}
	var small []string
	for i := range cfg.smallFiles {
		small = append(small, fmt.Sprintf("%sfile%05d.txt", smallPrefix, i))
	}
	for d := range treeDirs {
		for f := range treeFiles {
			small = append(small, fmt.Sprintf("%sd%02d/f%03d.txt", treePrefix, d, f))
		}
	}
	if cfg.wants(wColdStat, wMillion) { // the huge folders, in a bucket of their own (cold.go, million.go)
		if err := srv.CreateBucket(hugeBucket); err != nil {
			return err
		}
	}
	if cfg.wants(wColdStat) {
		if err := putAll(ctx, srv, hugeBucket, hugeKeys(cfg)); err != nil {
			return err
		}
	}
	if !cfg.wants(wLs, wTree, wPhotos, wColdCat, wColdFind) {
		return nil // the write workloads bring their own data
	}
	if err := putAll(ctx, srv, bucket, small); err != nil {
		return err
	}
	put := func(_ context.Context, key string, data []byte) error {
		return srv.PutObject(bucket, path.Join(photoPrefix, key), data)
	}
	return embedded.LoadFS(ctx, b2mount.SampleBucket(), put)
}

// putAll stores a few bytes under each key of bkt, 8 at a time.
func putAll(ctx context.Context, srv *s3test.Server, bkt string, keys []string) error {
	work := make(chan string)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range work {
				if err := srv.PutObject(bkt, k, []byte(k+"\n")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for _, k := range keys {
		select {
		case work <- k:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

// noise returns n pseudo-random bytes.
func noise(n int64, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := 0; i+8 <= len(b); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}
