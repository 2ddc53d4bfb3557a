package embedded

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
)

// loadParallel is how many files LoadFS puts at once.
const loadParallel = 8

// LoadFS puts every regular file of fsys into a bucket through put, keyed
// by its slash-separated path in fsys (album/photos.html), up to 8 files
// at once; put must be safe for concurrent use. Symlinks and other
// non-regular files are skipped. The first failure cancels the ctx the
// other puts get and stops the walk; LoadFS returns it once every put
// under way has returned.
//
// It is the one loader of a file tree into a bucket: the demo loads the
// bundled sample bucket with it, the tests and the benchmarks their trees.
func LoadFS(ctx context.Context, fsys fs.FS, put func(ctx context.Context, key string, data []byte) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	slots := make(chan struct{}, loadParallel)
	load := func(key string) {
		defer func() { <-slots }()
		data, err := fs.ReadFile(fsys, key)
		if err == nil {
			err = put(ctx, key, data)
		}
		if err != nil {
			cancel(fmt.Errorf("load %s: %w", key, err)) // only the first cause sticks
		}
	}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		wg.Go(func() { load(path) })
		return nil
	})
	wg.Wait()
	if err == nil {
		err = context.Cause(ctx)
	}
	return err
}
