package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// session is one contender's fresh view of the bucket: for a mount, a new
// mount process; stop ends it and returns what the process used (zero for
// the direct client).
type session struct {
	fs   fsys
	stop func() usage
}

// usage is what one mount process used over its life.
type usage struct {
	rss int64   // peak resident set, bytes
	cpu float64 // user and system CPU, seconds
}

// freshFunc starts a session.
type freshFunc func(ctx context.Context) (session, error)

// counts is what the server saw during one workload.
type counts struct {
	list, head, get, other int
	bytes                  int64
}

func snapshot(px *s3test.Proxy) counts {
	c := px.Counts()
	other := 0
	for op, n := range c {
		switch op {
		case s3test.OpList, s3test.OpHead, s3test.OpGet:
		default:
			other += n
		}
	}
	return counts{list: c[s3test.OpList], head: c[s3test.OpHead], get: c[s3test.OpGet], other: other, bytes: px.ResponseBytes()}
}

// seqResult is one sequential read.
type seqResult struct {
	secs       float64
	mbs        float64 // 10^6 bytes per second
	use        usage
	c          counts
	machineCPU float64 // CPU-seconds the whole machine was busy during the read
}

// listResult is one listing.
type listResult struct {
	secs    float64
	entries int
	c       counts
}

// photoResult is the five photos read after their folder was listed.
type photoResult struct {
	secs   float64
	first  counts // the first read of each
	second counts // reading them all again
}

// randResult is one random-read workload.
type randResult struct {
	reads   int64
	iops    float64
	mbs     float64
	gets    float64 // GETs the server saw per read
	fetched float64 // bytes the server sent per byte read
}

// measureSeq reads keys at once (one reader each) from a fresh session.
func measureSeq(ctx context.Context, px *s3test.Proxy, fresh freshFunc, keys []string) (seqResult, error) {
	s, err := fresh(ctx)
	if err != nil {
		return seqResult{}, err
	}
	px.ResetCounts()
	busy0, err := machineBusy()
	if err != nil {
		return seqResult{}, err
	}
	start := time.Now()
	var mu sync.Mutex
	var total int64
	var firstErr error
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			n, err := s.fs.readWhole(ctx, k)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("read %s: %w", k, err)
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	busy1, err := machineBusy()
	c := snapshot(px)
	use := s.stop()
	if err := errors.Join(firstErr, err); err != nil {
		return seqResult{}, err
	}
	return seqResult{secs: secs, mbs: float64(total) / secs / 1e6, use: use, c: c, machineCPU: busy1 - busy0}, nil
}

// measureList lists the top of a fresh session (as anyone would before
// going into a folder), then times fn on prefix alone.
func measureList(ctx context.Context, px *s3test.Proxy, fresh freshFunc, long bool, prefix string) (listResult, error) {
	s, err := fresh(ctx)
	if err != nil {
		return listResult{}, err
	}
	defer s.stop()
	if _, err := s.fs.listLong(ctx, ""); err != nil {
		return listResult{}, fmt.Errorf("ls -l of the top: %w", err)
	}
	fn := s.fs.listTree
	if long {
		fn = s.fs.listLong
	}
	px.ResetCounts()
	start := time.Now()
	n, err := fn(ctx, prefix)
	return listResult{secs: time.Since(start).Seconds(), entries: n, c: snapshot(px)}, err
}

// measurePhotos lists the photos' folder on a fresh session, reads each
// photo whole, then all of them again.
func measurePhotos(ctx context.Context, px *s3test.Proxy, fresh freshFunc) (photoResult, error) {
	s, err := fresh(ctx)
	if err != nil {
		return photoResult{}, err
	}
	defer s.stop()
	var r photoResult
	for _, p := range []string{"", photoPrefix} {
		if _, err := s.fs.listLong(ctx, p); err != nil {
			return r, fmt.Errorf("ls -l %q: %w", p, err)
		}
	}
	readAll := func() (counts, error) {
		px.ResetCounts()
		for _, k := range photoKeys {
			if _, err := s.fs.readWhole(ctx, photoPrefix+k); err != nil {
				return counts{}, fmt.Errorf("read %s: %w", k, err)
			}
		}
		return snapshot(px), nil
	}
	start := time.Now()
	if r.first, err = readAll(); err != nil {
		return r, err
	}
	r.secs = time.Since(start).Seconds()
	if r.second, err = readAll(); err != nil {
		return r, err
	}
	return r, nil
}

// measureRandom reads size bytes at random size-aligned offsets of key,
// one read at a time, for d (or until every block was read once), from a
// fresh session. The offsets come from a fixed seed, so every contender is
// asked the same sequence.
func measureRandom(ctx context.Context, px *s3test.Proxy, fresh freshFunc, key string, fileSize, size int64, d time.Duration) (randResult, error) {
	s, err := fresh(ctx)
	if err != nil {
		return randResult{}, err
	}
	stopped := false
	defer func() {
		if !stopped {
			s.stop()
		}
	}()
	f, done, err := s.fs.open(ctx, key)
	if err != nil {
		return randResult{}, err
	}
	px.ResetCounts()
	// Each block of the file at most once, so no read is a page-cache hit.
	order := rand.New(rand.NewPCG(7, uint64(size))).Perm(int(fileSize / size))
	buf := make([]byte, size)
	var reads int64
	start := time.Now()
	for _, block := range order {
		if time.Since(start) >= d || ctx.Err() != nil {
			break
		}
		off := int64(block) * size
		n, err := f.ReadAt(buf, off)
		if err != nil && !(err == io.EOF && int64(n) == size) {
			done()
			return randResult{}, fmt.Errorf("read %d bytes at %d: %w", size, off, err)
		}
		reads++
	}
	secs := time.Since(start).Seconds()
	done()
	s.stop() // let go of every GET, so the bytes count is final
	stopped = true
	read := float64(reads * size)
	return randResult{
		reads:   reads,
		iops:    float64(reads) / secs,
		mbs:     read / secs / 1e6,
		gets:    float64(snapshot(px).get) / float64(reads),
		fetched: float64(px.ResponseBytes()) / read,
	}, nil
}
