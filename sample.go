// Package b2mount holds the bundled copy of Backblaze's public sample
// bucket, served by `b2mount --demo` (the benchmarks load it too).
//
// It exists only because go:embed cannot reach into testdata/ from a
// package below the repository root (patterns may not contain ".."), so
// the embedding has to sit here, next to testdata/. Nothing else belongs
// in this package.
package b2mount

import (
	"embed"
	"io/fs"
)

// SampleBucketName is the name of Backblaze's public sample bucket.
const SampleBucketName = "developer-b2-quick-start"

//go:embed testdata/developer-b2-quick-start
var sample embed.FS

// SampleBucket returns the files of the sample bucket, keyed by their
// object keys (beach.jpg, album/photos.html, ...).
func SampleBucket() fs.FS {
	sub, err := fs.Sub(sample, "testdata/"+SampleBucketName)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
