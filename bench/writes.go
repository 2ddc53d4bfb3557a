package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/s3backend"
)

// The write workloads, the keys of writeRun.errs. Each copies local files
// (written once into the work directory, so they are in the page cache)
// into a fresh writable mount, to a name of its own at the top of the
// bucket (w-PROFILE-CONTENDER-RUN-...: no folder to create first).
const (
	wWrites = "writes" // all three (-workloads writes)
	wCp     = "cp of the big file"
	wCpR    = "cp -r of small files"
	wRsync  = "rsync -a twice"
)

// The write workloads' local sources, under the work directory.
const (
	writeSrc   = "src"
	smallSrc   = "small"   // writeSmallFiles files of 4–256 KiB
	rsyncSrc   = "rsync"   // writeRsyncFiles files of 4–256 KiB
	bigSrcName = "big.bin" // the big file, cfg.bigSize bytes
	landedPoll = 20 * time.Millisecond
)

const (
	writeSmallFiles = 1000
	writeRsyncFiles = 300
)

// writeCounts is what the server received during one write workload.
type writeCounts struct {
	put, create, part, complete, copy int
	head, list, del, other            int
	sent                              int64 // request body bytes
}

func (c writeCounts) total() int {
	return c.put + c.create + c.part + c.complete + c.copy + c.head + c.list + c.del + c.other
}

func writeSnapshot(px *s3test.Proxy) writeCounts {
	var c writeCounts
	for op, n := range px.Counts() {
		switch op {
		case s3test.OpPut:
			c.put += n
		case s3test.OpCreateUpload:
			c.create += n
		case s3test.OpUploadPart:
			c.part += n
		case s3test.OpCompleteUpload:
			c.complete += n
		case s3test.OpCopy, s3test.OpUploadPartCopy:
			c.copy += n
		case s3test.OpHead:
			c.head += n
		case s3test.OpList:
			c.list += n
		case s3test.OpDelete:
			c.del += n
		default:
			c.other += n
		}
	}
	c.sent = px.RequestBytes()
	return c
}

// cpResult is one copy of the big file.
type cpResult struct {
	closed     float64 // seconds until cp returned
	secs, mbs  float64 // until the object was in the bucket
	use        usage
	machineCPU float64 // CPU-seconds the whole machine was busy, server and proxy included
	c          writeCounts
}

// treeResult is one copy of a folder of files.
type treeResult struct {
	closed float64 // seconds until the command returned
	secs   float64 // until every file was in the bucket
	c      writeCounts
}

// writeRun is everything one contender gave in one run of the write
// workloads.
type writeRun struct {
	cp           cpResult
	small        treeResult
	rsync1       treeResult // the first rsync -a
	rsync2       treeResult // the same again, nothing changed
	rsyncSkipped bool       // the direct client has no rsync
	errs         map[string]string
}

// writeContender is one row of the write table.
type writeContender struct {
	name  string
	fresh freshFunc
	runs  []writeRun
	skip  string
}

// writeFS is a contender's way to copy local files into the bucket.
type writeFS interface {
	// copyFile copies the local file src to key.
	copyFile(ctx context.Context, src, key string) error
	// copyTree copies the local folder src (files only) to the folder prefix.
	copyTree(ctx context.Context, src, prefix string) error
	// rsync runs rsync -a from src to prefix; errNoRsync if it cannot.
	rsync(ctx context.Context, src, prefix string) error
}

var errNoRsync = errors.New("no rsync")

// mountWriter copies with cp and rsync through the mount.
type mountWriter struct{ mountFS }

func (m mountWriter) copyFile(ctx context.Context, src, key string) error {
	return runCmd(ctx, "cp", src, m.path(key))
}

func (m mountWriter) copyTree(ctx context.Context, src, prefix string) error {
	return runCmd(ctx, "cp", "-r", src, m.path(prefix))
}

func (m mountWriter) rsync(ctx context.Context, src, prefix string) error {
	return runCmd(ctx, "rsync", "-a", src+"/", m.path(prefix)+"/")
}

func runCmd(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// directWriter is the baseline: the SDK's own multipart uploader
// (feature/s3/manager, its defaults: 5 MiB parts, 5 at once) for the big
// file, and the project's client sending one PutObject after another for
// a folder.
type directWriter struct {
	up *manager.Uploader
	c  *s3backend.Client
}

func newDirectWriter(t target, c *s3backend.Client) directWriter {
	s3c := s3.New(s3.Options{
		Credentials:  credentials.NewStaticCredentialsProvider(t.keyID, t.secret, ""),
		BaseEndpoint: aws.String(t.endpoint),
		UsePathStyle: true,
		Region:       t.region,
		// B2 refuses x-amz-checksum-* headers: as s3backend does.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	up := manager.NewUploader(s3c, func(u *manager.Uploader) {
		u.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	return directWriter{up: up, c: c}
}

func (d directWriter) copyFile(ctx context.Context, src, key string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = d.up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f})
	return err
}

func (d directWriter) copyTree(ctx context.Context, src, prefix string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := d.putFile(ctx, filepath.Join(src, e.Name()), prefix+"/"+e.Name()); err != nil {
			return err
		}
	}
	return nil
}

func (d directWriter) putFile(ctx context.Context, src, key string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = d.c.Put(ctx, key, f, st.Size(), s3backend.Meta{})
	return err
}

func (d directWriter) rsync(ctx context.Context, src, prefix string) error { return errNoRsync }

// writeEnv is what the write workloads of one profile share.
type writeEnv struct {
	e      *env
	p      profile
	px     *s3test.Proxy
	src    string // the local sources
	bucket string // the bucket's folder on versitygw's disk
	run    int
}

// prepareWriteSources writes the local files once per bench run.
func prepareWriteSources(dir string, bigSize int64) error {
	if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, bigSrcName), noise(bigSize, 2), 0o644); err != nil {
		return err
	}
	for _, set := range []struct {
		name string
		n    int
		seed uint64
	}{{smallSrc, writeSmallFiles, 3}, {rsyncSrc, writeRsyncFiles, 4}} {
		sub := filepath.Join(dir, set.name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		sizes := noise(int64(set.n)*2, set.seed)
		for i := range set.n {
			// 4 KiB to 256 KiB, spread evenly by the noise.
			size := 4<<10 + (int64(sizes[2*i])<<8|int64(sizes[2*i+1]))*(252<<10)/65535
			data := noise(size, set.seed*100_000+uint64(i))
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d.bin", i)), data, 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
}

// landed waits until every file of the local src (a file or a folder) is
// in the bucket under key with its size, looking at versitygw's disk (no
// request). For b2mount and s3fs it holds when cp returns; rclone uploads
// after close, so for it the time includes its write-back.
func (w *writeEnv) landed(ctx context.Context, src, key string) error {
	want := map[string]int64{}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if st.IsDir() {
		ents, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range ents {
			info, err := e.Info()
			if err != nil {
				return err
			}
			want[key+"/"+e.Name()] = info.Size()
		}
	} else {
		want[key] = st.Size()
	}
	for {
		for k, size := range want {
			if info, err := os.Stat(filepath.Join(w.bucket, filepath.FromSlash(k))); err == nil && info.Size() == size {
				delete(want, k)
			}
		}
		if len(want) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d files not in the bucket: %w", len(want), ctx.Err())
		case <-time.After(landedPoll):
		}
	}
}

// clean removes what a workload wrote straight from versitygw's disk, so
// that the bucket does not grow by a GiB per contender and run, without a
// request through the proxy.
func (w *writeEnv) clean(key string) {
	_ = os.RemoveAll(filepath.Join(w.bucket, filepath.FromSlash(key)))
}

// writerOf is the writeFS of a session.
func writerOf(s session, d directWriter) writeFS {
	if m, ok := s.fs.(mountFS); ok {
		return mountWriter{m}
	}
	return d
}

// measureCp copies the big file into a fresh session.
func (w *writeEnv) measureCp(ctx context.Context, c *writeContender, d directWriter) (cpResult, error) {
	s, err := c.fresh(ctx)
	if err != nil {
		return cpResult{}, err
	}
	key := fmt.Sprintf("w-%s-%s-%d-big.bin", w.p.name, c.name, w.run)
	src := filepath.Join(w.src, bigSrcName)
	defer w.clean(key)
	w.px.ResetCounts()
	busy0, err := machineBusy()
	if err != nil {
		s.stop()
		return cpResult{}, err
	}
	start := time.Now()
	err = writerOf(s, d).copyFile(ctx, src, key)
	closed := time.Since(start).Seconds()
	if err == nil {
		err = w.landed(ctx, src, key)
	}
	secs := time.Since(start).Seconds()
	busy1, err2 := machineBusy()
	settle(w.px)
	use := s.stop()
	if err := errors.Join(err, err2); err != nil {
		return cpResult{}, err
	}
	return cpResult{closed: closed, secs: secs, mbs: float64(w.e.cfg.bigSize) / secs / 1e6, use: use,
		machineCPU: busy1 - busy0, c: writeSnapshot(w.px)}, nil
}

// measureTree copies the small files into a fresh session with cp -r.
func (w *writeEnv) measureTree(ctx context.Context, c *writeContender, d directWriter) (treeResult, error) {
	s, err := c.fresh(ctx)
	if err != nil {
		return treeResult{}, err
	}
	prefix := fmt.Sprintf("w-%s-%s-%d-small", w.p.name, c.name, w.run)
	src := filepath.Join(w.src, smallSrc)
	defer w.clean(prefix)
	w.px.ResetCounts()
	start := time.Now()
	err = writerOf(s, d).copyTree(ctx, src, prefix)
	closed := time.Since(start).Seconds()
	if err == nil {
		err = w.landed(ctx, src, prefix)
	}
	secs := time.Since(start).Seconds()
	settle(w.px)
	s.stop()
	if err != nil {
		return treeResult{}, err
	}
	return treeResult{closed: closed, secs: secs, c: writeSnapshot(w.px)}, nil
}

// measureRsync runs rsync -a of the rsync files into a fresh session,
// twice; skipped is true for the direct client.
func (w *writeEnv) measureRsync(ctx context.Context, c *writeContender, d directWriter) (first, second treeResult, skipped bool, err error) {
	if c.name == directName {
		return first, second, true, nil
	}
	s, err := c.fresh(ctx)
	if err != nil {
		return first, second, false, err
	}
	defer s.stop()
	prefix := fmt.Sprintf("w-%s-%s-%d-rsync", w.p.name, c.name, w.run)
	src := filepath.Join(w.src, rsyncSrc)
	defer w.clean(prefix)
	fs := writerOf(s, d)
	once := func() (treeResult, error) {
		w.px.ResetCounts()
		start := time.Now()
		err := fs.rsync(ctx, src, prefix)
		closed := time.Since(start).Seconds()
		if err == nil {
			err = w.landed(ctx, src, prefix)
		}
		secs := time.Since(start).Seconds()
		return treeResult{closed: closed, secs: secs, c: writeSnapshot(w.px)}, err
	}
	if first, err = once(); err != nil {
		return first, second, false, fmt.Errorf("first rsync: %w", err)
	}
	// A mount that uploads after close may still send requests of the
	// first run (rclone's write-back); give them a moment to end.
	settle(w.px)
	if second, err = once(); err != nil {
		return first, second, false, fmt.Errorf("second rsync: %w", err)
	}
	settle(w.px)
	second.c = writeSnapshot(w.px)
	return first, second, false, nil
}

// settle waits until the proxy has seen no new request for a second (at
// most 30 s): a file is on the server's disk a moment before its upload's
// last answer (CompleteMultipartUpload writes it first), and a mount that
// uploads after close may still be busy; stopping it then would cut its
// requests short, or leave them out of the counts. Not timed.
func settle(px *s3test.Proxy) {
	last, quiet := -1, 0
	for i := 0; i < 300 && quiet < 10; i++ {
		n := writeSnapshot(px).total()
		if n == last {
			quiet++
		} else {
			last, quiet = n, 0
		}
		time.Sleep(100 * time.Millisecond)
	}
}
